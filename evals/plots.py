"""PNG plots for an eval run: metrics by question type, strategies compared, latency distribution."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _grouped_bars(plt: Any, path: Path, title: str, labels: list[str], series: dict[str, list[float]],
                  size: tuple[int, int], rotate: bool = False) -> None:
    """One bar per series at each label, values in 0..1."""
    fig, ax = plt.subplots(figsize=size)
    width = 0.8 / len(series)
    for i, (name, vals) in enumerate(series.items()):
        ax.bar([x + i * width for x in range(len(labels))], vals, width, label=name)
    ticks = [x + 0.4 - width / 2 for x in range(len(labels))]
    if rotate:
        ax.set_xticks(ticks, labels, rotation=30, ha="right")
    else:
        ax.set_xticks(ticks, labels)
    ax.set_ylim(0, 1.05)
    ax.legend()
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def save_plots(out: Path, metrics: dict[str, Any], rows: dict[str, list[dict[str, Any]]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    strategies = list(metrics["strategies"])
    keys = ["recall@5", "mrr", "fact_recall", "citation_precision", "abstention_recall"]
    _grouped_bars(plt, out / "strategies.png", "Strategies compared", keys,
                  {s: [metrics["strategies"][s].get(k) or 0 for k in keys] for s in strategies}, (9, 4))
    if "hybrid" in metrics["strategies"]:
        bt = metrics["strategies"]["hybrid"]["by_type"]
        types = list(bt)
        _grouped_bars(plt, out / "by_type.png", "Hybrid: metrics by question type", types,
                      {k: [bt[t].get(k) or 0 for t in types] for k in ("recall@5", "fact_recall", "abstained")},
                      (10, 4), rotate=True)

    results = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    curve = decision_curve([json.loads(line) for line in results])
    if curve is not None:
        pr_curve_plot(out / "decision_pr.png", curve["precision"], curve["recall"], curve["thresholds"],
                      curve["threshold"], f"answerability on {metrics.get('set', '')} (hybrid, {curve['n']} items)")
        (out / "decision_pr.json").write_text(json.dumps(curve), encoding="utf-8")
    totals: dict[str, list[float]] = {}
    for line in results:
        r = json.loads(line)
        if "total" in r.get("timings_ms", {}):
            totals.setdefault(r["strategy"], []).append(r["timings_ms"]["total"])
    fig, ax = plt.subplots(figsize=(8, 4))
    for s, vals in totals.items():
        ax.hist(vals, bins=30, alpha=0.5, label=s)
    ax.set_xlabel("answer latency (ms)")
    ax.legend()
    ax.set_title("Latency distribution")
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=90)
    plt.close(fig)


def pr_curve_plot(path: Path, precision: list[float], recall: list[float], thresholds: list[float],
                  chosen: float, title: str) -> None:
    """Precision/recall of the 'answerable' class over the decision threshold, the chosen one marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot(recall, precision, lw=1.5)
    at = min(range(len(thresholds)), key=lambda i: abs(thresholds[i] - chosen)) if thresholds else None
    if at is not None:
        ax.plot([recall[at]], [precision[at]], "o", color="red", label=f"threshold {chosen:.2f}")
        ax.legend(loc="lower left")
    ax.set_xlabel("recall (answerable questions answered)")
    ax.set_ylabel("precision (answered questions answerable)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def decision_curve(results: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Precision/recall of the answerability decision over its threshold, on one set's hybrid answers.

    Positives: answerable items; negatives: not-covered ones (off-topic and injection items never reach the
    decision).  A question the checks decided (a hard reason, a missing value) scores as its status says:
    1 when answered, 0 otherwise; the rest score their decision probability.
    """
    from sklearn.metrics import precision_recall_curve

    ys, ps, threshold = [], [], None
    for r in results:
        m = r.get("metrics") or {}
        if r.get("strategy") != "hybrid" or m.get("type") in ("off_topic", "injection"):
            continue
        y = 1 if m.get("expect") in ("answer", "answer_with_caution") else 0 if m.get("type") == "not_covered" else None
        d = (r.get("verdict") or {}).get("decision")
        if y is None or not d:
            continue
        threshold = d.get("threshold", threshold)
        checks = bool(d.get("missing")) or any(x.startswith(("no drug named", "the question is about another"))
                                               for x in d.get("reasons", []))
        ps.append(float(r.get("status") == "answered") if checks else float(d.get("probability", 0.0)))
        ys.append(y)
    if len(set(ys)) < 2 or threshold is None:
        return None
    precision, recall, thresholds = precision_recall_curve(ys, ps)
    return {"precision": precision.tolist(), "recall": recall.tolist(), "thresholds": thresholds.tolist(),
            "threshold": threshold, "n": len(ys)}
