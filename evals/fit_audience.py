"""``python -m evals.fit_audience``: choose the weight of the audience ranking fused into retrieval.

``retrieval.audience_weight`` fuses a ranking that puts the chunks of the documents written about the group a
question asks about (children, adults) first.  Every weight of the grid is run through the whole pipeline on
the tuning sets (``evals.harness.run_strategy``, hybrid); leave-one-set-out: the weight with the best mean
key-fact recall on the other sets is reported on each set it never saw, against the ranking off.  The weight
chosen on all sets is the default in ``RetrievalSettings``; ``--out`` keeps the table (report.json).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .harness import HERE, load_set, run_strategy
from .metrics import aggregate

DEFAULT_SETS = ("dev", "train", "heldout", "heldout2", "fresh1", "fresh4", "fresh5", "train2", "fresh19")
WEIGHTS = (0.0, 0.25, 0.5, 1.0)
KEYS = ("fact_recall", "not_covered_handled", "follow_up_fact_recall", "context_hit", "answerable_refused")


def measure(assistant: Any, sets: tuple[str, ...], weights: tuple[float, ...]) -> dict[float, dict[str, dict]]:
    """Per weight, per set: the aggregate metrics of the hybrid strategy."""
    out: dict[float, dict[str, dict]] = {}
    for w in weights:
        assistant.settings.retrieval.audience_weight = w
        out[w] = {name: aggregate(run_strategy(assistant, load_set(name), "hybrid")[0]) for name in sets}
    return out


def loso(table: dict[float, dict[str, dict]], key: str = "fact_recall") -> dict[str, Any]:
    """Leave-one-set-out choice of the weight by mean ``key``; each set's held-out figure against the weight 0."""
    sets = list(next(iter(table.values())))

    def mean(w: float, names: list[str]) -> float:
        vals = [table[w][n][key] for n in names if table[w][n].get(key) is not None]
        return sum(vals) / len(vals) if vals else 0.0

    folds = {}
    for s in sets:
        others = [o for o in sets if o != s]
        best = max(table, key=lambda w: (mean(w, others), -w))
        folds[s] = {"chosen": best, "held_out": table[best][s][key], "off": table[0.0][s][key]}
    chosen = max(table, key=lambda w: (mean(w, sets), -w))
    return {"key": key, "folds": folds, "chosen_on_all": chosen,
            "held_out_mean": sum(f["held_out"] for f in folds.values()) / len(folds),
            "off_mean": sum(f["off"] for f in folds.values()) / len(folds)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.fit_audience", description=__doc__.splitlines()[0])
    p.add_argument("--sets", default=",".join(DEFAULT_SETS))
    p.add_argument("--out", default=str(HERE / "reports" / "fit-audience"))
    args = p.parse_args(argv)
    from assistant.config import Settings
    from assistant.pipeline import Assistant

    assistant = Assistant(Settings.load())
    assistant.warm_up()
    table = measure(assistant, tuple(args.sets.split(",")), WEIGHTS)
    result = loso(table)
    result["table"] = {str(w): {n: {k: m.get(k) for k in KEYS} for n, m in per.items()} for w, per in table.items()}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "table"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
