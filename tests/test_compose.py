"""The extractive composer's scoring: stems, the vocabulary bridge's spellings, one best sentence per part."""

from __future__ import annotations

from typing import Any

import numpy as np

from assistant.compose import Draft, Scored, overlap_score, part_answers, query_terms
from assistant.config import Settings
from assistant.types import Chunk, Passage, Unit


def test_overlap_compares_light_stems() -> None:
    terms = query_terms("can the cycle be extended", {})
    assert overlap_score(terms, "Cycles may be extended to 28 days.") == 1.0


def test_a_bridged_term_finds_every_spelling_the_documents_use() -> None:
    """'side effects' and 'toxicities' are one term of the bridge; an unrelated sentence gets nothing for it."""
    terms = query_terms("main side effects of nelarabine", {})
    tox = overlap_score(terms, "Other common toxicities include pyrexia (nelarabine).")
    assert tox > overlap_score(terms, "Different doses are recommended (nelarabine).")


class _Store:
    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self.vectors = vectors

    def unit_vector(self, uid: str) -> np.ndarray:
        return self.vectors[uid]


def _scored(uid: str, text: str, score: float) -> Scored:
    u = Unit(uid, "004", 0, len(text), text, "Nelarabine")
    return Scored(u, score, score, 0.0, Passage(Chunk(uid, "004", "Nelarabine", 0, len(text), text, (uid,))))


def test_each_part_of_a_two_part_question_gets_its_best_sentence() -> None:
    """The part the picked sentence leaves open ('main tox to watch for') gets the sentence closest to it."""
    e_tox, e_b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    store: Any = _Store({"tox": e_tox, "b": e_b, "dose": np.array([0.3, 0.3])})
    scored = [_scored("b", "It has considerably less activity in B-lineage ALL.", 0.55),
              _scored("dose", "Different doses and schedules are recommended.", 0.40),
              _scored("tox", "Neurotoxicity, which can be severe, is dose-limiting.", 0.36)]

    def embed(texts: list[str]) -> np.ndarray:
        assert all("nelarabine" in t for t in texts)  # the drug the question names goes with every part
        return np.array([e_tox if "watch" in t else e_b for t in texts])

    q = "main side effects to watch for? and is it any use in B-lineage disease (nelarabine)"
    cfg = Settings.load(env={}).compose
    extra = part_answers(q, scored, [scored[0]], {}, cfg, store, embed)
    assert [s.unit.id for s in extra] == ["tox"]
    # the part already answered by a picked sentence adds nothing
    assert part_answers(q, scored, [scored[0], scored[2]], {}, cfg, store, embed) == []


def test_the_statement_that_gives_what_was_asked_goes_first_with_its_citation() -> None:
    from assistant.compose import Draft, answer_first
    from assistant.types import Statement

    d = Draft(best_score=1.0)
    d.statements = [Statement("Clolar is approved for children.", [1]), Statement("It had a 26% response.", [1]),
                    Statement("Clofarabine is approved for ages 1-21.", [2]),
                    Statement("In this population, the dosage is 52 mg/m2/day.", [2])]
    answer_first(d, lambda t: "mg/m2" in t)
    assert [s.cites[0] for s in d.statements] == [2, 2, 1, 1]  # the dose's citation, its context first
    assert d.statements[1].text.startswith("In this population")


def test_neighbours_of_the_best_sentence_are_held_to_a_lower_floor() -> None:
    from assistant.compose import within_floor

    cfg = Settings.load(env={}).compose
    best = _scored("dose", "The dose is 28 mcg/day.", 0.60)
    same = Scored(Unit("sched", "004", 30, 60, "It is given for 4 weeks.", "Nelarabine"), 0.45, 0.45, 0.0,
                  best.passage)  # 0.75 of the best, in the best sentence's passage
    other = _scored("other", "Another drug is given for 4 weeks.", 0.45)  # 0.75 of the best, elsewhere
    assert within_floor(same, best, cfg) and not within_floor(other, best, cfg)
    assert not within_floor(_scored("low", "Unrelated.", 0.30), best, cfg)


def test_a_figure_joins_the_quote_that_holds_its_context(fake_assistant) -> None:  # noqa: ANN001
    """"Following completion of the first block ... 81%" leans on "This study evaluated ... in first marrow
    relapse", which is quoted already with the sentence before it: the figure joins that quote (one citation)."""
    from assistant.compose import Draft, Scored, _build
    from assistant.types import Chunk, Passage

    store = fake_assistant.store
    units = sorted((u for u in store.units.values() if u.doc_id == "000"), key=lambda u: u.position)
    figure = next(u for u in units if u.text.startswith("Following completion of the first block"))
    study = next(u for u in units if u.position == figure.position - 1)
    opener = next(u for u in units if u.position == figure.position - 2)
    assert study.text.startswith("This study evaluated") and "first marrow relapse" in study.text
    chunk = Chunk("c", "000", figure.section, 0, 1, "", (opener.id, study.id, figure.id))
    picked = [Scored(u, 1.0 - i / 10, 0.5, 0.5, Passage(chunk)) for i, u in enumerate((opener, study, figure))]
    draft = Draft()
    _build(draft, picked, store)
    assert len(draft.citations) == 1
    assert {st.cites[0] for st in draft.statements} == {1}
    assert draft.citations[0].quote.endswith("81%.") and "first marrow relapse" in draft.citations[0].quote


def test_a_lead_in_whose_list_is_paragraphs_brings_them(fake_assistant):
    """"... pretreatment evaluation should include:" is followed by a paragraph per test, not list items: showing
    the lead-in shows the sentences after it in its section (up to INTRODUCED_CHARS), once."""
    from assistant.compose import INTRODUCED_CHARS, _build, bare_lead, list_units

    store = fake_assistant.store
    lead = next(u for u in store.units.values() if u.text.startswith("Once relapsed disease is identified"))
    shown = list_units(lead, store)
    assert not bare_lead(lead, store) and shown[0] is lead and len(shown) > 2
    assert shown[1].text.startswith("Human leukocyte antigen (HLA) typing")
    assert all(u.section == lead.section for u in shown)
    assert sum(len(u.text) for u in shown[1:-1]) <= INTRODUCED_CHARS
    # a sentence of the block picked on its own as well is quoted once, with the lead-in
    follower = shown[2]
    chunk = store.chunk_of(lead.id)
    picked = [Scored(lead, 0.9, 0.9, 0.9, Passage(chunk)), Scored(follower, 0.5, 0.5, 0.5, Passage(chunk))]
    draft = Draft()
    _build(draft, picked, store)
    assert len(draft.citations) == 1 and [st.unit_id for st in draft.statements] == [u.id for u in shown]
