"""The leave-one-set-out choice of ``retrieval.audience_weight`` (``python -m evals.fit_audience``)."""

from evals.fit_audience import loso


def _table(rows: dict[float, dict[str, float]]) -> dict[float, dict[str, dict]]:
    return {w: {s: {"fact_recall": v} for s, v in per.items()} for w, per in rows.items()}


def test_each_set_is_scored_with_the_weight_the_other_sets_chose() -> None:
    table = _table({0.0: {"a": 0.5, "b": 0.5, "c": 0.5},
                    0.25: {"a": 0.9, "b": 0.6, "c": 0.6},
                    0.5: {"a": 0.4, "b": 0.7, "c": 0.7}})
    r = loso(table)
    # held out a: b and c prefer 0.5 (0.7 > 0.6), so a is scored at 0.5 -> 0.4, below its best
    assert r["folds"]["a"] == {"chosen": 0.5, "held_out": 0.4, "off": 0.5}
    # held out b: a and c average 0.75 at 0.25, 0.55 at 0.5
    assert r["folds"]["b"]["chosen"] == 0.25 and r["folds"]["b"]["held_out"] == 0.6
    assert r["chosen_on_all"] == 0.25  # mean 0.7 on all three sets, against 0.6 at 0.5 and 0.5 off
    assert abs(r["off_mean"] - 0.5) < 1e-9
