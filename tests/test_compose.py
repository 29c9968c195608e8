"""The extractive composer's scoring: stems, the vocabulary bridge's spellings, one best sentence per part."""

from __future__ import annotations

from typing import Any

import numpy as np

from assistant.compose import Scored, overlap_score, part_answers, query_terms
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
