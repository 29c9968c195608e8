"""Reorder the fused passages by the sentences they hold.

Reciprocal-rank fusion ranks a passage by where dense and BM25 retrieval put it; a passage that one of them
ranks first and the other misses falls behind passages both rank in the middle, and a passage whose best
sentence answers the question is not told from one that merely shares its words.  So the fused top
``depth`` passages are ranked a second time, by their best sentence's composer score (embedding cosine of
the sentence to the question, idf-weighted concept overlap through the vocabulary bridge: what the composer
will pick from), and the two rankings are fused again (``k`` and ``weight``: reciprocal-rank constant and the
sentence ranking's weight, chosen by leave-one-set-out cross-validation over the tuning sets,
``evals/fit_rerank.py``).  Pure over its inputs.
"""

from __future__ import annotations

import numpy as np

from .compose import score_units
from .retrieve import Store
from .types import Passage


def best_sentence_scores(question: str, qvec: np.ndarray, passages: list[Passage], store: Store,
                         idf: dict[str, float]) -> dict[str, float]:
    """Each passage's best sentence score (a sentence shared by two overlapping passages counts for both)."""
    by_unit = {s.unit.id: s.score for s in score_units(question, qvec, passages, store, idf)}
    return {p.chunk.id: max((by_unit[u] for u in p.chunk.unit_ids if u in by_unit), default=0.0)
            for p in passages}


def fuse_ranks(order: list[str], other: list[str], k: float, weight: float) -> list[str]:
    """``order`` re-sorted by reciprocal-rank fusion with ``other`` (weighted by ``weight``); stable on ties."""
    score = {c: 1.0 / (k + r + 1) for r, c in enumerate(order)}
    for r, c in enumerate(other):
        score[c] = score.get(c, 0.0) + weight / (k + r + 1)
    return sorted(order, key=lambda c: -score[c])


def by_best_sentence(question: str, qvec: np.ndarray, passages: list[Passage], store: Store,
                     idf: dict[str, float], depth: int, k: float, weight: float) -> list[Passage]:
    """``passages`` (fused order) with the first ``depth`` reordered by fusing in their best-sentence order."""
    head, tail = passages[:depth], passages[depth:]
    if len(head) < 2 or weight <= 0:
        return passages
    best = best_sentence_scores(question, qvec, head, store, idf)
    by_sentence = sorted((p.chunk.id for p in head), key=lambda c: -best[c])
    order = fuse_ranks([p.chunk.id for p in head], by_sentence, k, weight)
    by_id = {p.chunk.id: p for p in head}
    return [by_id[c] for c in order] + tail
