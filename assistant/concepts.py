"""Concept retrieval: chunks ranked by the clinical terms they share with the question, through the bridge.

BM25 counts words, so a question that names "workup" finds the chunks repeating "relapsed" and "refractory"
before the one section that says "pretreatment evaluation" once.  Here a term counts once, in whatever spelling
the vocabulary bridge knows it by ("workup", "work-up", "pretreatment evaluation" are one term), weighted by how
rare it is among the chunks (log N / df), so the rare term the question is about leads.  Pure over texts and
the bridge.

    concept_sets(texts) -> [terms of each text]
    concept_ranking(question_terms, chunk_terms, n) -> row numbers, best first
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
    """The ``n`` rows sharing most rare terms with the question (sum of log(N / df) over shared terms), with
    their scores; rows sharing none are left out, ties keep row order."""
    if not question_terms or not chunk_terms:
        return []
    df = Counter(t for terms in chunk_terms for t in terms & question_terms)
    total = len(chunk_terms)
    weight = {t: math.log(total / d) for t, d in df.items() if d < total}
    scored = [(i, sum(weight.get(t, 0.0) for t in terms & question_terms)) for i, terms in enumerate(chunk_terms)]
    scored = [(i, s) for i, s in scored if s > 0]
    return sorted(scored, key=lambda x: (-x[1], x[0]))[:n]
