"""Pure rules for questions about a person's own medicine: never show another drug's dose.

A question that asks what dose someone should get, or whether to stop, skip or change a medicine, is
answered with general statements about the drug it names.  ``only_asked_doses`` drops every statement that
gives a dose (a number with mg, mcg, g/m² ...) unless the statement itself names a drug asked about, or
names no drug and the statement it is quoted with (the lead of its list, the sentence it refers back to)
does.  With no drug asked about, a personal question gets no dose at all; with one, it gets no statement
about other drugs only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .lexicon import named
from .types import Statement

DOSE = re.compile(r"\d\s*(mg|mcg|µg|g/m|gm/sq|mg/kg|units?/m)", re.I)


def drugs_in(text: str) -> set[str]:
    """Canonical names of the drugs ``text`` names (brand names and abbreviations folded)."""
    return named(text, ("drug",))


def _same_family(about: set[str], asked: set[str]) -> bool:
    """Whether a drug named is the asked one in another formulation: one name's words hold the other's."""
    return any(set(a.lower().split()) <= set(b.lower().split()) or set(b.lower().split()) <= set(a.lower().split())
               for a in about for b in asked)


def only_asked_doses(statements: Iterable[Statement], asked: set[str],
                     strict: bool = False) -> tuple[list[Statement], list[Statement]]:
    """(kept, dropped): dose statements that are not about a drug in ``asked`` are dropped.

    ``strict`` (a question about a person's own medicine): statements about other drugs only are dropped too.
    """
    kept: list[Statement] = []
    dropped: list[Statement] = []
    context: dict[int, set[str]] = {}  # drugs named so far in each citation group
    for st in statements:
        group = st.cites[0] if st.cites else -1
        own = drugs_in(st.text)
        about = own or context.get(group, set())
        context.setdefault(group, set()).update(own)
        # a formulation of the asked drug is not another drug ("vincristine sulfate ... was withdrawn" for a
        # question about liposomal vincristine), though its dose still is not the asked drug's dose
        other_drug = bool(strict and asked and about and not about & asked and not _same_family(about, asked))
        if other_drug or (DOSE.search(st.text) and not about & asked):
            dropped.append(st)
        else:
            kept.append(st)
    return kept, dropped
