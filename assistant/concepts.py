"""Concept retrieval: chunks ranked by the clinical terms they share with the question, through the bridge.

BM25 counts words, so a question that names "workup" finds the chunks repeating "relapsed" and "refractory"
before the one section that says "pretreatment evaluation" once.  Here a term counts once, in whatever spelling
the vocabulary bridge knows it by ("workup", "work-up", "pretreatment evaluation" are one term), weighted by how
rare it is among the chunks (BM25's idf, log((N - df + 0.5) / (df + 0.5)): a term in half of them or more weighs
nothing), so the rare term the question is about leads.  Chunks with equal scores share one rank (the mean of
their places): a question naming only "relapse" says nothing about which of the chunks naming it to read first.
Pure over texts and the bridge.

    concept_sets(texts) -> [terms of each text]
    concept_ranking(question_terms, chunk_terms, n) -> (row number, score), best first
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from .vocabulary import load_vocabulary


def terms_of(text: str) -> frozenset[str]:
    """The canonical names of the bridge's terms ``text`` names (corpus spellings and variants alike)."""
    return frozenset(g.canonical for g, _ in load_vocabulary().lexicon.find(text))


def concept_sets(texts: Sequence[str]) -> list[frozenset[str]]:
    return [terms_of(t) for t in texts]


def concept_ranking(question_terms: frozenset[str], chunk_terms: Sequence[frozenset[str]], n: int
                    ) -> list[tuple[int, float]]:
    """The ``n`` rows sharing most rare terms with the question (sum of the shared terms' idf), with
    their scores; rows sharing none are left out, ties keep row order."""
    if not question_terms or not chunk_terms:
        return []
    df = Counter(t for terms in chunk_terms for t in terms & question_terms)
    total = len(chunk_terms)
    # Robertson / Sparck Jones idf, as BM25's: a term in half the chunks or more says nothing about which to read
    weight = {t: w for t, d in df.items() if (w := math.log((total - d + 0.5) / (d + 0.5))) > 0}
    scored = [(i, sum(weight.get(t, 0.0) for t in terms & question_terms)) for i, terms in enumerate(chunk_terms)]
    scored = [(i, s) for i, s in scored if s > 0]
    return sorted(scored, key=lambda x: (-x[1], x[0]))[:n]

