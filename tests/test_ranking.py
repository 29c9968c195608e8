"""The fitted sentence ranker: features, the selection rule, the packaged fit, and how the composer uses it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.compose import Scored
from assistant.ranking import FEATURES, Ranker, cues, features, load_ranker, select, top_of
from assistant.types import Chunk, Passage, Unit


def _scored(uid: str, text: str, score: float, chunk: str = "c1", cosine: float = 0.5, overlap: float = 0.5,
            kind: str = "sentence", dense: int | None = 0, bm25: int | None = 0,
            section: str = "Relapse > Clofarabine") -> Scored:
    unit = Unit(uid, "002", 0, len(text), text, section, kind)  # type: ignore[arg-type]
    passage = Passage(Chunk(chunk, "002", section, 0, 10, text, (uid,)), 1.0, dense, bm25, 0.5)
    return Scored(unit, score, cosine, overlap, passage)


def test_select_keeps_the_best_and_those_above_both_floors() -> None:
    probs = [0.1, 0.9, 0.5, 0.3, 0.02]
    assert select(probs, floor=0.2, ratio=0.5) == [1, 2]
    assert select(probs, floor=0.05, ratio=0.0) == [1, 2, 3, 0]
    assert select([0.01], floor=0.5, ratio=0.9) == [0]  # the best is always a candidate
    assert select([], 0.1, 0.1) == []


def test_features_read_the_question_cues() -> None:
    q = cues("What dose of clofarabine is used in children?", "What dose of clofarabine is used in children?")
    assert q.dose and "clofarabine" in {t.lower() for t in q.treatments}
    dose = _scored("u1", "In pediatric patients, clofarabine 52 mg/m2 IV is given daily for 5 days.", 0.7)
    other = _scored("u2", "Nelarabine is approved for T-cell disease in adults.", 0.5, chunk="c2", dense=9,
                    bm25=None, section="Relapse > Other agents")
    pool = [dose, other]
    ranks = {"c1": 0, "c2": 6}
    f_dose = features(dose, top_of(pool), q, ranks, top_k=5)
    f_other = features(other, top_of(pool), q, ranks, top_k=5)
    assert set(f_dose) == set(FEATURES)
    assert f_dose["dose_unit"] == 1.0 and f_other["dose_unit"] == 0.0
    assert f_dose["drug_named"] == 1.0 and f_other["drug_other"] == 1.0
    assert f_other["deeper"] == 1.0 and f_dose["deeper"] == 0.0
    assert f_dose["score_gap"] == 0.0 and f_other["score_gap"] < 0
    assert f_dose["best_passage"] == 1.0 and f_other["best_passage"] == 0.0
    assert f_dose["agreement"] == 1.0 and f_other["agreement"] == 0.0


@pytest.mark.parametrize("question,several", [
    ("what tests should be done before salvage", True),
    ("which other drugs can be combined", True),
    ("what are the options for ph+ relapse", True),
    ("list the side effects", True),
    ("what does blinatumomab do", False),
    ("what is the dose", False),
    ("is kymriah approved for adults", False),
    ("what are his chances now", False),  # a plural that asks for one value
    ("what are the odds of a second remission", False),
])
def test_a_question_asking_for_several_things(question: str, several: bool) -> None:
    from assistant.ranking import asks_several

    assert asks_several(question) is several


def test_list_parts_are_wanted_by_a_question_for_several_things_and_neighbours_are_marked() -> None:
    lead = _scored("u1", "Supportive therapies may include:", 0.6, kind="lead")
    after = _scored("u2", "Transfusions of blood products.", 0.4, kind="item")
    far = _scored("u3", "Leukapheresis lowers a very high count.", 0.3)
    lead.unit = Unit("u1", "002", 0, 10, lead.unit.text, lead.unit.section, "lead", position=4)
    after.unit = Unit("u2", "002", 11, 20, after.unit.text, after.unit.section, "item", "u1", position=5)
    far.unit = Unit("u3", "002", 30, 40, far.unit.text, far.unit.section, "sentence", position=9)
    pool = [lead, after, far]
    several = cues("what supportive treatments will he get", "what supportive treatments will he get")
    one = cues("is leukapheresis painful", "is leukapheresis painful")
    rows = {s.unit.id: features(s, top_of(pool), several, {"c1": 0}, 5) for s in pool}
    assert rows["u2"]["list_wanted"] == 1.0 and rows["u3"]["list_wanted"] == 0.0
    assert features(after, top_of(pool), one, {"c1": 0}, 5)["list_wanted"] == 0.0
    assert rows["u2"]["adjacent"] == 1.0 and rows["u3"]["adjacent"] == 0.0 and rows["u1"]["adjacent"] == 0.0


def test_value_features_follow_the_answer_type() -> None:
    q = cues("how long does each cycle last", "how long does each cycle last")
    assert q.kind == "duration"
    gives = _scored("u1", "Each cycle lasts 4 weeks.", 0.6)
    none = _scored("u2", "Blinatumomab is a bispecific antibody.", 0.6)
    f1 = features(gives, top_of([gives, none]), q, {"c1": 0}, 5)
    f2 = features(none, top_of([gives, none]), q, {"c1": 0}, 5)
    assert (f1["value_given"], f1["value_missing"]) == (1.0, 0.0)
    assert (f2["value_given"], f2["value_missing"]) == (0.0, 1.0)


def test_the_focus_feature_is_the_share_of_what_the_asking_clause_is_about() -> None:
    q = cues("what supportive care might my kid get", "what supportive care might my kid get")
    lead = _scored("u1", "Supportive care given during treatment for relapsed ALL may include:", 0.4,
                   section="Relapse > Treatment")
    other = _scored("u2", "Only 5-10% of children will have a recurrence in the brain.", 0.5,
                    section="Relapse > Treatment")
    top = top_of([lead, other])
    assert features(lead, top, q, {"c1": 0}, 5)["focus"] > features(other, top, q, {"c1": 0}, 5)["focus"] == 0.0


def _ranker(**weights: float) -> Ranker:
    coef = tuple(weights.get(f, 0.0) for f in FEATURES)
    return Ranker(tuple(0.0 for _ in FEATURES), tuple(1.0 for _ in FEATURES), coef, 0.0, 0.1, 0.5, {})


def test_probability_follows_the_weights_and_round_trips() -> None:
    r = _ranker(dose_unit=3.0, deeper=-2.0)
    base = dict.fromkeys(FEATURES, 0.0)
    assert r.probability(base) == pytest.approx(0.5)
    assert r.probability({**base, "dose_unit": 1.0}) > 0.9
    assert r.probability({**base, "deeper": 1.0}) < 0.2
    assert Ranker.from_dict(json.loads(json.dumps(r.to_dict()))) == r


def test_a_ranker_fitted_on_other_features_is_refused() -> None:
    d = _ranker().to_dict()
    d["features"] = d["features"][:-1]
    with pytest.raises(ValueError, match="fit --ranker"):
        Ranker.from_dict(d)


def test_packaged_ranker_is_fitted_and_beats_the_composer_score() -> None:
    r = load_ranker("minilm")
    assert r is not None
    meta = r.meta
    assert meta["cv_auc"] > meta["composer_score_auc"]
    assert meta["cv_selection"]["fact_recall"] >= meta["score_floors_selection"]["fact_recall"]
    assert meta["cv_selection"]["chars"] <= meta["score_floors_selection"]["chars"]
    assert 0.0 <= r.floor <= 1.0 and 0.0 <= r.ratio <= 1.0
    assert not {"fresh2", "fresh3", "fresh6", "fresh7", "fresh8", "fresh9"} & set(meta["sets"])


def test_composer_puts_the_ranker_s_choice_first(fake_assistant) -> None:  # noqa: ANN001
    """With a ranker that only values a stated dose, the dose sentence leads the answer."""
    from assistant.compose import compose

    a = fake_assistant
    store, retriever, idf = a._snapshot()
    question = "what dose of clofarabine for kids"
    got = retriever.retrieve(question)
    ranker = _ranker(dose_unit=6.0, list_part=-6.0)
    draft = compose(question, got.query_vector, got.passages, store, idf, a.settings.compose,
                    reserve=got.reserve, asking=question, ranker=ranker)
    assert draft.pool and draft.statements
    assert any(f["dose_unit"] for _, f in draft.pool)
    first = draft.statements[0].cites[0]  # the first citation: the dose, quoted with the sentence it leans on
    assert "mg" in next(c.quote for c in draft.citations if c.n == first)
    # the decision still reads the composer score over the top passages, whatever ranks the sentences
    plain = compose(question, got.query_vector, got.passages, store, idf, a.settings.compose)
    assert [s.unit.id for s in plain.scored] == [s.unit.id for s in draft.scored]
    assert plain.best_score == draft.best_score
    assert np.isfinite([ranker.probability(f) for _, f in draft.pool]).all()


def test_fit_labels_and_simulated_picks() -> None:
    """The fit's label rule and its simulation of the composer's picks (bare lead-in, shown length, duplicates)."""
    from types import SimpleNamespace

    from evals.fit_ranker import _pick, holds_evidence, outcome

    ev = ["Treatment cycles consist of 4 wk continuous IV infusion with at least a 2-wk treatment-free interval."]
    assert holds_evidence("Treatment cycles consist of 4 wk continuous IV infusion with at least a 2-wk "
                          "treatment-free interval between cycles.", ev)
    assert holds_evidence("4 wk continuous IV infusion with at least a 2-wk treatment-free interval", ev)
    assert not holds_evidence("Blinatumomab is a bispecific antibody.", ev)
    it = {"texts": ["Pretreatment evaluation should include:", "A dose of 52 mg/m2 is given.",
                    "A dose of 52 mg/m2 is given daily.", "x" * 90, "Each cycle lasts 28 days."],
          "shown": [["a"], ["b"], ["c"], ["d"], ["e"]],
          "shown_texts": {"a": "Pretreatment evaluation should include:", "b": "A dose of 52 mg/m2 is given.",
                          "c": "A dose of 52 mg/m2 is given daily.", "d": "x" * 90,
                          "e": "Each cycle lasts 28 days."},
          "bare": [True, False, False, False, False], "y": [0, 1, 0, 0, 1], "facts": ["52 mg/m2", "28 days"]}
    cfg = SimpleNamespace(max_sentences=6, max_chars=80, dedup_jaccard=0.6)
    picked = _pick([0, 1, 2, 3, 4], it, cfg)
    assert picked == [1, 4]  # no bare lead-in, no near-duplicate, nothing past the 80 characters shown
    got = outcome([it], [picked])
    assert got["fact_recall"] == 1.0 and got["precision"] == 1.0 and got["sentences"] == 2
