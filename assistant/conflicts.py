"""Pure detection of sources that disagree or supersede one another.

Among the sentences retrieved for a question, two sentences from different
documents that name the same drug (in their text or section) and report the
same measure with different values disagree; a sentence saying a drug was
withdrawn supersedes another document's sentence saying it is approved.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .lexicon import load_lexicon
from .numbers import extract
from .types import Document, Unit

MEASURES = {
    "response rate": re.compile(r"respon\w*|remission rate|\bCR rates?\b", re.I),
    "dose": re.compile(r"\bdose|dosage|mg/m", re.I),
}
# What a question must ask about for a measure's disagreement to matter to it.
ASKS = {
    "response rate": re.compile(r"respon|remission|work|effective|success|rate|how (well|good|often)", re.I),
    "dose": re.compile(r"\bdos|how much|mg\b|amount", re.I),
}
WITHDRAWN = re.compile(r"\bwithdrawn\b|\bno longer (available|marketed)\b|\bdiscontinued\b", re.I)
APPROVED = re.compile(r"\bapproved\b", re.I)


@dataclass(frozen=True)
class Conflict:
    kind: str  # "conflict" | "outdated"
    topic: str
    units: tuple[Unit, ...]  # newest source first


def _drugs(unit: Unit) -> set[str]:
    leaf = unit.section.split(" > ")[-1]
    return {g.canonical for g, _ in load_lexicon().find(f"{leaf} {unit.text}", ("drug",))}


def _date(doc: Document) -> str:
    return doc.date or "0000"


def find_conflicts(units: list[Unit], docs: dict[str, Document], focus: set[str], question: str = "",
                   group: Callable[[Unit], str] | None = None) -> list[Conflict]:
    """Conflicts among ``units`` about the drugs in ``focus`` that the question asks about.

    Figures are compared like with like only: ``group`` names the population and setting of a sentence
    ("children", "adults|mrd", ...), and two figures disagree only within one group."""
    out: list[Conflict] = []
    by_drug: dict[str, list[Unit]] = {}
    for u in units:
        for d in _drugs(u) & focus:
            by_drug.setdefault(d, []).append(u)
    for drug, us in by_drug.items():
        withdrawn = [u for u in us if WITHDRAWN.search(u.text)]
        approved = [u for u in us if APPROVED.search(u.text) and not WITHDRAWN.search(u.text)]
        pairs = [(w, a) for w in withdrawn for a in approved if w.doc_id != a.doc_id]
        if pairs:
            w, a = pairs[0]
            ordered = sorted((w, a), key=lambda u: _date(docs[u.doc_id]), reverse=True)
            out.append(Conflict("outdated", f"whether {drug} is available", tuple(ordered)))
            continue
        for measure, pattern in MEASURES.items():
            if question and not ASKS[measure].search(question):
                continue
            hits = [u for u in us if pattern.search(u.text) and _percent_or_dose(u.text, measure)]
            by_group: dict[str, dict[str, Unit]] = {}
            for u in hits:
                by_group.setdefault(group(u) if group else "", {}).setdefault(u.doc_id, u)
            found = _differ(by_group, measure, docs)
            if found:
                key, differing = found
                where = f" ({key.replace('|', ', ')})" if key else ""
                out.append(Conflict("conflict", f"the {drug} {measure}{where}", differing))
                break
    return out


def _differ(by_group: dict[str, dict[str, Unit]], measure: str,
            docs: dict[str, Document]) -> tuple[str, tuple[Unit, ...]] | None:
    """The first group in which two documents give different figures (newest first), or None."""
    for key, docs_seen in by_group.items():
        if len(docs_seen) < 2:
            continue
        vals = {d: _percent_or_dose(u.text, measure) for d, u in docs_seen.items()}
        if len({frozenset(v) for v in vals.values()}) > 1:
            ordered = sorted(docs_seen.values(), key=lambda u: _date(docs[u.doc_id]), reverse=True)
            return key, tuple(ordered[:3])
    return None


def _percent_or_dose(text: str, measure: str) -> set[tuple[float, float | None]]:
    units = {"%"} if measure == "response rate" else {"mg/m2", "mg/m2/day", "mcg/day", "mg"}
    return {(q.a, q.b) for q in extract(text) if q.unit in units}
