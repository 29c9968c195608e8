"""Pure rules on a sentence's context: what it refers back to, and whom it is about.

``referent`` is the sentence a statement cannot be read without: the one before it when it opens with
"In this patient population" or speaks of "these patients", or the opening sentence of its paragraph when
it gives a dose or a figure without naming the drug or treatment (the setting is in the opening sentence:
"Blinatumomab was also granted accelerated approval for ... MRD ... In patients weighing < 45 kg, ...").
``population`` says whom a statement is about, from the sentence itself, then its referent, then its section,
then its document, and ``where`` it was found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from . import phrases
from .lexicon import load_lexicon
from .retrieve import Store
from .types import Statement, Unit

ANAPHORA = re.compile(r"^(In this|This|These|That|Those|It|Its|They|Such|In addition|However|Thus|Another|"
                      r"The other|In contrast|Similar|Of the|Among)\b")
REFERS = re.compile(
    r"\b(this|these|that|those|such|the same) (\w+ )?(patients|population|group|groups|setting|cohort|study|trial|"
    r"regimen|children|adults|cases|subjects|combination|approach|schedule|dose|doses)\b|"
    r"\ball (patients|children|adults|three|four|five|of them)\b|\bboth (groups|arms|regimens)\b", re.I)
FIGURE = re.compile(r"\d")
DOSE = re.compile(r"\d\s*(mg|mcg|µg|g/m|gm/sq|cGy|Gy\b)", re.I)
TREATMENT_KINDS = ("drug", "therapy")
GROUPS = ("children", "adults")


@dataclass(frozen=True)
class About:
    population: str  # "children" | "adults" | "" (mixed or unknown)
    where: str  # "sentence" | "context" | "section" | "document" | ""


def _same_paragraph(raw: str, a: Unit, b: Unit) -> bool:
    """True when nothing but spaces and reference markers separates ``a`` (earlier) from ``b``."""
    gap = raw[a.end:b.start]
    return "\n" not in gap and "•" not in gap


def paragraph_opener(u: Unit, store: Store) -> Unit:
    by_pos, raw = store.by_position(), store.docs[u.doc_id].raw
    first = u
    while True:
        prev = by_pos.get((u.doc_id, first.position - 1))
        if prev is None or prev.section != u.section or prev.kind != "sentence" \
                or not _same_paragraph(raw, prev, first):
            return first
        first = prev


def names_treatment(text: str) -> bool:
    return bool(load_lexicon().find(text, TREATMENT_KINDS))


def referent(u: Unit, store: Store) -> Unit | None:
    """The earlier sentence ``u`` must be shown with, or None (list items are shown with their lead already)."""
    if u.kind != "sentence":
        return None
    prev = store.by_position().get((u.doc_id, u.position - 1))
    if prev is None or prev.section != u.section or prev.kind == "lead":
        return None
    raw = store.docs[u.doc_id].raw
    if ANAPHORA.match(u.text) or (REFERS.search(u.text) and _same_paragraph(raw, prev, u)):
        return prev
    if DOSE.search(u.text):
        # A dose is shown with the sentence that says what it is for: the opening of its paragraph when that
        # names the same treatment ("Nelarabine is approved for ... T-cell ALL ... Recommended dose of
        # nelarabine in adults is 1500 mg/m2"), else the nearest earlier sentence of the paragraph that does.
        own = treatments(u.text)
        earlier = _paragraph_before(u, store)
        for cand in [*earlier[:1], *reversed(earlier[1:])]:
            named = treatments(cand.text)
            if named and (not own or named & own):
                return cand
        return None
    if FIGURE.search(u.text) and not names_treatment(u.text):
        opener = paragraph_opener(u, store)
        if opener.id != u.id and names_treatment(opener.text):
            return opener
        if not groups_in(u.text) and (names_treatment(prev.text) or groups_in(prev.text)):
            return prev  # a figure that names neither a treatment nor a group is read with the sentence before
    return None


def _paragraph_before(u: Unit, store: Store) -> list[Unit]:
    """The sentences of ``u``'s paragraph before it, in order."""
    by_pos = store.by_position()
    opener = paragraph_opener(u, store)
    return [by_pos[(u.doc_id, p)] for p in range(opener.position, u.position)]


def treatments(text: str) -> set[str]:
    return {g.canonical for g, _ in load_lexicon().find(text, TREATMENT_KINDS)}


def groups_in(text: str) -> set[str]:
    return {g.canonical for g, _ in load_lexicon().find(text, ("population",))} & set(GROUPS)


def population(u: Unit, store: Store, context: Unit | None = None) -> About:
    """Whom ``u`` is about: the first of its own words, its context, its section, its document that says."""
    for where, text in (("sentence", u.text), ("context", context.text if context else ""),
                        ("section", u.section)):
        found = groups_in(text)
        if found:
            return About(found.pop() if len(found) == 1 else "", where)
    doc = store.docs[u.doc_id].audience_age
    return About(doc, "document") if doc in GROUPS else About("", "")


def mark_other_groups(statements: list[Statement], store: Store,
                      asked: str) -> tuple[list[Statement], dict[str, list[int]]]:
    """Statements labelled with the group they are about where that is not ``asked``; and, per group, the
    citation numbers of those statements (for the notice)."""
    if asked not in GROUPS:
        return statements, {}
    out: list[Statement] = []
    others: dict[str, list[int]] = {}
    first_of: dict[int, Unit] = {}  # the opening unit of each citation: the context of the ones after it
    for st in statements:
        u = store.units.get(st.unit_id)
        if u is None:
            out.append(st)
            continue
        n = st.cites[0] if st.cites else -1
        ctx = referent(u, store) or first_of.setdefault(n, u)
        about = population(u, store, ctx if ctx.id != u.id else None)
        if about.population and about.population != asked:
            st = replace(st, label=phrases.ABOUT.format(population=about.population))
            for c in st.cites:
                if c not in others.setdefault(about.population, []):
                    others[about.population].append(c)
        out.append(st)
    return out, others
