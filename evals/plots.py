"""PNG plots for an eval run: metrics by question type, strategies compared, latency distribution."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def save_plots(out: Path, metrics: dict[str, Any], rows: dict[str, list[dict[str, Any]]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    strategies = list(metrics["strategies"])
    keys = ["recall@5", "mrr", "fact_recall", "citation_precision", "abstention_recall"]
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(strategies)
    for i, s in enumerate(strategies):
        vals = [metrics["strategies"][s].get(k) or 0 for k in keys]
        ax.bar([x + i * width for x in range(len(keys))], vals, width, label=s)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(keys))], keys)
    ax.set_ylim(0, 1.05)
    ax.legend()
    ax.set_title("Strategies compared")
    fig.tight_layout()
    fig.savefig(out / "strategies.png", dpi=90)
    plt.close(fig)

    if "hybrid" in metrics["strategies"]:
        bt = metrics["strategies"]["hybrid"]["by_type"]
        types = list(bt)
        fig, ax = plt.subplots(figsize=(10, 4))
        for i, k in enumerate(["recall@5", "fact_recall", "abstained"]):
            ax.bar([x + i * 0.27 for x in range(len(types))], [bt[t].get(k) or 0 for t in types], 0.27, label=k)
        ax.set_xticks([x + 0.27 for x in range(len(types))], types, rotation=30, ha="right")
        ax.set_ylim(0, 1.05)
        ax.legend()
        ax.set_title("Hybrid: metrics by question type")
        fig.tight_layout()
        fig.savefig(out / "by_type.png", dpi=90)
        plt.close(fig)

    results = [line for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    import json

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
