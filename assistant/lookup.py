"""Citation lookup: a passage by id, a document's numbered reference, or a word search."""

from __future__ import annotations

import re
from typing import Any

from .errors import InputError
from .retrieve import Store, tokenize

REF = re.compile(r"^\s*(?:ref(?:erence)?\s*)?(\d+)\s*(?:of|in)\s*(?:doc(?:ument)?\s*)?(\d{3})\s*$|"
                 r"^\s*(?:doc(?:ument)?\s*)?(\d{3})\s*[:#/]\s*(?:ref(?:erence)?\s*)?(\d+)\s*$", re.I)


def lookup(store: Store, ref: str) -> dict[str, Any]:
    """``ref`` is a chunk id, a sentence id, "004:7" / "reference 7 of 004", or a document id."""
    ref = (ref or "").strip()
    if not ref:
        raise InputError("Give a passage id, a document id, or a reference such as 004:7.")
    m = REF.match(ref)
    if m:
        n, doc_id = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        return reference(store, doc_id, int(n))
    if ref in store.chunks:
        c = store.chunks[ref]
        doc = store.docs[c.doc_id]
        before = doc.raw[max(0, c.start - 300):c.start]
        after = doc.raw[c.end:c.end + 300]
        return {"kind": "passage", "chunk_id": c.id, "doc": doc.meta(), "section": c.section, "start": c.start,
                "end": c.end, "text": doc.raw[c.start:c.end], "before": before, "after": after}
    if ref in store.units:
        u = store.units[ref]
        doc = store.docs[u.doc_id]
        chunk = store.chunk_of(u.id)
        out = {"kind": "sentence", "unit_id": u.id, "doc": doc.meta(), "section": u.section, "start": u.start,
               "end": u.end, "quote": doc.raw[u.start:u.end], "refs": list(u.refs)}
        if chunk:
            out.update(chunk_id=chunk.id, context_start=chunk.start, context_end=chunk.end,
                       context=doc.raw[chunk.start:chunk.end])
        return out
    if ref in store.docs:
        doc = store.docs[ref]
        return {"kind": "document", "doc": doc.meta(), "references": len(doc.references)}
    raise InputError(f"No passage, sentence, document or reference matches {ref!r}.")


def reference(store: Store, doc_id: str, n: int) -> dict[str, Any]:
    doc = store.docs.get(doc_id)
    if doc is None:
        raise InputError(f"There is no document {doc_id}.")
    if not doc.references:
        raise InputError(f"Document {doc_id} ({doc.title}) carries no reference list in this copy.")
    for r in doc.references:
        if r.n == n:
            cited_by = [u.id for u in store.units.values() if u.doc_id == doc_id and n in u.refs]
            return {"kind": "reference", "doc": doc.meta(), "n": n, "text": r.text, "start": r.start, "end": r.end,
                    "cited_by": cited_by}
    raise InputError(f"Document {doc_id} has references 1 to {len(doc.references)}; there is no reference {n}.")


def search(store: Store, words: str, limit: int = 10) -> list[dict[str, Any]]:
    """Sentences containing all the words (case-insensitive), best matches first, with match spans."""
    terms = [t for t in tokenize(words) if len(t) > 1]
    if not terms:
        raise InputError("Type one or more words to search for.")
    hits = []
    for u in store.units.values():
        low = u.text.lower()
        if all(t in low for t in terms):
            spans = [(m.start(), m.end()) for t in terms for m in re.finditer(re.escape(t), low)]
            hits.append((len(u.text), u, sorted(spans)))
    hits.sort(key=lambda h: (h[1].doc_id, h[1].position))
    doc_title = {d: store.docs[d].title for d in store.docs}
    return [{"unit_id": u.id, "doc_id": u.doc_id, "title": doc_title[u.doc_id], "section": u.section,
             "text": u.text, "matches": spans, "start": u.start, "end": u.end} for _, u, spans in hits[:limit]]
