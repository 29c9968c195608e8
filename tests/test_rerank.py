"""Reordering the fused passages by their best sentence (``retrieval.rerank_depth``, off by default)."""

from assistant.compose import fused_rank, score_units
from assistant.rerank import best_sentence_scores, by_best_sentence, fuse_ranks
from assistant.retrieve import Retriever

Q = "clofarabine dose in pediatric patients"


def test_fuse_ranks_moves_what_the_second_ranking_puts_first():
    # "d": 1/9 + 2/6 beats "b": 1/7 + 2/8, not "a": 1/6 + 2/7
    assert fuse_ranks(["a", "b", "c", "d"], ["d", "a", "b", "c"], k=5, weight=2) == ["a", "d", "b", "c"]
    assert fuse_ranks(["a", "b", "c"], [], k=5, weight=2) == ["a", "b", "c"]  # nothing to fuse in: order kept
    # a light second ranking only breaks near-ties
    assert fuse_ranks(["a", "b", "c"], ["c", "b", "a"], k=60, weight=0.01)[0] == "a"


def test_best_sentence_score_is_the_passages_best_units_composer_score(fake_assistant):
    r = fake_assistant.retriever.retrieve(Q, top_k=8)
    store, idf = fake_assistant.store, fake_assistant.retriever.idf
    best = best_sentence_scores(Q, r.query_vector, r.passages, store, idf)
    assert set(best) == {p.chunk.id for p in r.passages}
    top = score_units(Q, r.query_vector, r.passages, store, idf)[0]
    assert max(best.values()) == top.score and best[top.passage.chunk.id] == top.score


def test_reordering_keeps_the_passages_and_their_fused_ranks(fake_assistant):
    r = fake_assistant.retriever.retrieve(Q, top_k=20)
    every = r.passages + r.reserve
    out = by_best_sentence(Q, r.query_vector, every, fake_assistant.store, fake_assistant.retriever.idf, depth=10,
                           k=5, weight=2)
    assert sorted(p.chunk.id for p in out) == sorted(p.chunk.id for p in every)
    assert [p.chunk.id for p in out[10:]] == [p.chunk.id for p in every[10:]]  # below the depth: untouched
    assert [p.fused_rank for p in every] == list(range(len(every)))
    # the composer's features read the fused rank, not the new place
    assert all(fused_rank(p, place) == p.fused_rank for place, p in enumerate(out))
    assert by_best_sentence(Q, r.query_vector, every, fake_assistant.store, {}, depth=10, k=5, weight=0) == every


def test_the_setting_reorders_hybrid_retrieval_only(fake_assistant):
    assert fake_assistant.settings.retrieval.rerank_depth == 0
    on = fake_assistant.settings.model_copy(deep=True)
    on.retrieval.rerank_depth = 20
    retriever = Retriever(fake_assistant.store, fake_assistant.retriever.embedder, on)
    r = retriever.retrieve(Q, question=Q)
    assert "rerank" in r.timings_ms and len(r.passages) == on.retrieval.top_k
    assert len(r.passages) + len(r.reserve) >= 20
    assert "rerank" not in retriever.retrieve(Q, strategy="dense").timings_ms
