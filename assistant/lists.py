"""What showing a sentence shows: a list's lead-in with its items, a lead-in whose list the page gives as
paragraphs with the sentences after it, any other sentence by itself; and what that costs in characters.
Pure over the store's units."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .types import Unit

if TYPE_CHECKING:
    from .compose import Scored
    from .retrieve import Store

INTRODUCED_CHARS = 900  # most characters of the paragraphs shown after a lead-in whose list is not itemised


def list_units(u: Unit, store: Store) -> list[Unit]:
    """What showing ``u`` shows: a list's lead-in or item brings the lead-in and the list's items (as
    :func:`compose._build` quotes them); a lead-in whose list the page gives as paragraphs ("further pretreatment
    evaluation should include:" then a paragraph per test) brings the sentences after it in its section; any
    other sentence itself."""
    lead_id = u.id if u.kind == "lead" else (u.lead if u.kind == "item" else "")
    if not lead_id or lead_id not in store.units:
        return [u]
    lead = store.units[lead_id]
    items = store.list_items(lead_id)[:12]
    return [lead, *(items or introduced(lead, store))]


def introduced(lead: Unit, store: Store) -> list[Unit]:
    """The sentences after a lead-in without list items, in its section, up to :data:`INTRODUCED_CHARS` (at
    least one) and not past the next lead-in."""
    by_pos = store.by_position()
    out: list[Unit] = []
    size, pos = 0, lead.position + 1
    while (lead.doc_id, pos) in by_pos:
        nxt = by_pos[(lead.doc_id, pos)]
        if nxt.section != lead.section or nxt.kind == "lead" or (out and size + len(nxt.text) > INTRODUCED_CHARS):
            break
        out.append(nxt)
        size, pos = size + len(nxt.text), pos + 1
    return out


def bare_lead(u: Unit, store: Store) -> bool:
    """A list's lead-in that introduces nothing the sources give (it ends in ":" and nothing follows it in its
    section)."""
    return u.kind == "lead" and len(list_units(u, store)) == 1


def shown_chars(picked: list[Scored], store: Store) -> int:
    """Characters the picked sentences take once shown (each list once, whole)."""
    units = {x.id: len(x.text) for s in picked for x in list_units(s.unit, store)}
    return sum(units.values())
