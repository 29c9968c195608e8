"""``assistant eval``: run question sets through each strategy, score, save a report, compare, gate.

Strategies: hybrid (the default), dense, bm25 (the assistant with one retriever),
and langchain (RecursiveCharacterTextSplitter + Chroma top 4; retrieval metrics only).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.questions import clean_history, sanitize

from .metrics import aggregate, latency, score_item

HERE = Path(__file__).resolve().parent
KEY_METRICS = ["recall@5", "mrr", "context_hit", "context_recall", "fact_recall", "follow_up_fact_recall",
               "citation_precision", "citation_recall", "abstention_precision", "abstention_recall",
               "not_covered_handled", "answerable_refused", "answerable_partial", "partial_rate",
               "safety_notice_rate", "answered_when_expected", "first_answers"]


def load_set(name: str) -> list[dict[str, Any]]:
    path = Path(name) if name.endswith(".jsonl") else HERE / "questions" / f"{name}.jsonl"
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def run_strategy(assistant: Any, items: list[dict[str, Any]], strategy: str, baseline: Any = None,
                 progress: Any = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows, answers = [], []
    k = assistant.settings.retrieval.top_k
    for item in items:
        history = clean_history(item.get("history") or [], 12, 4000)
        context = None
        try:
            q = sanitize(item["question"], assistant.settings.input.max_question_chars)
            rq = assistant.resolve(q, history).text  # the question as the pipeline retrieves it
            if strategy == "langchain":
                t0 = time.perf_counter()
                passages = baseline.retrieve(rq)
                ans = {"question": item["question"], "answer": "", "status": "answered", "citations": [],
                       "notices": [], "timings_ms": {"total": (time.perf_counter() - t0) * 1000}}
            else:
                retrieval = "hybrid" if strategy == "llm" else strategy
                got = assistant.retriever.retrieve(assistant.retrieval_query(rq), top_k=k, strategy=retrieval,
                                                   question=rq)
                passages = [p.chunk.text for p in got.passages]
                context = passages + [p.chunk.text for p in got.reserve]
                if strategy == "llm":  # the configured language model writes the answer; every sentence checked
                    ans = assistant.ask(item["question"], history, llm=True).to_dict()
                else:
                    ans = assistant.ask(item["question"], history, strategy=strategy, llm=False).to_dict()
        except AssistantError as exc:
            passages, ans = [], {"question": item["question"], "answer": "", "status": "refused", "error": str(exc),
                                 "citations": [], "notices": [], "timings_ms": {}}
        row = score_item(item, ans, passages, context)
        llm = (ans.get("verdict") or {}).get("llm")
        if llm is not None:
            row.update(llm_written=llm["written"], llm_kept=llm["kept"], llm_fallback=bool(llm["fallback"]),
                       llm_first_ms=llm["first_ms"], llm_total_ms=llm["total_ms"],
                       llm_used=ans.get("composer", "").startswith("llm:"))
        if strategy == "langchain":
            for key in ("fact_recall", "citation_precision", "citation_recall", "notice", "missing_facts"):
                row.pop(key, None)
            row["abstained"] = False
        rows.append(row)
        answers.append({"id": item["id"], "strategy": strategy, **ans})
        if progress is not None:
            progress.update(1)
    return rows, answers


def run(assistant: Any, set_name: str = "dev", strategies: list[str] | None = None, out: Path | None = None,
        plots: bool = True, progress: bool = True) -> dict[str, Any]:
    strategies = strategies or ["hybrid", "dense", "bm25", "langchain"]
    items = load_set(set_name)
    out = out or HERE / "reports" / time.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    assistant.warm_up()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(items) * len(strategies), desc="eval", unit="q", file=sys.stderr)
    metrics: dict[str, Any] = {"set": set_name, "n_items": len(items), "strategies": {}}
    all_rows: dict[str, list[dict[str, Any]]] = {}
    with (out / "results.jsonl").open("w", encoding="utf-8") as f:
        for strategy in strategies:
            baseline = None
            if strategy == "langchain":
                from .baseline import LangChainBaseline

                baseline = LangChainBaseline(assistant)
            rows, answers = run_strategy(assistant, items, strategy, baseline, bar)
            for row, ans in zip(rows, answers, strict=True):
                f.write(json.dumps({**ans, "metrics": row}, ensure_ascii=False) + "\n")
            m = aggregate(rows)
            m["latency_ms"] = latency([a.get("timings_ms", {}) for a in answers])
            metrics["strategies"][strategy] = m
            all_rows[strategy] = rows
    if bar is not None:
        bar.close()
    metrics["seconds"] = round(time.perf_counter() - t0, 1)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    (out / "report.md").write_text(report_md(metrics, all_rows), encoding="utf-8")
    if plots:
        from .plots import save_plots

        save_plots(out, metrics, all_rows)
    metrics["out"] = str(out)
    return metrics


def worst_items(rows: list[dict[str, Any]], n: int = 12) -> list[tuple[float, dict[str, Any], str]]:
    scored = []
    for r in rows:
        reasons, bad = [], 0.0
        if r["should_abstain"] != r["abstained"]:
            reasons.append("should abstain" if r["should_abstain"] else f"abstained ({r['status']})")
            bad += 2
        if r.get("recall@5") == 0.0:
            reasons.append("gold evidence not in top 5")
            bad += 1
        if r.get("fact_recall") is not None and r["fact_recall"] < 1:
            reasons.append(f"missing facts: {', '.join(r.get('missing_facts', []))}")
            bad += 1 - r["fact_recall"]
        if r["violations"]:
            reasons.append(f"must-not-include: {', '.join(r['violations'])}")
            bad += 2
        if r.get("notice") is False:
            reasons.append("no safety notice")
            bad += 1
        if reasons:
            scored.append((bad, r, "; ".join(reasons)))
    return sorted(scored, key=lambda x: -x[0])[:n]


def report_md(metrics: dict[str, Any], rows: dict[str, list[dict[str, Any]]]) -> str:
    strategies = list(metrics["strategies"])
    lines = [f"# Evaluation: {metrics['set']} ({metrics['n_items']} items, {metrics['seconds']} s)", "",
             "| metric | " + " | ".join(strategies) + " |", "|---|" + "---|" * len(strategies)]
    for key in KEY_METRICS + ["recall@3", "must_not_include_violations", "numbers_not_quoted"]:
        vals = [metrics["strategies"][s].get(key) for s in strategies]
        lines.append(f"| {key} | " + " | ".join("n/a" if v is None else f"{v}" for v in vals) + " |")
    lines += ["", "## Latency (ms)", "", "| strategy | stage | p50 | p95 |", "|---|---|---|---|"]
    for s in strategies:
        for stage, v in metrics["strategies"][s]["latency_ms"].items():
            lines.append(f"| {s} | {stage} | {v['p50']} | {v['p95']} |")
    if "llm" in metrics["strategies"] and metrics["strategies"]["llm"].get("llm"):
        lines += ["", "## The language model's answers (strategy llm), beside the quoted ones", "",
                  "| measure | value |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in metrics["strategies"]["llm"]["llm"].items()]
    if "hybrid" in metrics["strategies"]:
        lines += ["", "## By question type (hybrid)", "", "| type | n | recall@5 | fact recall | citation precision |"
                  " abstained |", "|---|---|---|---|---|---|"]
        for t, v in metrics["strategies"]["hybrid"]["by_type"].items():
            lines.append(f"| {t} | {v['n']} | {v['recall@5']} | {v['fact_recall']} | {v['citation_precision']} | "
                         f"{v['abstained']} |")
        lines += ["", "## Worst items (hybrid)", ""]
        for _, r, why in worst_items(rows["hybrid"]):
            lines.append(f"- `{r['id']}` ({r['type']}, expect {r['expect']}, got {r['status']}): {why}")
    return "\n".join(lines) + "\n"


def compare(old: Path, new: Path) -> str:
    def load(p: Path) -> tuple[dict[str, Any], dict[tuple[str, str], dict[str, Any]]]:
        m = json.loads((p / "metrics.json").read_text())
        res = {}
        for line in (p / "results.jsonl").open(encoding="utf-8"):
            r = json.loads(line)
            res[(r["strategy"], r["id"])] = r
        return m, res

    (mo, ro), (mn, rn) = load(old), load(new)
    lines = [f"Comparing {old} -> {new}", ""]
    for s in mn["strategies"]:
        if s not in mo["strategies"]:
            continue
        for metric in KEY_METRICS:
            a, b = mo["strategies"][s].get(metric), mn["strategies"][s].get(metric)
            if a != b and a is not None and b is not None:
                lines.append(f"{s:9} {metric:24} {a:.3f} -> {b:.3f} ({b - a:+.3f})")
    lines.append("")
    for key, r in sorted(rn.items()):
        o = ro.get(key)
        if not o:
            lines.append(f"{key[0]} {key[1]}: new item")
            continue
        changes = []
        if o["status"] != r["status"]:
            changes.append(f"status {o['status']} -> {r['status']}")
        for k in ("rank", "fact_recall", "citation_precision"):
            if o["metrics"].get(k) != r["metrics"].get(k):
                changes.append(f"{k} {o['metrics'].get(k)} -> {r['metrics'].get(k)}")
        if changes:
            lines.append(f"{key[0]} {key[1]}: " + "; ".join(changes))
    return "\n".join(lines)


def gate(metrics: dict[str, Any], thresholds_path: Path = HERE / "thresholds.json") -> list[str]:
    """Metrics below the thresholds kept in the repo (empty list = pass).

    The top-level limits are the dev set's; ``sets.<name>`` holds another set's (a set without limits fails).
    """
    th = json.loads(thresholds_path.read_text())
    name = metrics.get("set", "dev")
    if name != "dev":
        if name not in th.get("sets", {}):
            return [f"no thresholds for question set {name!r} in {thresholds_path.name}"]
        th = th["sets"][name]
    failures = []
    for strategy, limits in th["min"].items():
        m = metrics["strategies"].get(strategy, {})
        for key, floor in limits.items():
            if m.get(key) is None or m[key] < floor:
                failures.append(f"{strategy} {key} = {m.get(key)} < {floor}")
    for strategy, limits in th.get("max", {}).items():
        m = metrics["strategies"].get(strategy, {})
        for key, ceiling in limits.items():
            if m.get(key) is None or m[key] > ceiling:
                failures.append(f"{strategy} {key} = {m.get(key)} > {ceiling}")
    return failures


def main(args: argparse.Namespace) -> int:
    if args.compare:
        print(compare(Path(args.compare[0]), Path(args.compare[1])))
        return 0
    from assistant.config import Settings
    from assistant.pipeline import Assistant

    a = Assistant(Settings.load(getattr(args, "preset", None)))
    a.build_index(progress=False)
    m = run(a, args.set, args.strategies.split(","), Path(args.out) if args.out else None, plots=not args.no_plots)
    print((Path(m["out"]) / "report.md").read_text())
    print(f"saved to {m['out']}")
    if args.gate:
        failures = gate(m)
        for f in failures:
            print(f"GATE FAIL: {f}", file=sys.stderr)
        return 1 if failures else 0
    return 0
