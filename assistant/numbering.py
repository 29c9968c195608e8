"""Citation numbers: drop the unused ones and number the rest 1..n in order of use (pure)."""

from __future__ import annotations

from dataclasses import replace

from .types import Citation, Statement


def _in_order_of_use(statements: list[Statement]) -> dict[int, int]:
    """Each citation number used, mapped to its number when counted 1..n in order of use."""
    mapping: dict[int, int] = {}
    for st in statements:
        for n in st.cites:
            mapping.setdefault(n, len(mapping) + 1)
    return mapping


def others_last(statements: list[Statement], citations: list[Citation], others: dict[tuple[str, str], list[int]]
                ) -> tuple[list[Statement], list[Citation], dict[tuple[str, str], list[int]]]:
    """The citations in ``others`` (statements about another group than the asker's) moved after the rest, the
    order kept otherwise; every citation renumbered, ``others`` with them."""
    other = {n for ns in others.values() for n in ns}
    statements = sorted(statements, key=lambda st: bool(st.cites) and st.cites[0] in other)  # stable
    mapping = _in_order_of_use(statements)
    statements, citations = renumber(statements, citations)
    return statements, citations, {pair: sorted(mapping[n] for n in ns if n in mapping)
                                   for pair, ns in others.items()}


def renumber(statements: list[Statement], citations: list[Citation]) -> tuple[list[Statement], list[Citation]]:
    """Drop citations no statement uses any more and number the rest 1..n in order of use."""
    by_n = {c.n: c for c in citations}
    mapping = _in_order_of_use(statements)
    new_cits = [replace(by_n[old], n=new) for old, new in mapping.items()]
    new_stmts = [replace(st, cites=[mapping[n] for n in st.cites]) for st in statements]
    return new_stmts, new_cits
