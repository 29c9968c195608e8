"""Dense (Chroma) + lexical (BM25) retrieval, fused with reciprocal rank fusion.

:class:`Store` opens the live index build once (chunks, units, unit vectors,
BM25) and checks it; :func:`rrf` and :func:`tokenize` are pure.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .config import Settings
from .corpus import corpus_hash, load_corpus
from .embedders import Embedder
from .errors import IndexDamagedError, IndexError_
from .index import open_build, require_pointer, sources_dir
from .lexicon import load_lexicon
from .types import Chunk, Document, Passage, Unit

STOPWORDS = frozenset("""a an and are as at be been being but by can could did do does doing for from had has have
how i if in into is it its me my of on or our should so than that the their them then there these they this to
was we were what when where which who whom why will with would you your about after before also any more most
other some such only own same too very just am s t don now tell please know""".split())
TOKEN = re.compile(r"[a-z0-9]+(?:[-/+][a-z0-9]+)*\+?")


def tokenize(text: str) -> list[str]:
    """Lowercased content tokens; hyphenated words also yield their parts."""
    out: list[str] = []
    for tok in TOKEN.findall(text.lower().replace("²", "2")):
        if tok in STOPWORDS:
            continue
        out.append(tok)
        if "-" in tok:
            out.extend(p for p in tok.split("-") if p and p not in STOPWORDS)
    return out


STRICT_SUFFIXES = ("ing", "ed", "es", "s")
LOOSE_SUFFIXES = ("ations", "ation", "ing", "ed", "es", "s", "e")


@lru_cache(maxsize=1 << 16)  # pure, and called for every word of every candidate sentence
def light_stem(word: str, loose: bool = False) -> str:
    """Strip one suffix, keeping at least 3 letters.

    Strict (the support rule): -ing, -ed, -es, -s.  Loose (matching a question's focus): also -ation(s) and -e,
    and a doubled consonant left by -ed/-ing is undone: "cured", "cure" -> "cur"; "occurred" -> "occur".
    """
    for suffix in LOOSE_SUFFIXES if loose else STRICT_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            if loose and suffix in ("ing", "ed") and stem[-1] == stem[-2] and stem[-1] not in "lsz":
                stem = stem[:-1]
            return stem
    return word


def rrf(rankings: Iterable[list[str] | dict[str, float]], k: int = 60, weights: Iterable[float] | None = None
        ) -> list[tuple[str, float]]:
    """Reciprocal rank fusion of several best-first id lists (each weighted, 1.0 by default); a ranking given as
    {id: rank from 0} may give tied ids one rank."""
    scores: dict[str, float] = {}
    rankings = list(rankings)
    for ranking, weight in zip(rankings, list(weights) if weights is not None else [1.0] * len(rankings),
                               strict=True):
        ranks = ranking.items() if isinstance(ranking, dict) else ((item, r) for r, item in enumerate(ranking))
        for item, rank in ranks:
            scores[item] = scores.get(item, 0.0) + weight / (k + rank + 1)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def tied_ranks(ranking: Sequence[tuple[str, float]]) -> dict[str, float]:
    """Each id's rank (from 0) in a best-first scored list, ids with equal scores sharing the mean of their
    places: [("a", 2), ("b", 1), ("c", 1)] -> {"a": 0, "b": 1.5, "c": 1.5}."""
    out: dict[str, float] = {}
    i = 0
    while i < len(ranking):
        j = i
        while j + 1 < len(ranking) and ranking[j + 1][1] == ranking[i][1]:
            j += 1
        for k in range(i, j + 1):
            out[ranking[k][0]] = (i + j) / 2
        i = j + 1
    return out


def expand_query(question: str, dense: bool = False) -> str:
    """The question plus other names of the drugs, therapies and abbreviations it mentions."""
    lex = load_lexicon()
    if dense:
        extra = [n for g, name in lex.find(question, ("drug", "therapy"))
                 for n in g.names[:2] if n.lower() != name.lower()]
    else:
        extra = lex.expand(question)
    return question if not extra else f"{question} ({'; '.join(dict.fromkeys(extra))})"


@dataclass
class Store:
    """The live index build, opened and checked once."""

    settings: Settings
    docs: dict[str, Document]
    chunks: dict[str, Chunk]
    units: dict[str, Unit]
    unit_vectors: np.ndarray
    unit_rows: dict[str, int]
    collection: Any
    build: str
    bm25: Any = None
    chunk_order: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder) -> Store:
        ptr = require_pointer(settings)
        if ptr.get("model") != embedder.name:
            raise IndexError_(f"The index was built with {ptr.get('model')}, not {embedder.name}.")
        ccol, ucol = open_build(settings, ptr)
        try:
            cgot = ccol.get(include=["documents", "metadatas"])
            ugot = ucol.get(include=["documents", "metadatas", "embeddings"])
        except Exception as exc:
            raise IndexDamagedError(f"The index build {ptr['build']} cannot be read ({exc}).") from exc
        if len(cgot["ids"]) != ptr["chunks"] or len(ugot["ids"]) != ptr["units"]:
            raise IndexDamagedError(
                f"The index holds {len(cgot['ids'])} chunks and {len(ugot['ids'])} sentences; "
                f"its manifest says {ptr['chunks']} and {ptr['units']}.")
        chunks = {i: _chunk(i, d, m) for i, d, m in zip(cgot["ids"], cgot["documents"], cgot["metadatas"],
                                                         strict=True)}
        units = {i: _unit(i, d, m) for i, d, m in zip(ugot["ids"], ugot["documents"], ugot["metadatas"],
                                                       strict=True)}
        snapshot = sources_dir(settings.index.dir, ptr["build"])
        if snapshot.is_dir():  # the exact texts this build was made from
            corpus = load_corpus(snapshot, settings.corpus.manifest)
            if ptr.get("corpus_hash") != corpus_hash(corpus):
                raise IndexDamagedError(f"The source copy {snapshot} does not match the index build.")
        else:  # a build from before source copies were kept: the corpus must be unchanged
            corpus = load_corpus(Path(settings.corpus.dir), settings.corpus.manifest)
            if ptr.get("corpus_hash") != corpus_hash(corpus):  # its spans would point into other text
                raise IndexError_(f"The index in {settings.index.dir} is out of date: it was built from other "
                                  f"versions of the source files than those in {settings.corpus.dir}.")
        docs = {d.id: d for d in corpus}
        store = cls(settings, docs, chunks, units, np.asarray(ugot["embeddings"], dtype=np.float32),
                    {i: r for r, i in enumerate(ugot["ids"])}, ccol, ptr["build"])
        store.chunk_order = sorted(chunks, key=lambda c: (chunks[c].doc_id, chunks[c].position))
        store.probe(embedder)
        return store

    def probe(self, embedder: Embedder) -> None:
        """A query that must return k results: catches truncated or missing segment files."""
        k = min(3, len(self.chunks))
        if not k:
            raise IndexDamagedError("The index is empty.")
        vec = embedder.embed(["relapsed acute lymphoblastic leukemia treatment"])[0]
        try:
            got = self.collection.query(query_embeddings=[vec.tolist()], n_results=k)
        except Exception as exc:
            raise IndexDamagedError(f"The index failed its probe query ({exc}).") from exc
        if len(got["ids"][0]) < k or any(i not in self.chunks for i in got["ids"][0]):
            raise IndexDamagedError("The index failed its probe query (too few or unknown results).")

    def bm25_index(self) -> Any:
        """BM25 (Robertson) over section + text of every chunk, built on first use (bm25s: sparse, fast)."""
        if self.bm25 is None:
            self.bm25 = build_bm25([f"{self.chunks[c].section} {self.chunks[c].text}" for c in self.chunk_order])
        return self.bm25

    def concepts(self, question: str, n: int) -> list[tuple[str, float]]:
        """Chunks by the rare clinical terms they share with ``question`` (see ``concepts``), built on first use."""
        from .concepts import concept_ranking, concept_sets, terms_of

        if not hasattr(self, "_concepts"):
            self._concepts = concept_sets([f"{self.chunks[c].section} {self.chunks[c].text}"
                                           for c in self.chunk_order])
        return [(self.chunk_order[i], s) for i, s in concept_ranking(terms_of(question), self._concepts, n)]

    def dense(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        got = self.collection.query(query_embeddings=[vector.tolist()], n_results=min(n, len(self.chunks)),
                                    include=["distances"])
        return [(i, 1.0 - d) for i, d in zip(got["ids"][0], got["distances"][0], strict=True)]

    def lexical(self, query: str, n: int) -> list[tuple[str, float]]:
        return [(self.chunk_order[i], s) for i, s in bm25_top(self.bm25_index(), tokenize(query), n)]

    def by_sentence(self, vector: np.ndarray, n: int) -> list[str]:
        """The ``n`` chunks holding the sentences closest to ``vector``, best first (each chunk once)."""
        if not len(self.unit_rows):
            return []
        sims = self.unit_vectors @ vector.astype(np.float32)
        if not hasattr(self, "_unit_ids"):  # row -> sentence id, derived once (rows never change)
            self._unit_ids = list(self.unit_rows)
        ids = self._unit_ids
        take = min(len(ids), n * 4)
        order = np.argpartition(-sims, take - 1)[:take]
        out: list[str] = []
        for row in order[np.argsort(-sims[order])]:
            chunk = self.chunk_of(ids[row])
            if chunk is not None and chunk.id not in out:
                out.append(chunk.id)
                if len(out) == n:
                    break
        return out

    def by_position(self) -> dict[tuple[str, int], Unit]:
        if not hasattr(self, "_by_position"):
            self._by_position = {(u.doc_id, u.position): u for u in self.units.values()}
        return self._by_position

    def list_items(self, lead_id: str) -> list[Unit]:
        """The items of the list a lead-in opens, in order (an index built on first use, published whole)."""
        if not hasattr(self, "_items"):
            items: dict[str, list[Unit]] = {}
            for u in sorted(self.units.values(), key=lambda x: x.position):
                if u.lead:
                    items.setdefault(u.lead, []).append(u)
            self._items = items
        return self._items.get(lead_id, [])

    def chunk_of(self, unit_id: str) -> Chunk | None:
        """The chunk that holds a sentence (first one, where chunks overlap)."""
        if not hasattr(self, "_chunk_of"):
            # Filled in a local and then published in one assignment: answers run in several threads at once,
            # and another thread must never see a half-filled map (a None here fails a citation).
            chunk_of: dict[str, Chunk] = {}
            for c in self.chunks.values():
                for uid in c.unit_ids:
                    chunk_of.setdefault(uid, c)
            self._chunk_of = chunk_of
        return self._chunk_of.get(unit_id)

    def unit_vector(self, unit_id: str) -> np.ndarray:
        return self.unit_vectors[self.unit_rows[unit_id]]


@dataclass
class Retrieval:
    passages: list[Passage]
    query_vector: np.ndarray
    timings_ms: dict[str, float]
    reserve: list[Passage] = field(default_factory=list)  # the fused candidates ranked after the top k


class Retriever:
    """Hybrid retrieval over a :class:`Store` (strategy: hybrid, dense or bm25)."""

    def __init__(self, store: Store, embedder: Embedder, settings: Settings,
                 idf: dict[str, float] | None = None) -> None:
        self.store, self.embedder, self.settings = store, embedder, settings
        self._idf = idf

    @property
    def idf(self) -> dict[str, float]:
        if self._idf is None:
            self._idf = idf_weights(self.store)
        return self._idf

    def retrieve(self, query: str, top_k: int | None = None, strategy: str | None = None,
                 question: str | None = None) -> Retrieval:
        """The ``top_k`` passages for ``query`` and the fused candidates after them (``reserve``).

        ``question``: what sentences are scored against when the hybrid ranking is reordered by best sentence
        (the question without the query's expansions; ``query`` when not given)."""
        rs = self.settings.retrieval
        strategy = strategy or rs.strategy
        top_k = top_k or rs.top_k
        t: dict[str, float] = {}
        t0 = time.perf_counter()
        dense_q = expand_query(query, dense=True) if rs.expand_query else query
        vec = self.embedder.embed([dense_q])[0]
        t["embed"] = _ms(t0)
        dense: list[tuple[str, float]] = []
        lexical: list[tuple[str, float]] = []
        if strategy in ("hybrid", "dense"):
            t0 = time.perf_counter()
            dense = self.store.dense(vec, rs.candidates)
            t["dense"] = _ms(t0)
        if strategy in ("hybrid", "bm25"):
            t0 = time.perf_counter()
            lexical = self.store.lexical(expand_query(query) if rs.expand_query else query, rs.candidates)
            t["bm25"] = _ms(t0)
        rankings: list[list[str] | dict[str, float]] = [[i for i, _ in dense], [i for i, _ in lexical]]
        weights = [1.0, 1.0]
        if rs.concept_weight and strategy == "hybrid":
            t0 = time.perf_counter()
            rankings.append(tied_ranks(self.store.concepts(question or query, rs.candidates)))
            weights.append(rs.concept_weight)
            t["concepts"] = _ms(t0)
        if rs.audience_weight and strategy == "hybrid":
            from .context import audience_ranking

            audience = audience_ranking(self.store, question or query)
            if audience:
                rankings.append(audience)
                weights.append(rs.audience_weight)
        if rs.sentence_rank and strategy in ("hybrid", "dense"):
            t0 = time.perf_counter()
            rankings.append(self.store.by_sentence(vec, rs.candidates))
            weights.append(1.0)
            t["sentences"] = _ms(t0)
        t0 = time.perf_counter()
        fused = rrf(rankings, rs.rrf_k, weights)
        dense_rank = {i: r for r, (i, _) in enumerate(dense)}
        dense_score = dict(dense)
        bm25_rank = {i: r for r, (i, _) in enumerate(lexical)}
        depth = rs.rerank_depth if strategy == "hybrid" else 0
        ranked = [Passage(self.store.chunks[i], s, dense_rank.get(i), bm25_rank.get(i), dense_score.get(i), r)
                  for r, (i, s) in enumerate(fused[:max(top_k, rs.candidates, depth)])]
        t["fusion"] = _ms(t0)
        if depth:
            from .rerank import by_best_sentence

            t0 = time.perf_counter()
            ranked = by_best_sentence(question or query, vec, ranked, self.store, self.idf, depth, rs.rerank_k,
                                      rs.rerank_weight)
            t["rerank"] = _ms(t0)
        return Retrieval(ranked[:top_k], vec, t, ranked[top_k:])


def build_bm25(texts: list[str]) -> Any:
    import bm25s

    bm = bm25s.BM25(method="robertson", k1=1.5, b=0.75)
    bm.index([tokenize(t) or [""] for t in texts], show_progress=False)
    return bm


def bm25_top(bm: Any, tokens: list[str], n: int) -> list[tuple[int, float]]:
    """Row numbers and scores of the ``n`` best documents with a positive score (unknown tokens ignored)."""
    known = [t for t in tokens if t and t in bm.vocab_dict]
    if not known:
        return []
    scores = bm.get_scores(known)
    n = min(n, len(scores))
    top = np.argpartition(-scores, n - 1)[:n]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


def _chunk(cid: str, text: str, m: dict[str, Any]) -> Chunk:
    return Chunk(cid, m["doc_id"], m["section"], int(m["start"]), int(m["end"]), text,
                 tuple(json.loads(m["unit_ids"])), int(m["position"]))


def _unit(uid: str, text: str, m: dict[str, Any]) -> Unit:
    return Unit(uid, m["doc_id"], int(m["start"]), int(m["end"]), text, m["section"], m["kind"], m["lead"],
                tuple(json.loads(m["refs"])), int(m["position"]))


def idf_weights(store: Store) -> dict[str, float]:
    """Inverse document frequency of tokens over the chunks (for sentence scoring)."""
    df: dict[str, int] = {}
    for c in store.chunks.values():
        for tok in set(tokenize(c.text)):
            df[tok] = df.get(tok, 0) + 1
    n = max(1, len(store.chunks))
    return {tok: math.log(1 + n / d) for tok, d in df.items()}


def as_langchain_retriever(retriever: Retriever, k: int = 5):  # noqa: ANN201 - a langchain BaseRetriever
    """This retriever behind LangChain's ``BaseRetriever`` interface (langchain-core imported lazily)."""
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document as LCDocument
    from langchain_core.retrievers import BaseRetriever

    class AssistantRetriever(BaseRetriever):
        """Hybrid dense + BM25 retrieval over the assistant's Chroma index."""

        inner: Any
        k: int = 5

        def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun
                                    ) -> list[LCDocument]:
            out = []
            for p in self.inner.retrieve(query, top_k=self.k).passages:
                c = p.chunk
                out.append(LCDocument(page_content=c.text, id=c.id, metadata={
                    "chunk_id": c.id, "doc_id": c.doc_id, "section": c.section, "start": c.start, "end": c.end,
                    "score": p.score}))
            return out

    return AssistantRetriever(inner=retriever, k=k)
