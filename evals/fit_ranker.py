"""``assistant fit --ranker``: fit the sentence ranker on the tuning sets' gold evidence, cross-validated.

For every answerable item of the fitting sets, every candidate sentence the composer sees (the sentences of the
top passages and of ``compose.deeper`` passages after them) is one row of :data:`assistant.ranking.FEATURES`,
labelled 1 when it holds gold evidence (the evidence string, or 70 % of it as one run, is inside the sentence,
or 70 % of the sentence is inside an evidence string: a list item or a clause of a longer evidence sentence).
A standardised logistic regression is fitted; its out-of-fold probabilities (5 folds grouped by question, so a
question's sentences never score themselves) choose the selection rule: the ``floor`` and ``ratio`` whose
picks, under the composer's own caps (sentences, characters, near-duplicates), give the highest mean key-fact
recall while showing no more characters per question, on average, than the score floors the composer used
before (a list counts whole, as it is shown; so a gain is a better choice, not a longer answer).  Writes
``assistant/data/ranker.json`` and ``evals/reports/fit-ranker/`` (the grid, the cross-validated figures).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from .harness import HERE, load_set
from .metrics import contains_fact, evidence_found

DEFAULT_SETS = ("dev", "train", "heldout", "heldout2", "fresh1", "fresh4", "fresh5", "train2", "fresh19")
FLOORS = (0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
RATIOS = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def holds_evidence(sentence: str, evidence: list[str]) -> bool:
    return any(evidence_found(e, sentence) or (len(sentence) >= 25 and evidence_found(sentence, e))
               for e in evidence)


def collect(assistant: Any, sets: list[str]) -> list[dict[str, Any]]:
    """One entry per answerable item: its candidates' features, labels, texts and the old rule's picks."""
    from assistant.compose import bare_lead, list_units, within_floor
    from assistant.errors import AssistantError

    cfg = assistant.settings.compose
    items = []
    for name in sets:
        for item in load_set(name):
            if item["expect"] == "abstain" or not item.get("evidence") or not item.get("must_include"):
                continue
            try:
                a = assistant.assess(item["question"], item.get("history") or [], decide_now=False)
            except AssistantError:
                continue
            if a.early is not None or a.draft is None or not a.draft.pool:
                continue
            scored = a.draft.scored
            old = [s.unit.id for s in scored if within_floor(s, scored[0], cfg)]
            shown = [list_units(s.unit, a.store) for s, _ in a.draft.pool]
            items.append({
                "id": item["id"], "set": name, "facts": item["must_include"],
                "units": [s.unit.id for s, _ in a.draft.pool],
                "texts": [s.unit.text for s, _ in a.draft.pool],
                "shown": [[u.id for u in us] for us in shown],
                "bare": [bare_lead(s.unit, a.store) for s, _ in a.draft.pool],
                "shown_texts": {u.id: u.text for us in shown for u in us},
                "x": [f for _, f in a.draft.pool],
                "y": [int(holds_evidence(s.unit.text, item["evidence"])) for s, _ in a.draft.pool],
                "old": old,
            })
    return items


def _shown(it: dict[str, Any], idx: list[int]) -> dict[str, str]:
    return {u: it["shown_texts"][u] for i in idx for u in it["shown"][i]}


def _pick(order: list[int], it: dict[str, Any], cfg: Any) -> list[int]:
    """The composer's rules over candidates in order: no bare lead-in, the caps on sentences and characters shown
    (a list whole), no near-duplicate."""
    from assistant.compose import jaccard

    texts = it["texts"]
    picked: list[int] = []
    for i in order:
        if len(picked) >= cfg.max_sentences:
            break
        if it["bare"][i]:
            continue
        if picked and sum(map(len, _shown(it, [*picked, i]).values())) > cfg.max_chars:
            continue
        if any(jaccard(texts[i], texts[j]) > cfg.dedup_jaccard for j in picked):
            continue
        picked.append(i)
    return picked


def outcome(items: list[dict[str, Any]], picks: list[list[int]]) -> dict[str, float]:
    recall, sizes, chars, precision = [], [], [], []
    for it, idx in zip(items, picks, strict=True):
        shown = _shown(it, idx)
        answer = " ".join(shown.values())
        recall.append(sum(contains_fact(answer, f) for f in it["facts"]) / len(it["facts"]))
        sizes.append(len(idx))
        chars.append(sum(map(len, shown.values())))
        precision.append(sum(it["y"][i] for i in idx) / len(idx) if idx else 0.0)
    return {"fact_recall": round(float(np.mean(recall)), 4), "sentences": round(float(np.mean(sizes)), 3),
            "chars": round(float(np.mean(chars)), 1), "precision": round(float(np.mean(precision)), 4)}


def fit(items: list[dict[str, Any]], cfg: Any, folds: int = 5, seed: int = 0) -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from assistant.ranking import FEATURES, Ranker, select

    x = np.array([[row[f] for f in FEATURES] for it in items for row in it["x"]], dtype=float)
    y = np.array([v for it in items for v in it["y"]])
    groups = np.array([k for k, it in enumerate(items) for _ in it["y"]])

    def model() -> Any:
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=4000))

    oof = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=folds, shuffle=True, random_state=seed).split(x, y, groups):
        oof[test] = model().fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    base_auc = roc_auc_score(y, x[:, FEATURES.index("score")])
    # The old rule, simulated with the same caps: the composer score's floors over the top passages.
    old_picks = []
    for it in items:
        pos = {u: i for i, u in enumerate(it["units"])}
        old_picks.append(_pick([pos[u] for u in it["old"] if u in pos], it, cfg))
    old = outcome(items, old_picks)
    probs, at = [], 0
    for it in items:
        probs.append(list(oof[at:at + len(it["y"])]))
        at += len(it["y"])
    grid = []
    for floor in FLOORS:
        for ratio in RATIOS:
            picks = [_pick(select(p, floor, ratio), it, cfg) for it, p in zip(items, probs, strict=True)]
            grid.append({"floor": floor, "ratio": ratio, **outcome(items, picks)})
    allowed = [g for g in grid if g["chars"] <= old["chars"]]
    best = max(allowed, key=lambda g: (g["fact_recall"], g["precision"]))
    final = model().fit(x, y)
    scaler, lr = final.steps[0][1], final.steps[1][1]
    ranker = Ranker(tuple(float(m) for m in scaler.mean_), tuple(float(s) if s > 0 else 1.0 for s in scaler.scale_),
                    tuple(float(w) for w in lr.coef_[0]), float(lr.intercept_[0]), best["floor"], best["ratio"],
                    {"questions": len(items), "sentences": int(len(y)), "positives": int(y.sum()), "folds": folds,
                     "cv_auc": round(float(roc_auc_score(y, oof)), 4),
                     "composer_score_auc": round(float(base_auc), 4),
                     "cv_selection": {k: best[k] for k in ("fact_recall", "sentences", "chars", "precision")},
                     "score_floors_selection": old, "fitted": time.strftime("%Y-%m-%d")})
    return {"ranker": ranker, "grid": grid}


def main(args: argparse.Namespace) -> int:
    from assistant.config import Settings
    from assistant.pipeline import Assistant
    from assistant.ranking import DATA

    settings = Settings.load(args.preset)
    # the candidates do not depend on the ranker; collecting without it also works when the packaged ranker was
    # fitted on other features
    a = Assistant(settings.model_copy(update={"compose": settings.compose.model_copy(update={"ranker": False})}))
    a.build_index(progress=False)
    sets = args.sets.split(",") if args.sets else list(DEFAULT_SETS)
    items = collect(a, sets)
    result = fit(items, settings.compose)
    ranker = result["ranker"]
    ranker.meta["sets"] = sets
    kind = settings.embedding.kind
    name = DATA if kind == "minilm" else DATA.replace(".json", f"-{kind}.json")
    out = Path(args.out) if args.out else Path(__file__).resolve().parent.parent / "assistant" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(ranker.to_dict(), indent=2) + "\n", encoding="utf-8")
    report = HERE / "reports" / ("fit-ranker" if kind == "minilm" else f"fit-ranker-{kind}")
    report.mkdir(parents=True, exist_ok=True)
    (report / "fit.json").write_text(json.dumps({**ranker.to_dict(), "grid": result["grid"]}, indent=2),
                                     encoding="utf-8")
    print(json.dumps(ranker.meta, indent=2))
    for f, w in sorted(zip(ranker.to_dict()["features"], ranker.coef, strict=True), key=lambda t: -abs(t[1])):
        print(f"  {f:18} {w:+.3f}")
    print(f"floor {ranker.floor}, ratio {ranker.ratio}; written to {out}")
    return 0
