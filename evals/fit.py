"""``assistant fit``: fit the answerability decision on the dev and training sets, cross-validated.

Every answerable item (expect answer / answer_with_caution) is a positive, every not-covered item a negative;
off-topic and injection-only items never reach the decision and are left out.  A standardised logistic
regression over ``decision.FEATURES`` is fitted; its threshold is read off the precision/recall curve of the
out-of-fold probabilities (5 stratified folds): the highest threshold, so the most not-covered questions caught,
at which the answerable recall is still at least ``--recall`` (0.95: at most one answerable question in twenty
refused).  ``topic_floor`` (below it a
weak answer is an abstention, above it a ``partial``) is the 5th percentile of the best sentence's cosine over
the answerable items.  Writes ``assistant/data/decision.json`` and ``evals/reports/fit/`` (features, the PR
curve plot, the cross-validated figures).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from .harness import HERE, load_set

DEFAULT_SETS = ("dev", "train", "heldout")
SKIP_TYPES = {"off_topic", "injection"}


def label(item: dict[str, Any]) -> int | None:
    if item["type"] in SKIP_TYPES:
        return None
    if item["type"] == "not_covered":
        return 0
    return 1 if item["expect"] in ("answer", "answer_with_caution") else None


def collect(assistant: Any, sets: list[str]) -> list[dict[str, Any]]:
    from assistant.errors import AssistantError

    rows = []
    for name in sets:
        for item in load_set(name):
            y = label(item)
            if y is None:
                continue
            try:
                a = assistant.assess(item["question"], item.get("history") or [], decide_now=False)
            except AssistantError:
                continue
            if a.early is not None or a.evidence is None:
                continue
            rows.append({"id": item["id"], "set": name, "y": y, "hard": a.evidence.hard,
                         "missing": a.evidence.missing, **a.evidence.values})
    return rows


def fit(rows: list[dict[str, Any]], recall_target: float = 0.95, folds: int = 5, seed: int = 0) -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import precision_recall_curve, roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from assistant.decision import FEATURES

    cos_all = np.array([r["best_cosine"] for r in rows])
    y_all = np.array([r["y"] for r in rows])
    topic_floor = float(np.percentile(cos_all[y_all == 1], 5))
    decided = [r for r in rows if not r["hard"] and not r["missing"]]  # the rest is decided by the checks
    checked_out = [r for r in rows if r["hard"] or r["missing"]]
    rows = decided
    x = np.array([[r[f] for f in FEATURES] for r in rows], dtype=float)
    y = np.array([r["y"] for r in rows])
    hard = np.array([bool(r["hard"]) for r in rows])

    def model() -> Any:
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000))

    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    oof = cross_val_predict(model(), x, y, cv=cv, method="predict_proba")[:, 1]
    oof = np.where(hard, 0.0, oof)  # the hard reasons abstain whatever the score
    precision, recall, thresholds = precision_recall_curve(y, oof)
    ok = [i for i in range(len(thresholds)) if recall[i] >= recall_target]
    best = max(ok, key=lambda i: thresholds[i])  # most not-covered caught while answerable recall >= target
    threshold = float(thresholds[best])
    final = model().fit(x, y)
    scaler, lr = final.steps[0][1], final.steps[1][1]
    pred = oof >= threshold
    return {
        "features": list(FEATURES), "weights": [float(w) for w in lr.coef_[0]], "bias": float(lr.intercept_[0]),
        "mean": [float(m) for m in scaler.mean_], "scale": [float(s) if s > 0 else 1.0 for s in scaler.scale_],
        "threshold": round(threshold, 4), "topic_floor": round(topic_floor, 4),
        "meta": {"items": len(y_all), "decided_by_checks": int(len(y_all) - len(rows)),
                 "checks_caught_not_covered": sum(1 for r in checked_out if r["y"] == 0),
                 "checks_caught_answerable": sum(1 for r in checked_out if r["y"] == 1),
                 "fitted_on": len(rows), "answerable": int(y.sum()), "not_covered": int((1 - y).sum()),
                 "folds": folds, "recall_target": recall_target, "cv_auc": round(float(roc_auc_score(y, oof)), 4),
                 "cv_answerable_recall": round(float(pred[y == 1].mean()), 4),
                 "cv_not_covered_recall": round(float((~pred[y == 0]).mean()), 4),
                 "cv_precision": round(float(y[pred].mean()), 4) if pred.any() else None,
                 "fitted": time.strftime("%Y-%m-%d")},
        "_curve": {"precision": precision.tolist(), "recall": recall.tolist(), "thresholds": thresholds.tolist()},
    }


def main(args: argparse.Namespace) -> int:
    from assistant.config import Settings
    from assistant.pipeline import Assistant

    settings = Settings.load(args.preset)
    a = Assistant(settings)
    a.build_index(progress=False)
    sets = (args.sets or ",".join(DEFAULT_SETS)).split(",")
    rows = collect(a, sets)
    result = fit(rows, args.recall)
    curve = result.pop("_curve")
    result["meta"]["sets"] = sets
    from assistant.decision import data_file

    out = Path(args.out) if args.out else Path(__file__).resolve().parent.parent / "assistant" / data_file(
        settings.embedding.kind)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    report = HERE / "reports" / ("fit" if settings.embedding.kind == "minilm" else f"fit-{settings.embedding.kind}")
    report.mkdir(parents=True, exist_ok=True)
    with (report / "features.jsonl").open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    (report / "fit.json").write_text(json.dumps({**result, "curve": curve}, indent=2), encoding="utf-8")
    from .plots import pr_curve_plot

    pr_curve_plot(report / "pr_curve.png", curve["precision"], curve["recall"], curve["thresholds"],
                  result["threshold"], "answerability, out-of-fold (" + ", ".join(sets) + ")")
    print(json.dumps(result["meta"], indent=2))
    for f, w in sorted(zip(result["features"], result["weights"], strict=True), key=lambda t: -abs(t[1])):
        print(f"  {f:16} {w:+.3f}")
    print(f"threshold {result['threshold']}, topic_floor {result['topic_floor']}; written to {out}")
    return 0
