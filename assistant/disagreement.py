"""Sources that disagree, in an answer: both sides added to the draft (newest first, like with like), and
the notice that names them by their citation numbers once."""

from __future__ import annotations

import re

from . import phrases
from .compose import Draft
from .conflicts import Conflict, find_conflicts
from .context import population, referent
from .lexicon import named
from .retrieve import Store
from .types import Citation, Notice, Statement, Unit

MRD = re.compile(r"\bMRD\b|minimal residual|measurable residual", re.I)


def add_conflicts(draft: Draft, question: str, store: Store) -> list[Conflict]:
    """Sources that disagree like with like: both statements are added to the draft, newest first."""
    if not draft.scored:
        return []
    focus = named(question, ("drug",))
    if not focus:
        return []
    top = [s.unit for s in draft.scored[:20]]

    def group(u: Unit) -> str:
        ctx = referent(u, store)
        setting = "MRD" if MRD.search(f"{ctx.text if ctx else ''} {u.text}") else ""
        return "|".join(x for x in (population(u, store, ctx).population, setting) if x)

    conflicts = find_conflicts(top, store.docs, focus, question, group)
    for conflict in conflicts:
        present = {st.unit_id for st in draft.statements}
        for u in conflict.units:
            if u.id in present:
                continue
            doc = store.docs[u.doc_id]
            chunk = store.chunk_of(u.id)
            assert chunk is not None
            n = len(draft.citations) + 1
            draft.citations.append(Citation(n, chunk.id, doc.id, doc.title, u.section, u.start, u.end,
                                            doc.raw[u.start:u.end], u.id, doc.page_of(u.start)))
            draft.statements.append(Statement(u.text, [n], u.id))
        order = {u.id: i for i, u in enumerate(conflict.units)}
        first: dict[int, int] = {}  # a citation moves as a whole: a sentence stays after its context
        for st in draft.statements:
            if st.unit_id in order and st.cites:
                first[st.cites[0]] = min(first.get(st.cites[0], len(order)), order[st.unit_id])
        draft.statements.sort(key=lambda st: first.get(st.cites[0] if st.cites else -1, len(order)))
    return conflicts

def conflict_notices(conflicts: list[Conflict], statements: list[Statement], store: Store) -> list[Notice]:
    """One notice per conflict, written once, naming the statements by their citation numbers."""
    cite_of = {st.unit_id: st.cites[0] for st in statements if st.cites}
    out = []
    for conflict in conflicts:
        shown = [u for u in conflict.units if u.id in cite_of]
        if len(shown) < 2:
            continue  # one side was removed by a check: nothing left to compare
        sides = "; ".join(f"[{cite_of[u.id]}] {store.docs[u.doc_id].publisher} ({store.docs[u.doc_id].date_label})"
                          for u in shown)
        if conflict.kind == "outdated":
            out.append(Notice("outdated", phrases.OUTDATED.format(topic=conflict.topic, sides=sides)))
        else:
            out.append(Notice("conflict", phrases.CONFLICT.format(topic=conflict.topic, sides=sides)))
    return out
