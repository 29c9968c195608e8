"""Extractive answer writing: pick the sentences that answer the question and cite each one.

Pure over its inputs: passages, the store's units and vectors, the question's
vector.  Scores every sentence of the top passages (embedding cosine + idf
weighted term overlap + the passage's fused rank), drops near-duplicates,
keeps list lead-ins with their items, orders the result by document and
position, and numbers one citation per quoted span.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .config import ComposeSettings
from .context import asked_groups, groups_in, population, referent
from .lexicon import named
from .lists import INTRODUCED_CHARS, bare_lead, introduced, list_units, shown_chars  # noqa: F401 - re-exported
from .numbering import others_last, renumber  # noqa: F401 - re-exported
from .ranking import Ranker, cues, features, select, top_of
from .retrieve import Store, light_stem, tokenize
from .types import Citation, Passage, Statement, Unit

# Broad cues for ranking (a radiation dose in cGy counts) and strict ones for the focus check (a drug dose).
DOSE_INTENT = re.compile(r"\b(dose|doses|dosage|dosing|how much|mg|mcg|given|administered|schedule)\b", re.I)
DOSE_UNIT = re.compile(r"\d\s*(mg|mcg|g/m|gm/sq|cGy)", re.I)
# "how much" asks for an amount, unless a comparative follows ("how much stronger", "how much more likely")
DOSE_QUESTION = re.compile(r"\b(dose|doses|dosage|dosing|how much(?!\s+(more|less|longer|shorter|better|worse|"
                           r"higher|lower|\w{3,}er)\b)|mg|mcg)\b", re.I)
DRUG_DOSE_UNIT = re.compile(r"\d\s*(mg|mcg|g/m|gm/sq)", re.I)
NUMERIC_INTENT = re.compile(r"\b(dose|dosage|dosing|how much|how many|how long|rate|percent|percentage|%|mg|mcg|"
                            r"survival|chance|odds|age|old|years|months|cGy|often|number)\b", re.I)
HAS_NUMBER = re.compile(r"\d")


@dataclass
class Scored:
    unit: Unit
    score: float
    cosine: float
    overlap: float
    passage: Passage


@dataclass
class Draft:
    """A drafted answer: statements with citation numbers, the citations, and how relevant the best was."""

    statements: list[Statement] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    best_score: float = 0.0
    scored: list[Scored] = field(default_factory=list)
    pool: list[tuple[Scored, dict[str, float]]] = field(default_factory=list)  # the ranker's candidates

    def markdown(self) -> str:
        return render(self.statements)


def render(statements: list[Statement]) -> str:
    """Markdown with an ``[n]`` marker after every statement; list items on their own lines."""
    out: list[str] = []
    prev_bullet = False
    for s in statements:
        marks = "".join(f"[{n}]" for n in s.cites)
        line = f"{s.label} {s.text} {marks}".strip()
        if s.bullet:
            out.append(("\n" if out and not prev_bullet else "") + "\n- " + line)
        else:
            out.append(("\n\n" if prev_bullet else (" " if out else "")) + line)
        prev_bullet = s.bullet
    return "".join(out).strip()


Concept = tuple[frozenset[str], float]  # alternative tokens, weight


def _stems(tokens: list[str]) -> set[str]:
    return {light_stem(t) for t in tokens}


@lru_cache(maxsize=1 << 14)  # a sentence's stems, once per process (the corpus's sentences recur in every answer)
def _text_stems(text: str) -> frozenset[str]:
    return frozenset(_stems(tokenize(text)))


def overlap_score(concepts: list[Concept], text: str) -> float:
    """Weighted share of the question's concepts found in ``text`` (a concept matches through any alias;
    words are compared by their light stem, so "cycle" finds "Cycles"; an alias of several words matches
    when all of them are there)."""
    if not concepts:
        return 0.0
    toks = _text_stems(text)
    total = sum(w for _, w in concepts)
    found: float = sum(w for alts, w in concepts if any(_has(a, toks) for a in alts))
    return found / total


def _has(alias: str, toks: frozenset[str] | set[str]) -> bool:
    return light_stem(alias) in toks if " " not in alias else all(light_stem(t) in toks for t in alias.split())


def query_terms(question: str, idf: dict[str, float]) -> list[Concept]:
    """The question's concepts: each lexicon group it names (with all aliases), each term of the vocabulary
    bridge it names (with every spelling the documents use for it: "side effects" also finds "toxicities"),
    then each other word."""
    from .lexicon import load_lexicon
    from .vocabulary import load_vocabulary

    default = max(idf.values()) if idf else 1.0
    concepts: list[Concept] = []
    covered: set[str] = set()
    vocab = load_vocabulary()
    for group, name in load_lexicon().find(question):
        own = tokenize(name)
        covered.update(own)
        alts = frozenset(t for n in group.names for t in tokenize(n) if len(t) > 2 or n == name) | \
            frozenset(" ".join(tokenize(m)) for m in vocab.members(name) if tokenize(m))
        if own:
            concepts.append((alts | frozenset(own), max(idf.get(t, default) for t in own) * 0.8))
    for group, name in vocab.lexicon.find(question):
        own = [t for t in tokenize(name) if t not in covered]
        if not own:
            continue
        covered.update(own)
        spellings = [n for n in group.names if n.lower() in vocab.corpus_names] + list(vocab.members(name))
        alts = frozenset(" ".join(tokenize(n)) for n in spellings if tokenize(n)) | {" ".join(own)}
        concepts.append((alts, max(idf.get(t, default) for t in own) * 0.8))
    for tok in dict.fromkeys(tokenize(question)):
        if tok not in covered:
            concepts.append((frozenset({tok}), idf.get(tok, default)))
    return concepts


def score_units(question: str, qvec: np.ndarray, passages: list[Passage], store: Store,
                idf: dict[str, float], keep: Callable[[Unit], bool] | None = None) -> list[Scored]:
    """Every sentence of ``passages`` (those ``keep`` accepts, when given), best first."""
    terms = query_terms(question, idf)
    asked = asked_groups(question)
    numeric = bool(NUMERIC_INTENT.search(question))
    dose = bool(DOSE_INTENT.search(question))
    out: list[Scored] = []
    seen: set[str] = set()
    for place, p in enumerate(passages):
        rank = fused_rank(p, place)
        for uid in p.chunk.unit_ids:
            if uid in seen or uid not in store.units:
                continue
            seen.add(uid)
            u = store.units[uid]
            if keep is not None and not keep(u):
                continue
            cos = float(store.unit_vector(uid) @ qvec)
            leaf = u.section.split(" > ")[-1]
            context = ""
            ref = referent(u, store)
            if ref is not None:
                # "In this patient population, the dosage is ...": the sentence referred to says which population.
                cos = max(cos, 0.5 * cos + 0.5 * float(store.unit_vector(ref.id) @ qvec))
                context = ref.text
            ov = max(overlap_score(terms, f"{leaf} {u.text}"), 0.8 * overlap_score(terms, f"{leaf} {context} {u.text}"))
            score = 0.6 * cos + 0.4 * ov + 0.04 * max(0, len(passages) - rank) / len(passages)
            pops = groups_in(f"{context} {u.text}")
            if asked and pops and not (pops & asked):
                score -= 0.08  # about another population than the one asked about
            if dose and DOSE_UNIT.search(u.text):
                score += 0.08
            elif numeric and HAS_NUMBER.search(u.text):
                score += 0.04
            if u.kind == "item" and len(u.text) < 40:
                score -= 0.05
            out.append(Scored(u, score, cos, ov, p))
    return sorted(out, key=lambda s: -s.score)


def fused_rank(p: Passage, place: int) -> int:
    """Where retrieval's fusion ranked ``p`` (its ``place`` in the list when it was never reordered): the rank
    the composer's features read, so a passage moved up by its best sentence does not count that sentence's
    score twice."""
    return place if p.fused_rank is None else p.fused_rank


def within_floor(s: Scored, best: Scored, cfg: ComposeSettings) -> bool:
    """Whether ``s`` scores high enough next to the best sentence to be used: ``relative_floor`` of its score, or
    ``passage_floor`` for a sentence of the best sentence's own passage, whose neighbours often carry the rest
    of the answer (the schedule after the dose)."""
    if s.score >= max(cfg.min_sentence_score, best.score * cfg.relative_floor):
        return True
    return s.passage.chunk.id == best.passage.chunk.id and \
        s.score >= max(cfg.min_sentence_score, best.score * cfg.passage_floor)


def jaccard(a: str, b: str) -> float:
    sa, sb = set(tokenize(a)), set(tokenize(b))
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


READER_ROLE = {"patient": "patients", "clinician": "clinicians"}


def ranked_pool(question: str, asking: str, qvec: np.ndarray, passages: list[Passage], reserve: list[Passage],
                store: Store, idf: dict[str, float], deeper: int) -> list[tuple[Scored, dict[str, float]]]:
    """Every sentence of the top passages and of ``deeper`` passages after them, with the ranker's features."""
    shown = passages + reserve[:deeper]
    pool = score_units(question, qvec, shown, store, idf)
    if not pool:
        return []
    q, top = cues(question, asking), top_of(pool)
    ranks = {p.chunk.id: fused_rank(p, i) for i, p in enumerate(shown)}
    return [(s, features(s, top, q, ranks, len(passages),
                         population(s.unit, store, referent(s.unit, store)).population if q.groups else ""))
            for s in pool]


def compose(question: str, qvec: np.ndarray, passages: list[Passage], store: Store, idf: dict[str, float],
            cfg: ComposeSettings, reader: str = "", embed: Callable[[list[str]], np.ndarray] | None = None,
            reserve: list[Passage] | None = None, asking: str = "", ranker: Ranker | None = None) -> Draft:
    """The extractive draft.  ``reader`` ("patient" / "clinician"): of two sentences from different documents
    that say the same thing, the one from the document written for that reader is kept.

    With a fitted ``ranker``, the sentences of the top passages and of ``cfg.deeper`` passages of ``reserve``
    are ranked by its probability that they answer (``asking``: the clause that asks, for the answer type) and
    picked by its rule; without one, by the composer score and its floors.  ``draft.scored`` (what the
    answerability decision reads) is always the composer score over the top passages."""
    scored = score_units(question, qvec, passages, store, idf)
    draft = Draft(best_score=scored[0].score if scored else 0.0, scored=scored)
    if not scored:
        return draft
    draft.pool = ranked_pool(question, asking or question, qvec, passages, reserve or [], store, idf, cfg.deeper)
    if ranker is not None and draft.pool:
        probs = [ranker.probability(f) for _, f in draft.pool]
        candidates = [draft.pool[i][0] for i in select(probs, ranker.floor, ranker.ratio)]
    else:
        candidates = [s for s in scored if within_floor(s, scored[0], cfg)]
    picked: list[Scored] = []
    for s in candidates:
        if len(picked) >= cfg.max_sentences:
            break
        if bare_lead(s.unit, store):
            continue  # "... should include:" with no list after it says nothing by itself
        if picked and shown_chars([*picked, s], store) > cfg.max_chars:
            continue  # a list item is shown with its whole list: the list counts against the cap
        twin = next((i for i, p in enumerate(picked) if jaccard(s.unit.text, p.unit.text) > cfg.dedup_jaccard), None)
        if twin is not None:
            role = READER_ROLE.get(reader)
            other = picked[twin]
            if role and other.unit.doc_id != s.unit.doc_id and store.docs[s.unit.doc_id].audience_role == role \
                    and store.docs[other.unit.doc_id].audience_role != role:
                picked[twin] = s  # the same thing, from the document written for this reader
            continue
        picked.append(s)
    for extra in part_answers(question, scored, picked, idf, cfg, store, embed):
        picked.append(extra)
    _build(draft, picked, store)
    return draft


# Where a question asks a second thing: "...? and how many doses?", "...; what about ...", ", and what ...".
PART_SPLIT = re.compile(r"\?+|;|\b(?:and|also|plus|or)\s+(?=(?:what|how|which|when|is|are|does|do|can|could|"
                        r"should|why|where|who|will|would|any)\b)|,\s*(?=(?:what|how|which|when|why|where|who)\b)",
                        re.I)
PART_COVERAGE = 0.5  # without an embedder: share of a part's concepts its best sentence must name
PART_SHARE = 0.8  # a picked sentence scoring this share of a part's best answers the part (as the floor above)


def question_parts(question: str) -> list[str]:
    """The separate things a question asks (one part for a simple question)."""
    parts = [re.sub(r"^(and|also|plus|or)\s+", "", p.strip(" ,."), flags=re.I) for p in PART_SPLIT.split(question)]
    return [p for p in parts if sum(len(t) > 2 for t in tokenize(p)) >= 2]


def part_answers(question: str, scored: list[Scored], picked: list[Scored], idf: dict[str, float],
                 cfg: ComposeSettings, store: Store | None = None,
                 embed: Callable[[list[str]], np.ndarray] | None = None) -> list[Scored]:
    """For a question in several parts, the best sentence for each part the picked sentences leave out.

    Each part is scored on its own as the whole question is (cosine to the part, when ``embed`` is given,
    and its concepts' overlap), with the drugs and therapies the question names added to a part that does
    not name them ("main tox to watch for? and is it any use in B-lineage disease (nelarabine)").  A part is
    answered already when a picked sentence scores at least ``PART_SHARE`` of the part's best."""
    parts = question_parts(question)
    if len(parts) < 2:
        return []
    pool = [s for s in scored[:20] if s.score >= cfg.min_sentence_score]
    if not pool:
        return []
    topic = named(question, ("drug", "therapy"))
    texts = [part + "".join(f" ({t})" for t in sorted(topic - named(part, ("drug", "therapy")))) for part in parts]
    vecs = embed(texts) if embed is not None and store is not None else None
    out: list[Scored] = []
    for i, text in enumerate(texts):
        terms = query_terms(text, idf)

        def part_score(s: Scored, terms: list[Concept] = terms, i: int = i) -> float:
            ov = overlap_score(terms, f"{s.unit.section.split(' > ')[-1]} {s.unit.text}")
            if vecs is None or store is None:
                return ov
            return 0.6 * float(store.unit_vector(s.unit.id) @ vecs[i]) + 0.4 * ov

        chosen = [*picked, *out]
        best = max(pool, key=part_score)
        top = part_score(best)
        if best in chosen or any(part_score(c) >= PART_SHARE * top for c in chosen):
            continue  # this part is answered already
        enough = top >= cfg.min_sentence_score if vecs is not None else top >= PART_COVERAGE
        if enough and not any(jaccard(best.unit.text, c.unit.text) > cfg.dedup_jaccard for c in chosen):
            out.append(best)
    return out


def _build(draft: Draft, picked: list[Scored], store: Store) -> None:
    """Expand lists, put the best sentence first and the rest by document and position, number citations."""
    by_doc_rank: dict[str, int] = {}
    for s in picked:
        by_doc_rank.setdefault(s.unit.doc_id, len(by_doc_rank))
    groups: dict[str, tuple[Scored, list[Unit]]] = {}
    for s in picked:
        u = s.unit
        units = list_units(u, store)
        if len(units) > 1 or u.kind != "sentence":
            groups.setdefault(units[0].id, (s, units))
        elif u.id not in groups:
            groups[u.id] = (s, [u])
    shown_in_block = {x.id for _, us in groups.values() if len(us) > 1 for x in us[1:]}
    for key in [k for k, (_, us) in groups.items() if len(us) == 1 and us[0].id in shown_in_block]:
        groups.pop(key)  # a sentence quoted already with the lead-in that introduces it
    for key, (s, units) in list(groups.items()):
        if key not in groups:
            continue  # became the context of a later sentence
        ref = referent(units[0], store) if len(units) == 1 else None
        if ref is None:
            continue
        host = next((k for k, g in groups.items() if k != key and len(g[1]) > 1 and ref in g[1]), None)
        if host is not None:
            # its context is quoted already with another sentence: when it follows that quote directly, it joins
            # it (one citation, one span), so the figure is read with what it is about
            hs, hunits = groups[host]
            last = hunits[-1]
            if last.kind == "sentence" and last.doc_id == units[0].doc_id and last.position + 1 == units[0].position:
                groups[host] = (s if s is picked[0] else hs, [*hunits, units[0]])
                groups.pop(key)
            continue
        groups.pop(ref.id, None)  # shown here, with the sentence that needs it, as one citation
        groups[key] = (s, [ref, *units])
    # The best sentence's statement first (the answer), then the others by document and position (its context
    # and the rest read in the order the sources give them).
    ordered = sorted(groups.values(), key=lambda g: (g[0] is not picked[0], by_doc_rank[g[1][0].doc_id],
                                                     g[1][0].position))
    for s, units in ordered:
        first, last = units[0], units[-1]
        doc = store.docs[first.doc_id]
        n = len(draft.citations) + 1
        draft.citations.append(Citation(n, s.passage.chunk.id, doc.id, doc.title, first.section, first.start,
                                        last.end, doc.raw[first.start:last.end], first.id, doc.page_of(first.start)))
        for i, u in enumerate(units):
            draft.statements.append(Statement(u.text, [n], u.id, bullet=i > 0 and u.kind == "item"))


def closest_about(draft: Draft, names: set[str], store: Store, n: int, dedup: float) -> Draft | None:
    """A draft of the ``n`` closest candidate sentences that name one of the drugs ``names`` (in the sentence
    or its section's title): the draft's own statements first, then the rest of its candidates by score.  For
    an answer that says the sources give no dose of a drug: the statements shown under it are about that drug,
    not another drug's approval.  None when no candidate names one.  ``dedup``: the composer's near-duplicate
    Jaccard (``compose.dedup_jaccard``)."""
    shown = {st.unit_id: i for i, st in enumerate(draft.statements)}
    pool = [s for s, _ in draft.pool] or draft.scored
    about = [s for s in pool if named(f"{s.unit.section.split(' > ')[-1]} {s.unit.text}", ("drug",)) & names]
    about.sort(key=lambda s: (shown.get(s.unit.id, len(shown)), -s.score))
    chosen: list[Scored] = []
    for s in about:
        if len(chosen) < n and not any(jaccard(s.unit.text, c.unit.text) > dedup for c in chosen):
            chosen.append(s)
    if not chosen:
        return None
    out = Draft(best_score=draft.best_score, scored=draft.scored, pool=draft.pool)
    _build(out, chosen, store)
    return out


def answer_first(draft: Draft, gives: Callable[[str], bool]) -> None:
    """Move the statements that give what was asked (a dose, the value asked for) to the front, each citation
    as a whole (a sentence stays after its context); the rest keep their order."""
    first = {st.cites[0] for st in draft.statements if st.cites and gives(st.text)}
    draft.statements.sort(key=lambda st: 0 if st.cites and st.cites[0] in first else 1)
