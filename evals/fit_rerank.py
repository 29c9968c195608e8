"""``python -m evals.fit_rerank``: choose how the fused passages are reordered by their best sentence.

For every answerable item of the tuning sets the fused ranking (dense + BM25, reciprocal-rank fusion) is taken
40 deep with each passage's best-sentence composer score (:mod:`assistant.rerank`).  Every setting of the grid
(depth, reciprocal-rank constant ``k``, weight of the sentence ranking) is scored by the issue's retrieval
rule: gold evidence found in the first 4,000 characters of the ranked context (context hit) plus the share of
evidence strings found there (context recall).  Leave-one-set-out: the setting chosen on the other sets is
reported on each set it never saw, against no reordering.  The setting chosen on all sets is the default in
``RetrievalSettings``; ``evals/reports/baseline/fit-rerank/report.json`` keeps the table.
"""

from __future__ import annotations

import argparse
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from .harness import HERE, load_set
from .metrics import context_recall, evidence_found

DEFAULT_SETS = ("dev", "train", "heldout", "heldout2", "fresh1", "fresh4", "fresh5", "train2")
DEPTHS, KS, WEIGHTS = (10, 20, 30, 40), (5.0, 20.0, 60.0), (0.5, 1.0, 2.0)
POOL = 40


def collect(assistant: Any, sets: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    """Per set, per answerable item: the fused passage ids, their best-sentence scores and the evidence."""
    from assistant.questions import clean_history, sanitize
    from assistant.rerank import best_sentence_scores

    s = assistant.settings
    s.retrieval.rerank_depth = 0  # the fused order, as it is before any reordering
    out: dict[str, list[dict[str, Any]]] = {}
    for name in sets:
        rows = []
        for item in load_set(name):
            if item["expect"] == "abstain" or not item["evidence"]:
                continue
            history = clean_history(item.get("history") or [], s.input.max_history_turns,
                                    s.input.max_history_chars)
            text = assistant.resolve(sanitize(item["question"], s.input.max_question_chars), history).text
            got = assistant.retriever.retrieve(assistant.retrieval_query(text), top_k=POOL, question=text)
            best = best_sentence_scores(text, got.query_vector, got.passages, assistant.store, assistant.retriever.idf)
            rows.append({"fused": [p.chunk.id for p in got.passages], "best": best, "evidence": item["evidence"]})
        out[name] = rows
    return out


def reorder(row: dict[str, Any], depth: int, k: float, weight: float) -> list[str]:
    from assistant.rerank import fuse_ranks

    head = row["fused"][:depth]
    by_sentence = sorted(head, key=lambda c: -row["best"][c])
    return fuse_ranks(head, by_sentence, k, weight) + row["fused"][depth:] if depth else row["fused"]


@lru_cache(maxsize=None)
def _found(evidence: str, text: str) -> bool:
    return evidence_found(evidence, text)


def score(data: dict[str, list[dict[str, Any]]], sets: list[str], texts: dict[str, str],
          setting: tuple[int, float, float]) -> tuple[float, float]:
    """Mean context hit and context recall over the answerable items of ``sets``."""
    hits, recalls = [], []
    for name in sets:
        for row in data[name]:
            r = context_recall([texts[c] for c in reorder(row, *setting)[:20]], row["evidence"], found=_found)
            hits.append(float(r > 0))
            recalls.append(r)
    return sum(hits) / len(hits), sum(recalls) / len(recalls)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default=",".join(DEFAULT_SETS))
    ap.add_argument("--out", default=str(HERE / "reports" / "baseline" / "fit-rerank"))
    args = ap.parse_args(argv)
    from assistant.pipeline import Assistant

    assistant = Assistant.from_settings()
    sets = args.sets.split(",")
    data = collect(assistant, tuple(sets))
    texts = {c: ch.text for c, ch in assistant.store.chunks.items()}
    grid = [(d, k, w) for d in DEPTHS for k in KS for w in WEIGHTS]
    none = (0, 1.0, 0.0)

    def best_on(names: list[str]) -> tuple[int, float, float]:
        return max(grid, key=lambda g: sum(score(data, names, texts, g)))

    table = []
    for name in sets:
        chosen = best_on([x for x in sets if x != name])
        before, after = score(data, [name], texts, none), score(data, [name], texts, chosen)
        table.append({"held_out": name, "chosen_on_others": chosen, "before": before, "after": after})
        print(f"{name:10s} {chosen}  hit {before[0]:.3f} -> {after[0]:.3f}  recall {before[1]:.3f} -> {after[1]:.3f}")
    chosen = best_on(sets)
    print(f"chosen on all sets: depth {chosen[0]}, k {chosen[1]}, weight {chosen[2]}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps({"sets": sets, "leave_one_set_out": table, "chosen": chosen},
                                                indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
