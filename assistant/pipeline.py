"""``Assistant``: the one public entry point that wires the stages together.

    question -> sanitize/intent -> retrieve (dense + BM25, fused) -> compose (extractive)
             -> conflicts -> rules (fail-closed) -> notices -> Answer

Everything heavy (model, Chroma, BM25) is built on first use.  The live index
is re-opened when ``CURRENT.json`` changes, so a rebuild swaps in atomically.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import phrases
from .answertype import asked, carries
from .compose import Draft, compose, render, score_units
from .config import Settings
from .conflicts import find_conflicts
from .embedders import Embedder, make_embedder
from .errors import IndexError_
from .focus import focus_gap, rescue_dose, rescue_value, value_gap
from .index import POINTER, BuildReport, build_index
from .lexicon import load_lexicon
from .questions import clean_history, intent, retrieval_query, sanitize, strip_injection
from .retrieve import Retriever, Store, idf_weights, tokenize
from .rules import CitedText, verify
from .spelling import Speller
from .types import Answer, Citation, Notice, Statement

log = logging.getLogger("assistant")

# Words that say nothing about coverage (the asker's situation, question words).
GENERIC = frozenset("""son daughter child kid kids baby boy girl husband wife partner mom mum mother dad father brother
sister friend family parent parents teen teenager grandson granddaughter patient patients people person someone
doctor doctors team hospital nurse oncologist worried scared afraid help explain mean means meaning happen happens
next normal common usually typical thing things way ways work works used use using give given get gets got need
needs want wants like much many long old new good bad best better worse work kind type types options option
treatment treatments treat treated therapy therapies leukemia leukaemia cancer disease relapsed relapse refractory
all acute lymphoblastic lymphocytic question questions answer tell know say says said also still really okay ok
year years month months week weeks day days time times chance chances rate rates risk risks age""".split())


class Assistant:
    """Answers questions from the indexed sources; every statement cited and checked."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or make_embedder(settings.embedding.kind, settings.embedding.batch_size,
                                                  settings.embedding.threads)
        self._store: Store | None = None
        self._retriever: Retriever | None = None
        self._idf: dict[str, float] = {}
        self._vocab: set[str] = set()
        self._drug_words: frozenset[str] = frozenset()
        self._speller = Speller((), ())
        self._lex_words = frozenset(t for g in load_lexicon().groups for n in g.names for t in tokenize(n))
        self._pointer_mtime = 0.0
        self._pinned = False
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings | None = None, preset: str | None = None, **overrides: Any) -> Assistant:
        return cls(settings or Settings.load(preset, **overrides))

    # ----- index ---------------------------------------------------------------------------------
    def build_index(self, rebuild: bool = False, progress: bool = True) -> BuildReport:
        report = build_index(self.settings, self.embedder, rebuild=rebuild, progress=progress)
        with self._lock:
            self._store = None
        return report

    def _pointer_path(self) -> Path:
        return Path(self.settings.index.dir) / POINTER

    def pin_store(self, store: Store) -> None:
        """Answer from ``store`` from now on, ignoring ``CURRENT.json`` (benchmarks on a synthetic scaled store)."""
        with self._lock:
            self._pinned = True
            self._install(store, self._pointer_mtime)

    def _install(self, store: Store, mtime: float) -> None:
        self._store, self._pointer_mtime = store, mtime
        self._retriever = Retriever(store, self.embedder, self.settings)
        self._idf = idf_weights(store)
        self._vocab = {t for u in store.units.values() for t in tokenize(f"{u.section} {u.text}")}
        self._drug_words = frozenset(t for g in load_lexicon().groups if g.kind == "drug" for n in g.names
                                     for t in tokenize(n) if len(t) > 3)
        self._speller = Speller(self._vocab, self._drug_words)

    @property
    def store(self) -> Store:
        if self._pinned and self._store is not None:
            return self._store
        path = self._pointer_path()
        mtime = path.stat().st_mtime if path.exists() else 0.0
        with self._lock:
            if self._store is None or mtime != self._pointer_mtime:
                if not mtime and self._store is None:
                    raise IndexError_(f"No index found in {self.settings.index.dir}.")
                try:
                    self._install(Store.open(self.settings, self.embedder), mtime)
                except IndexError_ as exc:
                    if self._store is None:
                        raise
                    # A swap that cannot be opened (the sources changed again, a build half-copied by hand):
                    # keep answering from the build already open, which is complete and self-consistent.
                    log.warning("index swap not taken, still serving build %s: %s", self._store.build, exc)
                    self._pointer_mtime = mtime
            return self._store

    @property
    def retriever(self) -> Retriever:
        _ = self.store
        assert self._retriever is not None
        return self._retriever

    def _snapshot(self) -> tuple[Store, Retriever, dict[str, float]]:
        """The live store with its own retriever and idf weights, read together under the lock.

        Answers run in several server threads at once: reading ``store`` and ``retriever`` one after the
        other could pair one build's passages with another build's sentences when an index swap lands in
        between (a KeyError or a citation into the wrong build).
        """
        while True:
            _ = self.store  # (re)opens the store after a swap
            with self._lock:
                if self._store is not None and self._retriever is not None:
                    return self._store, self._retriever, self._idf

    def warm_up(self) -> None:
        """Load the model and the index now rather than on the first question."""
        self.ask("What is relapsed acute lymphoblastic leukemia?")

    # ----- answering -----------------------------------------------------------------------------
    def ask(self, question: str, history: list[dict[str, Any]] | None = None, strategy: str | None = None) -> Answer:
        """Answer ``question`` (raises InputError for empty or oversized input)."""
        t_start = time.perf_counter()
        s = self.settings
        q = sanitize(question, s.input.max_question_chars)
        hist = clean_history(history or [], s.input.max_history_turns, s.input.max_history_chars)
        if s.server.log_questions:
            log.info("question: %s", q)
        notices: list[Notice] = []
        it = intent(q)
        if it.injection:
            q_clean = strip_injection(q)
            if not q_clean or not intent(q_clean).on_topic:
                return self._fixed(question, phrases.INJECTION, "refused", t_start)
            notices.append(Notice("injection", "Instructions inside the question were ignored."))
            q, it = q_clean, intent(q_clean)
        rq = retrieval_query(q, hist)
        fixed = self._spellfix(rq)
        if not (it.on_topic or it.emergency or intent(rq).on_topic or intent(fixed).on_topic):
            return self._fixed(question, phrases.OFF_TOPIC, "refused", t_start)
        if it.emergency:
            notices.insert(0, Notice("urgent", phrases.SAFETY_URGENT))
        if it.personal:
            notices.append(Notice("safety", phrases.SAFETY_PERSONAL))

        store, retriever, idf = self._snapshot()
        retrieval = retriever.retrieve(fixed, strategy=strategy)
        timings = dict(retrieval.timings_ms)
        t0 = time.perf_counter()
        draft = compose(fixed, retrieval.query_vector, retrieval.passages, store, idf, s.compose)
        self._add_conflicts(draft, rq, notices, store)
        rescue_dose(q, draft, store)
        rescue_value(q, rq, draft, store, s.rules.value_coverage,
                     lambda: score_units(fixed, retrieval.query_vector, retrieval.reserve, store, idf,
                                         keep=lambda u: carries(asked(q).kind, u.text, asked(q).unit)))
        timings["compose"] = _ms(t0)

        related = [{"chunk_id": p.chunk.id, "doc_id": p.chunk.doc_id, "title": store.docs[p.chunk.doc_id].title,
                    "section": p.chunk.section} for p in retrieval.passages[:3]]
        uncovered = self.uncovered_terms(q)
        threshold = s.rules.abstain_threshold + (0.12 if uncovered else 0.0)
        strangers = self.unknown_drugs(q)
        gap = (f"no drug named {', '.join(strangers)} in the sources" if strangers else "") \
            or focus_gap(q, draft.statements, store) \
            or value_gap(q, rq, draft.statements, store, s.rules.value_coverage) \
            or ("the question is about another disease" if it.other_disease else "")
        if draft.best_score < threshold or not draft.statements or gap:
            ans = self._fixed(question, phrases.NOT_COVERED, "abstained", t_start, notices, related)
            ans.verdict = {"ok": True, "checked": 0, "passed": 0, "abstain_reason":
                           f"best relevance {draft.best_score:.2f} (threshold {threshold:.2f})"
                           + (f"; not in the sources: {', '.join(uncovered)}" if uncovered else "")
                           + (f"; {gap}" if gap else "")}
            ans.timings_ms.update(timings)
            return ans

        t0 = time.perf_counter()
        cited = {c.n: CitedText(c.n, c.quote, c.doc_id, store.docs[c.doc_id].audience_age) for c in draft.citations}
        verdict = verify(draft.statements, cited, s.rules.support_threshold)
        kept = [st for st, sv in zip(draft.statements, verdict.sentences, strict=True) if sv.ok]
        statements, citations = renumber(kept, draft.citations)
        notices += self._population_notices(it.population or intent(rq).population, citations, store)
        timings["rules"] = _ms(t0)
        if not statements:
            ans = self._fixed(question, phrases.NOTHING_SURVIVED, "abstained", t_start, notices, related)
            ans.verdict = verdict.to_dict()
            return ans
        verdict.notices = [{"kind": n.kind, "text": n.text} for n in notices]
        timings["total"] = _ms(t_start)
        return Answer(question, render(statements), "answered", citations, notices, verdict.to_dict(), timings,
                      related)

    def _fixed(self, question: str, text: str, status: str, t_start: float, notices: list[Notice] | None = None,
               related: list[dict[str, str]] | None = None) -> Answer:
        return Answer(question, text, status, [], list(notices or []),  # type: ignore[arg-type]
                      {"ok": True, "checked": 0, "passed": 0}, {"total": _ms(t_start)}, related or [])

    def _spellfix(self, text: str) -> str:
        """Replace words missing from the corpus by a close corpus word ("leukemai" -> "leukemia")."""
        _ = self.store
        out = []
        for word in text.split():
            core = word.strip(".,;:?!()\"'").lower()
            if len(core) >= 5 and core.isalpha() and core not in self._vocab:
                match = self._speller.correct(core)
                if match:
                    word = word.lower().replace(core, match)
            out.append(word)
        return " ".join(out)

    def uncovered_terms(self, question: str) -> list[str]:
        """Content words of the question that appear nowhere in the sources (typos forgiven)."""
        _ = self.store
        lex_names = self._lex_words
        out = []
        for tok in tokenize(question):
            if len(tok) < 4 or tok in GENERIC or tok in self._vocab or tok in lex_names or tok.isdigit():
                continue
            if tok.endswith("s") and tok[:-1] in self._vocab:
                continue
            if self._speller.correct(tok) is None:
                out.append(tok)
        return out

    def unknown_drugs(self, question: str) -> list[str]:
        """Drug-like words of the question that name no drug in the sources (see ``spelling``)."""
        _ = self.store
        return self._speller.unknown_drugs(tokenize(question))

    def _add_conflicts(self, draft: Draft, question: str, notices: list[Notice], store: Store) -> None:
        if not draft.scored:
            return
        focus = {g.canonical for g, _ in load_lexicon().find(question, ("drug",))}
        if not focus:
            return
        top = [s.unit for s in draft.scored[:20]]
        for conflict in find_conflicts(top, store.docs, focus, question):
            present = {st.unit_id for st in draft.statements}
            for u in conflict.units:
                if u.id in present:
                    continue
                doc = store.docs[u.doc_id]
                chunk = store.chunk_of(u.id)
                assert chunk is not None
                n = len(draft.citations) + 1
                draft.citations.append(Citation(n, chunk.id, doc.id, doc.title, u.section, u.start, u.end,
                                                doc.raw[u.start:u.end], u.id))
                draft.statements.append(Statement(u.text, [n], u.id))
            order = {u.id: i for i, u in enumerate(conflict.units)}
            draft.statements.sort(key=lambda st: order.get(st.unit_id, len(order)))
            values = "; ".join(f"{store.docs[u.doc_id].publisher} ({store.docs[u.doc_id].date_label}): "
                               f"“{u.text}”" for u in conflict.units)
            kind = "outdated" if conflict.kind == "outdated" else "conflict"
            notices.append(Notice(kind, f"The sources differ on {conflict.topic}, newest first: {values}"))

    def _population_notices(self, asked: str, citations: list[Citation], store: Store) -> list[Notice]:
        if not asked:
            return []
        out = []
        for doc_id in dict.fromkeys(c.doc_id for c in citations):
            doc = store.docs[doc_id]
            if doc.audience_age in ("children", "adults") and doc.audience_age != asked:
                out.append(Notice("population", phrases.POPULATION.format(
                    title=f"“{doc.title}”", publisher=doc.publisher, population=doc.audience_age, asked=asked)))
        return out

    # ----- lookup --------------------------------------------------------------------------------
    def cite(self, ref: str) -> dict[str, Any]:
        from .lookup import lookup

        return lookup(self.store, ref)


def renumber(statements: list[Statement], citations: list[Citation]) -> tuple[list[Statement], list[Citation]]:
    """Drop citations no statement uses any more and number the rest 1..n in order of use."""
    by_n = {c.n: c for c in citations}
    mapping: dict[int, int] = {}
    for st in statements:
        for n in st.cites:
            mapping.setdefault(n, len(mapping) + 1)
    new_cits = [replace(by_n[old], n=new) for old, new in mapping.items()]
    new_stmts = [replace(st, cites=[mapping[n] for n in st.cites]) for st in statements]
    return new_stmts, new_cits


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000
