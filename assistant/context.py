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
from .lexicon import named
from .questions import asker_age
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
    return bool(treatments(text))


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
    return named(text, TREATMENT_KINDS)


KIN = re.compile(r"\b(son|daughter|boy|girl)s?\b", re.I)


def groups_in(text: str) -> set[str]:
    return named(text, ("population",)) & set(GROUPS)


def asked_groups(question: str) -> set[str]:
    """The groups of people a question is about: an age it states (under 18: children; over 21: adults) says it
    better than a kinship word ("son" is a child in the lexicon, but "my son is 23" is an adult)."""
    age = asker_age(question)
    if age is None or 18 <= age <= 21:
        return groups_in(question)
    return groups_in(KIN.sub(" ", question)) | {"children" if age < 18 else "adults"}


def audience_ranking(store: Store, question: str) -> dict[str, float]:
    """The chunks of the documents written about the group ``question`` asks about (children, adults), all
    tied first (a ranking retrieval fuses in); empty when it asks about none, or about both."""
    from .retrieve import tied_ranks

    groups = asked_groups(question) & {"children", "adults"}
    if len(groups) != 1:
        return {}
    group = next(iter(groups))
    return tied_ranks([(c, 1.0) for c in store.chunk_order if store.docs[store.chunks[c].doc_id].audience_age == group])


# When the relapse came (early: within 36 months of diagnosis or on treatment; late: after) and which relapse
# it is.  Each pattern reads a sentence or a question; a text that names both sides says neither.
MONTHS = r"(\d{1,3})\s*(months?|mo)\b|(\d{1,2}|an?|one|two|three|four|five|six)\s*(years?|yrs?)\b"
TIMING = {
    "early relapse": re.compile(r"\bearly relapse|\bvery early\b|\brelaps\w*\s+(with)?in (the first )?(12|18|24|30)\s"
                                r"|\bless than (18|36) months|\b<\s?(18|36) months|\bwithin (12|18) months of|"
                                r"\b(on|during|while (still )?on) (therapy|treatment|maintenance)\b", re.I),
    "late relapse": re.compile(r"\blate relapse|\b(36|thirty-six) months (or|are) more|\bafter (18|36) months"
                               r"|\b(two|three|2|3) years or more (from|after)|\bmore than (18|36) months after|"
                               r"\brelapse(d|s)? (after|off) (therapy|treatment) (had )?(ended|stopped|finished)",
                               re.I),
}
ORDER = {
    "first relapse": re.compile(r"\bfirst (marrow |bone marrow |isolated )?relapse|\binitial (bone marrow )?relapse",
                                re.I),
    "second or later relapse": re.compile(
        r"\b(second|2nd|third|3rd|subsequent|later|multiple) (or (subsequent|later) )?relapse|\bmultiply relapsed|"
        r"\brelapsed (again|twice)|\bsecond time\b|\bthird time\b|\bback (again|a second time)|"
        r"\b(at least|two or more) (two )?prior (regimens|therapies)|\bsecond or later", re.I),
}
AXES = {"timing": TIMING, "order": ORDER}
_NUM = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
ASKED_WHEN = re.compile(r"\b(relaps\w*|came back|come back|recurr\w*)\b[^.?!]{0,30}?\b(" + MONTHS + r")\s*"
                        r"(after|from|since|post)\s+(\w+\s+){0,3}?(diagnos\w*|dx|starting|first)", re.I)


def axis_value(text: str, axis: str) -> str:
    found = {name for name, pattern in AXES[axis].items() if pattern.search(text)}
    return found.pop() if len(found) == 1 else ""


def asked_timing(question: str) -> str:
    """Early or late relapse, from the question's words or from the months since diagnosis it gives."""
    m = ASKED_WHEN.search(question)
    if m:
        months = int(m.group(3)) if m.group(3) else 12 * int(_NUM.get(m.group(5).lower(), m.group(5)))
        return "early relapse" if months < 36 else "late relapse"
    return axis_value(question, "timing")


def population(u: Unit, store: Store, context: Unit | None = None) -> About:
    """Whom ``u`` is about: the first of its own words, its context, its section, its document that says."""
    refers = context is not None and bool(ANAPHORA.match(u.text) or REFERS.search(u.text))
    for where, text in (("sentence", u.text), ("context", context.text if context else ""),
                        ("section", u.section)):
        found = groups_in(text)
        if where == "sentence" and found and refers:  # "In this patient population ...; adults get less"
            found |= groups_in(context.text)  # type: ignore[union-attr]
        if found:
            return About(found.pop() if len(found) == 1 else "", where)
    doc = store.docs[u.doc_id].audience_age
    return About(doc, "document") if doc in GROUPS else About("", "")


def about(u: Unit, store: Store, context: Unit | None = None) -> dict[str, str]:
    """The group, relapse timing and relapse order a statement is about ("" where it does not say)."""
    out = {"group": population(u, store, context).population}
    # A sentence says itself when the relapse it is about came; else the sentence it is read with (a figure
    # after "This study evaluated ... children with ALL in first marrow relapse"), else its section.
    for axis in AXES:
        for text in (u.text, context.text if context is not None else "", u.section):
            value = axis_value(text, axis)
            if value:
                out[axis] = value
                break
    return out


def asker(question: str, group: str) -> dict[str, str]:
    """The same three things for the person asked about."""
    return {"group": group if group in GROUPS else "", "timing": asked_timing(question),
            "order": axis_value(question, "order")}


def mark_other_groups(statements: list[Statement], store: Store,
                      asked: dict[str, str]) -> tuple[list[Statement], dict[tuple[str, str], list[int]]]:
    """Statements labelled with what they are about where that differs from ``asked`` (adults vs children,
    late vs early relapse, first vs later relapse); and, per (asked, other) pair, their citation numbers."""
    if not any(asked.values()):
        return statements, {}
    out: list[Statement] = []
    others: dict[tuple[str, str], list[int]] = {}
    first_of: dict[int, Unit] = {}  # the opening unit of each citation: the context of the ones after it
    for st in statements:
        u = store.units.get(st.unit_id)
        if u is None:
            out.append(st)
            continue
        n = st.cites[0] if st.cites else -1
        ctx = referent(u, store) or first_of.setdefault(n, u)
        its = about(u, store, ctx if ctx.id != u.id else None)
        differs = [(asked[k], its[k]) for k in ("group", "timing", "order")
                   if asked.get(k) and its.get(k) and its[k] != asked[k]]
        if differs:
            st = replace(st, label=phrases.ABOUT.format(population="; ".join(other for _, other in differs)))
            for pair in differs:
                for c in st.cites:
                    if c not in others.setdefault(pair, []):
                        others[pair].append(c)
        out.append(st)
    return out, others
