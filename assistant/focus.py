"""Drafts that miss what was asked: the focus checks and the rescues that run after composing.

A question naming a drug needs a statement about that drug; a dose question needs that drug's dose; a question
asking for a value (``answertype``) needs a statement giving it.  ``rescue_*`` add the best retrieved sentence
that closes the gap; ``*_gap`` say why the draft still misses it (the pipeline then abstains).  Pure over the
question, the draft and the store.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator

from .answertype import answer_gap, answered_topics, answers, asked_kind, focus
from .compose import DOSE_QUESTION, DRUG_DOSE_UNIT, Draft, Scored
from .context import asked_groups, population, referent
from .lexicon import load_lexicon
from .retrieve import Store
from .types import Citation, Statement
from .vocabulary import load_vocabulary


def _drugs_of(unit_text: str, leaf: str, context: str) -> set[str]:
    return {g.canonical for g, _ in load_lexicon().find(f"{leaf} {context} {unit_text}", ("drug",))}


def dosed_drugs(unit_text: str, leaf: str, context: str) -> set[str]:
    """The drugs a statement gives a dose of.  A dose belongs to the drug named last before it in the sentence
    ("dasatinib (70 mg orally twice daily) ... in imatinib-resistant patients" is a dose of dasatinib, not of
    imatinib); a dose with no drug before it, to the drugs of the section and the sentences before, or else of
    the sentence."""
    low = unit_text.lower()
    spots = sorted((m.start(), g.canonical) for g, name in load_lexicon().find(unit_text, ("drug",))
                   for m in re.finditer(re.escape(name.lower()), low))
    out: set[str] = set()
    for m in DRUG_DOSE_UNIT.finditer(unit_text):
        before = [c for pos, c in spots if pos < m.start()]
        out |= {before[-1]} if before else (_drugs_of("", leaf, context) or {c for _, c in spots})
    return out


def _context(store: Store, unit_id: str) -> tuple[str, str]:
    """(section leaf, earlier sentences of the same paragraph, or a list item's lead-in) of a unit."""
    unit = store.units.get(unit_id)
    if unit is None:
        return "", ""
    by_pos = store.by_position()
    raw = store.docs[unit.doc_id].raw
    before: list[str] = []
    cur = unit
    for _ in range(3):  # earlier sentences of the same paragraph (no line break in between)
        prev = by_pos.get((unit.doc_id, cur.position - 1))
        if prev is None or "\n" in raw[prev.end:cur.start]:
            break
        before.insert(0, prev.text)
        cur = prev
    lead = store.units.get(unit.lead) if unit.kind == "item" else None
    if lead is not None:
        before.insert(0, lead.text)  # a list item is read with its lead-in ("Drugs ... in combination include:")
    return unit.section.split(" > ")[-1], " ".join(before)


def focus_gap(question: str, statements: list[Statement], store: Store) -> str:
    """Why the drafted statements miss the question's focus ("" when they do not).

    A question naming a drug needs a statement about that drug (its text, section or previous sentence);
    a dose question about a drug needs such a statement with a dose in it.
    """
    drugs = {g.canonical for g, _ in load_lexicon().find(question, ("drug",))}
    if not drugs:
        return therapy_dose_gap(question, statements, store)
    about = [st for st in statements if drugs & _drugs_of(st.text, *_context(store, st.unit_id))]
    if not about:
        return f"no statement about {', '.join(sorted(drugs))}"
    if not dose_question(question):
        return ""
    drugs = dose_of(question) or drugs  # "pegaspargase dose in the cytarabine regimen": pegaspargase's
    dosed = [st for st in about if drugs & dosed_drugs(st.text, *_context(store, st.unit_id))]
    if not dosed:
        return f"no dose of {', '.join(sorted(drugs))} in the sources"
    asked_for = _dose_group(question)
    if asked_for and not any(_group_of(st, store) in asked_for | {""} for st in dosed):
        return f"no dose of {', '.join(sorted(drugs))} for {next(iter(asked_for))} in the sources"
    when = dose_time(question)
    if when and not timed_dose_given(when, [st.text for st in about]):
        return f"no dose of {', '.join(sorted(drugs))} for {when[0]} {when[1]} in the sources"
    return ""


def dose_of(question: str) -> set[str]:
    """The drugs whose dose a question asks by name: right before the dose word ("pegaspargase dose") or right
    after it ("the dose of nelarabine"); empty when the dose word names none of them."""
    out = set()
    for group, name in load_lexicon().find(question, ("drug",)):
        n = re.escape(name)
        if re.search(rf"\b{n}(?:'s)?\s+(?:\w+\s+)?(?:dose|doses|dosage|dosing)\b|"
                     rf"\b(?:dose|dosage|dosing)\s+(?:of|for)\s+(?:the\s+|a\s+)?(?:\w+\s+)?{n}\b", question, re.I):
            out.add(group.canonical)
    return out


THERAPY_DOSE = re.compile(r"\d\s*(c?Gy|mg|mcg|g/m)\b", re.I)  # "2400 cGy", "12 mg": a dose of a therapy


def therapy_dose_gap(question: str, statements: list[Statement], store: Store) -> str:
    """A dose question naming a therapy but no drug ("what radiation dose to the testes") needs a statement
    about that therapy (its text, section or previous sentence) with a dose in it."""
    if not dose_question(question):
        return ""
    therapies = _therapies(question)
    if not therapies:
        return ""
    if any(_therapy_dose_of(question, therapies, st.text, store, st.unit_id) for st in statements):
        return ""
    return f"no dose of {', '.join(sorted(therapies))} in the sources"


def _therapies(text: str) -> set[str]:
    return {g.canonical for g, _ in load_lexicon().find(text, ("therapy",))}


def _therapy_dose_of(question: str, therapies: set[str], text: str, store: Store, unit_id: str) -> bool:
    """``text`` gives a dose of one of ``therapies`` (named in it, its section or the sentences before) for what
    the question is about beyond the dose (a dose to the cranium is no answer for the testes)."""
    if not THERAPY_DOSE.search(text):
        return False
    wide = " ".join((text, *_context(store, unit_id)))
    if not therapies & _therapies(wide):
        return False
    asked_sites = body_sites(question)
    return not asked_sites or not (given := body_sites(wide)) or bool(asked_sites & given)


# The parts of the central nervous system count as it: a dose "to the cranium" is one for a CNS relapse.
_CNS_PARTS = {"brain", "spinal cord", "cerebrospinal fluid", "blood-brain barrier"}


def body_sites(text: str) -> set[str]:
    """The body sites (vocabulary terms of kind body_site) ``text`` names, the CNS for any of its parts."""
    sites = {g.canonical for g, _ in load_vocabulary().lexicon.find(text, ("body_site",))}
    return sites | ({"central nervous system"} if sites & _CNS_PARTS else set())


_ORDINAL = {"first": "1", "second": "2", "third": "3", "fourth": "4", "one": "1", "two": "2", "three": "3",
            "four": "4"}
_ORDINAL_WORD = {"1": "first", "2": "second", "3": "third", "4": "fourth"}
_TIME_POINT = re.compile(r"\b(week|day|cycle|course|month)[\s-]*(\d+|one|two|three|four)\b|"
                         r"\b(first|second|third|fourth)[\s-]+(week|day|cycle|course|month)\b", re.I)
_RELATIVE = re.compile(r"\b(after|following|beyond|past|from|since|until|before)\s+(the\s+|that\s+)?$", re.I)
_DOSE_CLAUSE = re.compile(r"[;,]|\bthen\b|\band\b|\bfollowed by\b", re.I)


def _dose_part(question: str) -> str:
    """The sentence of ``question`` that asks for the dose (the whole question when none does)."""
    return next((part for part in re.split(r"(?<=[.?!])\s+", question) if DOSE_QUESTION.search(part)), question)


def dose_time(question: str) -> tuple[str, str] | None:
    """The time point a dose is asked for ("the dose in week 1", "first cycle dose"): (unit, number) or None."""
    asking = _dose_part(question)
    m = next((m for m in _TIME_POINT.finditer(asking) if not _RELATIVE.search(asking[:m.start()])), None)
    if not m:  # "after the first week" asks for the weeks after it
        return None
    unit, n = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
    return unit.lower(), _ORDINAL.get(n.lower(), n)


def _names_time(text: str, when: tuple[str, str]) -> bool:
    unit, n = when
    ordinal = _ORDINAL_WORD.get(n)
    pattern = rf"\b{unit}s?\s*{n}\b" + (rf"|\b{ordinal}\s+{unit}\b" if ordinal else "")
    return re.search(pattern, text, re.I) is not None


def timed_dose_given(when: tuple[str, str], texts: list[str]) -> bool:
    """Whether the statements give a dose for time point ``when``: False only when some statement names that
    time point and none gives a figure in the clause that names it ("a low dose is given for week 1 ... and then
    increased to 28 mcg/day" names week 1 with no figure for it)."""
    naming = [t for t in texts if _names_time(t, when)]
    if not naming:
        return True  # the sources do not single out that time point: the drug's dose is the answer
    return any(dose_at(when, t) for t in naming)


def dose_at(when: tuple[str, str], text: str) -> bool:
    """``text`` gives a dose figure in a clause naming time point ``when``."""
    return any(_names_time(c, when) and DRUG_DOSE_UNIT.search(c) for c in _DOSE_CLAUSE.split(text))


def _lazy(make: Callable[[], list[Scored]]) -> Iterator[Scored]:
    yield from make()


def _dose_group(question: str) -> set[str]:
    """Whom a dose is asked for: the one group named where the dose is asked ("nelarabine dose in children? i
    only see the adult dose" asks for children), else the one the question names; empty when none or several."""
    asking = _dose_part(question)
    found = asked_groups(asking) or asked_groups(question)  # "the dose of nelarabine? and what about in kids?"
    return found if len(found) == 1 else set()


def _group_of(st: Statement, store: Store) -> str:
    """Whom a statement is about (children, adults or "" when it does not say)."""
    unit = store.units.get(st.unit_id)
    if unit is None:
        return ""
    return population(unit, store, referent(unit, store)).population


def dose_question(question: str) -> bool:
    """Asks for an amount of a drug ("what dose", "how much", "how many mg/m2"); "how many doses" asks for a
    count, and a dose named as the setting ("what premeds before each dose") or as a regimen ("high-dose
    cytarabine") is not what is asked."""
    asking = NAMED_DOSE.sub(" ", SETTING_DOSE.sub(" ", question))
    if HOW_MANY_UNITS.search(asking):
        return True
    # "how many doses" asks for a count, unless the dose is asked as well ("how many cells ..., what's the dose")
    # "how much does it cost" asks for a price
    kind = asked_kind(question)
    return bool(DOSE_QUESTION.search(asking)) and kind != "cost" and (kind != "count" or bool(WHAT_DOSE.search(asking)))


WHAT_DOSE = re.compile(r"\bwhat(?:'s|s|\s+is|\s+are)?\s+(?:the\s+|a\s+)?(?:\w+\s+)?(?:dose|dosage|dosing)\b", re.I)
SETTING_DOSE = re.compile(r"\b(before|after|with|between|prior to|ahead of)\s+(each|every|the|a|his|her|my)?\s*"
                          r"(\w+\s+)?(dose|doses|dosing)\b", re.I)
# "high-dose cytarabine", "low-dose TBI": a dose level naming a regimen, not a dose asked for
NAMED_DOSE = re.compile(r"\b(high|low|reduced|full|standard|intermediate|single|double|split)-dos(e|ed|ing)\b", re.I)
# "how many mg", and an amount per body size ("how many cells per kg"): a dose, not a count
HOW_MANY_UNITS = re.compile(r"\bhow many\s+(mg|mcg|milligrams?|micrograms?|units|ml)\b|"
                            r"\bhow many\s+\w+\s+(per|a|/)\s*(kg|kilo\w*|m2|m²|square met\w*)\b", re.I)


def rescue_dose(question: str, draft: Draft, store: Store, deeper: Callable[[], list[Scored]] = list) -> None:
    """For a dose question, add the best retrieved sentence giving that drug's dose (for the group asked about,
    when one is) when the draft has none: from the top passages, then from ``deeper()`` (those ranked after)."""
    drugs = {g.canonical for g, _ in load_lexicon().find(question, ("drug",))}
    if not drugs:
        _rescue_therapy_dose(question, draft, store, deeper)
        return
    if not dose_question(question) or not focus_gap(question, draft.statements, store):
        return
    asked_for, when = _dose_group(question), dose_time(question)
    # a time point the drafted statements name without its figure needs a candidate giving that figure
    untimed = when is not None and not timed_dose_given(when, [st.text for st in draft.statements])
    for sc in itertools.chain(draft.scored, _lazy(deeper)):
        u = sc.unit
        if DRUG_DOSE_UNIT.search(u.text) and drugs & dosed_drugs(u.text, *_context(store, u.id)) and \
                (not asked_for or population(u, store, referent(u, store)).population in asked_for | {""}) and \
                (not untimed or (when is not None and dose_at(when, u.text))):
            _append(draft, sc, store)
            return


def _rescue_therapy_dose(question: str, draft: Draft, store: Store, deeper: Callable[[], list[Scored]]) -> None:
    """For a dose question about a therapy (no drug named), the best retrieved sentence giving its dose."""
    if not therapy_dose_gap(question, draft.statements, store):
        return
    therapies = _therapies(question)
    for sc in itertools.chain(draft.scored, _lazy(deeper)):
        if _therapy_dose_of(question, therapies, sc.unit.text, store, sc.unit.id):
            _append(draft, sc, store)
            return


def rescue_value(question: str, about: str, draft: Draft, store: Store, min_coverage: float,
                 deeper: Callable[[], list[Scored]] = list) -> None:
    """For a question asking for a value (a duration, a rate ...), add the best retrieved sentences that give
    it for what was asked, when the drafted statements do not (see ``answertype``).

    The sentences of the top passages are tried first, then those of ``deeper()``: the passages ranked
    after them, for a value the top passages do not hold.  Each drug or therapy the question names gets
    at most one added sentence.
    """
    wanted = focus(about or question).topic
    have = answered_topics(question, _triples(draft.statements, store), about, min_coverage)
    if not asked_kind(question) or (have is not None and wanted <= have):
        return
    for candidates in (lambda: draft.scored, deeper):
        for sc in candidates():
            named = answers(question, sc.unit.text, *_context(store, sc.unit.id), about=about,
                            min_coverage=min_coverage)
            if named is None or (have is not None and named <= have):
                continue
            _append(draft, sc, store)
            have = (have or frozenset()) | named
            if wanted <= have:
                return


def value_gap(question: str, about: str, statements: list[Statement], store: Store, min_coverage: float) -> str:
    return answer_gap(question, _triples(statements, store), about, min_coverage)


def _triples(statements: list[Statement], store: Store) -> list[tuple[str, str, str]]:
    """(text, section title, earlier sentences) of each statement, as ``answertype`` takes them."""
    return [(st.text, *_context(store, st.unit_id)) for st in statements]


def _append(draft: Draft, sc: Scored, store: Store) -> None:
    """Add ``sc``'s sentence, cited, first: it gives what was asked, which the draft lacked.  A list item comes
    after its lead-in ("InO achieved superior:"); a sentence that refers back ("In this patient population, the
    dosage is ...") after the sentence it refers to, the two as one citation, as the composer quotes them."""
    blocks = [[sc.unit]]
    lead = store.units.get(sc.unit.lead) if sc.unit.kind == "item" else None
    ref = referent(sc.unit, store)
    shown = {st.unit_id for st in draft.statements}
    if lead is not None and lead.id not in shown:
        blocks.insert(0, [lead])
    elif ref is not None and ref.id not in shown:
        blocks = [[ref, sc.unit]]
    at = 0
    for units in blocks:
        first, last = units[0], units[-1]
        doc = store.docs[first.doc_id]
        chunk = store.chunk_of(first.id) or sc.passage.chunk
        n = len(draft.citations) + 1
        draft.citations.append(Citation(n, chunk.id, doc.id, doc.title, first.section, first.start, last.end,
                                        doc.raw[first.start:last.end], first.id, doc.page_of(first.start)))
        for u in units:
            draft.statements.insert(at, Statement(u.text, [n], u.id, bullet=u.kind == "item"))
            at += 1
