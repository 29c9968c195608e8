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
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import phrases
from .answertype import asked, carries
from .compose import (  # noqa: F401 - renumber re-exported
    DOSE_QUESTION,
    DRUG_DOSE_UNIT,
    Draft,
    answer_first,
    closest_about,
    compose,
    others_last,
    render,
    renumber,
    score_units,
)
from .config import Settings
from .conflicts import Conflict
from .context import asker, mark_other_groups
from .conversation import Resolved, resolve
from .decision import Decision, Evidence, Model, decide, load_model
from .disagreement import add_conflicts, conflict_notices
from .embedders import Embedder, make_embedder
from .errors import IndexError_
from .features import evidence
from .focus import dose_question, rescue_dose, rescue_value
from .index import POINTER, BuildReport, build_index
from .questions import Intent, clean_history, intent, sanitize, strip_injection
from .ranking import load_ranker
from .retrieve import Retrieval, Retriever, Store, idf_weights
from .rules import CitedText, verify
from .safety import DOSE as DOSE_UNITS
from .safety import drugs_in, only_asked_doses
from .terms import Terms
from .types import Answer, Citation, Notice, Statement, Status
from .vocabulary import Vocabulary
from .writer import ModelWriter

log = logging.getLogger("assistant")
PARTIAL_STATEMENTS = 2  # closest statements shown under "the sources do not say ..."



@dataclass
class Assessment:
    """One question up to the decision: what was asked, how it was resolved, the draft and the decision."""

    question: str
    q: str
    resolved: Resolved | None = None
    intent: Intent = Intent(False, False, False, False, "")
    notices: list[Notice] = field(default_factory=list)
    store: Store | None = None
    draft: Draft | None = None
    evidence: Evidence | None = None
    decision: Decision | None = None
    related: list[dict[str, str]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    t_start: float = 0.0
    early: Answer | None = None
    conflicts: list[Conflict] = field(default_factory=list)


class Assistant(ModelWriter):
    """Answers questions from the indexed sources; every statement cited and checked."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or make_embedder(settings.embedding.kind, settings.embedding.batch_size,
                                                  settings.embedding.threads)
        self._store: Store | None = None
        self._retriever: Retriever | None = None
        self._idf: dict[str, float] = {}
        self._terms = Terms.of(None)
        self._pointer_mtime = 0.0
        self._pinned = False
        self._lock = threading.Lock()
        self._chat: Any = None

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
        self._idf = idf_weights(store)
        self._retriever = Retriever(store, self.embedder, self.settings, self._idf)
        self._terms = Terms.of(store, self._idf)

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
            assert self._store is not None
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
    def resolve(self, question: str, history: list[dict[str, Any]] | None = None) -> Resolved:
        """The question as retrieval and every check see it: follow-ups resolved, typos and lay words mapped."""
        s = self.settings
        hist = clean_history(history or [], s.input.max_history_turns, s.input.max_history_chars)
        _ = self.store
        res = resolve(question, hist, rare=self._terms.rare)
        text = self._vocab_bridge().replace(self._spellfix(res.text))
        return replace(res, text=text)

    def retrieval_query(self, text: str) -> str:
        """The resolved question with the vocabulary bridge's corpus spellings of its lay words added."""
        extra = self._vocab_bridge().expansions(text)
        return f"{text} ({'; '.join(extra)})" if extra else text

    def assess(self, question: str, history: list[dict[str, Any]] | None = None,
               strategy: str | None = None, model: Model | None = None, decide_now: bool = True,
               reader: str = "patient") -> Assessment:
        """Everything up to the answerability decision (``early`` is set for a refusal decided before it).

        ``model`` replaces the packaged decision model; ``decide_now=False`` stops at the features (fitting)."""
        t_start = time.perf_counter()
        s = self.settings
        q = sanitize(question, s.input.max_question_chars)
        if s.server.log_questions:
            log.info("question: %s", q)
        notices: list[Notice] = []
        it = intent(q)
        if it.injection:
            q_clean = strip_injection(q)
            if not q_clean or not intent(q_clean).on_topic:
                return Assessment(question, q, early=self._fixed(question, phrases.INJECTION, "refused", t_start))
            notices.append(Notice("injection", "Instructions inside the question were ignored."))
            q, it = q_clean, intent(q_clean)
        if it.foreign and not it.emergency:
            return Assessment(question, q, early=self._fixed(question, phrases.ENGLISH_ONLY, "refused", t_start))
        hist = clean_history(history or [], s.input.max_history_turns, s.input.max_history_chars)
        res = self.resolve(q, hist)
        text = res.text
        rit = intent(text)
        if it.grief and not it.emergency:
            return Assessment(question, q, res, early=self._fixed(question, phrases.GRIEF, "refused", t_start))
        if it.feeling and not it.on_topic and not it.emergency:
            return Assessment(question, q, res, early=self._fixed(question, phrases.FEELING, "refused", t_start))
        if not (it.on_topic or it.emergency or rit.on_topic):
            return Assessment(question, q, res, early=self._fixed(question, phrases.OFF_TOPIC, "refused", t_start))
        if it.emergency:
            notices.insert(0, Notice("urgent", phrases.SAFETY_URGENT))
        if it.feeling:
            notices.append(Notice("support", phrases.FEELING_NOTE))
        if it.stop_change:
            notices.append(Notice("safety", phrases.SAFETY_STOP))
        # a follow-up in a conversation about one person ("my son relapsed ..." then "is it given in hospital?")
        # is about that person too
        about_someone = bool(res.how) and any(intent(h["content"]).personal for h in hist if h["role"] == "user")
        if it.personal or it.stop_change or (res.how == "ellipsis" and rit.personal) or about_someone:
            notices.append(Notice("safety", phrases.SAFETY_PERSONAL))

        store, retriever, idf = self._snapshot()
        retrieval = retriever.retrieve(self.retrieval_query(text), strategy=strategy, question=text)
        timings = dict(retrieval.timings_ms)
        t0 = time.perf_counter()
        # the clause that asks: the question's own (its typos mended as in the resolved text), unless elliptical
        kq = text if res.how == "ellipsis" else self._spellfix(q)
        draft = compose(text, retrieval.query_vector, retrieval.passages, store, idf, s.compose, reader,
                        embed=retriever.embedder.embed, reserve=retrieval.reserve, asking=kq,
                        ranker=load_ranker(s.embedding.kind) if s.compose.ranker else None)
        conflicts = add_conflicts(draft, text, store)
        rescue_dose(text, draft, store,
                    lambda: score_units(text, retrieval.query_vector, retrieval.reserve, store, idf))
        rescue_value(kq, text, draft, store, s.rules.value_coverage,
                     lambda: score_units(text, retrieval.query_vector, retrieval.reserve, store, idf,
                                         keep=lambda u: carries(asked(kq).kind, u.text, asked(kq).unit)))
        value = asked(kq)
        if dose_question(text):
            answer_first(draft, lambda t: bool(DRUG_DOSE_UNIT.search(t)))
        elif value.kind:
            answer_first(draft, lambda t: carries(value.kind, t, value.unit))
        ev = self._evidence(q, kq, text, it, retrieval, draft, store)
        decision = decide(ev, model or load_model(s.embedding.kind)) if decide_now else None
        timings["compose"] = _ms(t0)
        related = [{"chunk_id": p.chunk.id, "doc_id": p.chunk.doc_id, "title": store.docs[p.chunk.doc_id].title,
                    "section": p.chunk.section} for p in retrieval.passages[:3]]
        return Assessment(question, q, res, it, notices, store, draft, ev, decision, related, timings, t_start,
                          conflicts=conflicts)

    def ask(self, question: str, history: list[dict[str, Any]] | None = None, strategy: str | None = None,
            reader: str = "patient", llm: bool | None = None) -> Answer:
        """Answer ``question`` (raises InputError for empty or oversized input).

        ``llm``: let the configured language model write the answer (None: when one is configured); every
        sentence it writes is checked, and the quoted answer is shown instead when too little passes."""
        a = self.assess(question, history, strategy, reader=reader)
        ans = self._extractive(a)
        return self._generated(ans, a, history or [], reader) if self._model_writes(a, ans, llm) else ans

    def ask_stream(self, question: str, history: list[dict[str, Any]] | None = None, reader: str = "patient",
                   llm: bool | None = None) -> Iterator[Answer]:
        """Like :meth:`ask`, as a stream: with a language model, a partial answer after each sentence that has
        passed the checks, then the final answer (the quoted one, with a notice, when the model's falls back).
        Without one, the final answer only."""
        a = self.assess(question, history, reader=reader)
        ans = self._extractive(a)
        if not self._model_writes(a, ans, llm):
            yield ans
            return
        kept: list[Statement] = []
        for st, state, citations in self.generate(ans, a, history or [], reader):
            if st is None:  # the last item: the finished generation
                yield self._generated(ans, a, history or [], reader, replay=state, replay_citations=citations)
                return
            kept.append(st)
            statements, cits = renumber(kept, citations)
            yield replace(ans, answer=render(statements), citations=cits, composer=state.model,
                          verdict={**ans.verdict, "streaming": True})

    def _model_writes(self, a: Assessment, ans: Answer, llm: bool | None) -> bool:
        """The model is asked only for a question the decision answers (never over an abstention)."""
        return self.uses_llm(llm) and ans.status == "answered" and a.decision is not None \
            and a.decision.status == "answer"

    def uses_llm(self, llm: bool | None = None) -> bool:
        return self.settings.llm.provider != "none" if llm is None else llm

    def _extractive(self, a: Assessment) -> Answer:
        question = a.question
        if a.early is not None:
            return a.early
        assert a.store is not None and a.draft is not None and a.decision is not None and a.resolved is not None
        s, store, draft, decision = self.settings, a.store, a.draft, a.decision
        if decision.status == "abstain" or not draft.statements:
            shown = {"resolved": a.resolved.to_dict(), "decision": decision.to_dict()}
            ans = self._fixed(question, phrases.NOT_COVERED, "abstained", a.t_start, a.notices, a.related)
            ans.verdict = {"ok": True, "checked": 0, "passed": 0, **shown,
                           "abstain_reason": "; ".join(decision.reasons) or "no candidate sentence"}
            ans.timings_ms.update(a.timings)
            return ans
        asked_drugs = drugs_in(a.resolved.text)
        if decision.status != "answer" and decision.missing in ("dose", "drug") and asked_drugs:
            draft = closest_about(draft, asked_drugs, store, PARTIAL_STATEMENTS, s.compose.dedup_jaccard) or draft
        statements = draft.statements if decision.status == "answer" else draft.statements[:PARTIAL_STATEMENTS]
        own_medicine = a.intent.personal or a.intent.stop_change
        if own_medicine or (asked_drugs and DOSE_QUESTION.search(a.resolved.text)):
            statements, dropped = only_asked_doses(statements, asked_drugs, strict=own_medicine)
            if dropped and not statements:
                decision = replace(decision, status="partial", missing="dose")
                draft = closest_about(draft, asked_drugs, store, PARTIAL_STATEMENTS, s.compose.dedup_jaccard) or draft
                general = [st for st in draft.statements if not DOSE_UNITS.search(st.text)]
                statements = only_asked_doses(general, asked_drugs, strict=own_medicine)[0][:PARTIAL_STATEMENTS]
        shown = {"resolved": a.resolved.to_dict(), "decision": decision.to_dict()}
        t0 = time.perf_counter()
        cited = {c.n: CitedText(c.n, c.quote, c.doc_id, store.docs[c.doc_id].audience_age) for c in draft.citations}
        verdict = verify(statements, cited, s.rules.support_threshold)
        kept = [st for st, sv in zip(statements, verdict.sentences, strict=True) if sv.ok]
        statements, citations = renumber(kept, draft.citations)
        statements, citations, pop_notices = self._population_notice(
            a.resolved.text, a.intent.population or intent(a.resolved.text).population, statements, citations,
            store)
        notices = a.notices + conflict_notices(a.conflicts, statements, store) + pop_notices
        timings = {**a.timings, "rules": _ms(t0)}
        if not statements:
            ans = self._fixed(question, phrases.NOTHING_SURVIVED, "abstained", a.t_start, notices, a.related)
            ans.verdict = {**verdict.to_dict(), **shown}
            return ans
        verdict.notices = [{"kind": n.kind, "text": n.text} for n in notices]
        timings["total"] = _ms(a.t_start)
        body = render(statements)
        status: Status = "answered"
        if decision.status == "partial":
            body = f"{phrases.partial(decision.missing)}\n\n{phrases.CLOSEST}\n\n{body}"
            status = "partial"
        return Answer(question, body, status, citations, notices, {**verdict.to_dict(), **shown}, timings,
                      a.related)

    def _evidence(self, q: str, kq: str, text: str, it: Intent, retrieval: Retrieval, draft: Draft,
                  store: Store) -> Evidence:
        """The decision's features for one question (see ``features`` and ``decision.FEATURES``)."""
        return evidence(q, kq, text, it, retrieval, draft, store, unknown=self._terms.unknown(q),
                        strangers=self.unknown_drugs(text), value_coverage=self.settings.rules.value_coverage)

    def _fixed(self, question: str, text: str, status: str, t_start: float, notices: list[Notice] | None = None,
               related: list[dict[str, str]] | None = None) -> Answer:
        return Answer(question, text, status, [], list(notices or []),  # type: ignore[arg-type]
                      {"ok": True, "checked": 0, "passed": 0}, {"total": _ms(t_start)}, related or [])

    def _vocab_bridge(self) -> Vocabulary:
        return self._terms.bridge()

    def _spellfix(self, text: str) -> str:
        _ = self.store
        return self._terms.spellfix(text)

    def uncovered_terms(self, question: str) -> list[str]:
        """Content words of the question that appear nowhere in the sources (typos forgiven)."""
        _ = self.store
        return self._terms.uncovered(question)

    def unknown_drugs(self, question: str) -> list[str]:
        """Drug-like words of the question that name no drug in the sources (see ``spelling``)."""
        _ = self.store
        return self._terms.unknown_drugs(question)


    def _population_notice(self, question: str, group: str, statements: list[Statement],
                           citations: list[Citation], store: Store
                           ) -> tuple[list[Statement], list[Citation], list[Notice]]:
        """Label the statements about another group, relapse timing or relapse order than the one asked
        about, quote them after the others (a parent asking about a child reads the child's dose before an
        adult trial's), and add one notice per difference naming them."""
        statements, others = mark_other_groups(statements, store, asker(question, group))
        if others:
            statements, citations, others = others_last(statements, citations, others)
        notices = []
        for (mine, other), ns in others.items():
            refs = ", ".join(f"[{n}]" for n in ns)
            which = f"Statements marked “{phrases.ABOUT.format(population=other)}” ({refs}) are"
            notices.append(Notice("population", phrases.POPULATION.format(statements=which, population=other,
                                                                          asked=mine)))
        return statements, citations, notices

    # ----- lookup --------------------------------------------------------------------------------
    def cite(self, ref: str) -> dict[str, Any]:
        from .lookup import lookup

        return lookup(self.store, ref)


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000
