"""Citation lookup and word search, pure functions of the :class:`Store`.

:func:`lookup`     a passage, a sentence, a document or a numbered reference ("004:7") by id
:func:`reference`  one entry of a document's reference list, with the sentences that cite it (text included)
:func:`search`     a ranked word search over every citable sentence and every reference-list entry

The search scores each sentence or reference by the idf-weighted share of the query's words it contains
(a word matches its inflections, "relapse" ~ "relapsed", and longer words match as a prefix, "clofar" ~
"clofarabine"), plus a bonus when the query stands in it as an exact phrase; partial matches are kept and
ranked below fuller ones. A reference hit carries the sentences that cite it, so a trial or author named
only in a reference list leads to the statements that rest on it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from .errors import InputError
from .retrieve import STOPWORDS, TOKEN, Store, light_stem

REF = re.compile(r"^\s*(?:ref(?:erence)?\s*)?(\d+)\s*(?:of|in)\s*(?:doc(?:ument)?\s*)?(\d{3})\s*$|"
                 r"^\s*(?:doc(?:ument)?\s*)?(\d{3})\s*[:#/]\s*(?:ref(?:erence)?\s*)?(\d+)\s*$", re.I)
PHRASE_BONUS = 0.5  # added to the share of words matched (at most 1) when the query stands in the text as typed
PREFIX_MIN = 4  # a query word this long or longer also matches the words it begins
REFERENCES_SECTION = "References"


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
                "end": c.end, "text": doc.raw[c.start:c.end], "before": before, "after": after, **_page(doc, c.start)}
    if ref in store.units:
        u = store.units[ref]
        doc = store.docs[u.doc_id]
        chunk = store.chunk_of(u.id)
        entries = {r.n: r for r in doc.references}
        out = {"kind": "sentence", "unit_id": u.id, "doc": doc.meta(), "section": u.section, "start": u.start,
               "end": u.end, "quote": doc.raw[u.start:u.end], "refs": list(u.refs), **_page(doc, u.start),
               "references": [{"n": n, "id": f"{doc.id}:{n}", "text": entries[n].text}
                              for n in u.refs if n in entries]}
        if chunk:
            out.update(chunk_id=chunk.id, context_start=chunk.start, context_end=chunk.end,
                       context=doc.raw[chunk.start:chunk.end])
        return out
    if ref in store.docs:
        doc = store.docs[ref]
        return {"kind": "document", "doc": doc.meta(), "references": len(doc.references)}
    raise InputError(f"No passage, sentence, document or reference matches {ref!r}.")


def _page(doc: Any, start: int) -> dict[str, int]:
    """``{"page": n}`` for a span of a PDF (the page it starts on); nothing for a document without pages."""
    page = doc.page_of(start)
    return {"page": page} if page else {}


def citing(store: Store, doc_id: str, n: int) -> list[dict[str, Any]]:
    """The sentences of ``doc_id`` that cite its reference ``n``, in document order, with their text."""
    units = sorted((u for u in store.units.values() if u.doc_id == doc_id and n in u.refs),
                   key=lambda u: u.position)
    return [{"unit_id": u.id, "section": u.section, "text": u.text} for u in units]


def reference(store: Store, doc_id: str, n: int) -> dict[str, Any]:
    doc = store.docs.get(doc_id)
    if doc is None:
        raise InputError(f"There is no document {doc_id}.")
    if not doc.references:
        raise InputError(f"Document {doc_id} ({doc.title}) carries no reference list in this copy.")
    for r in doc.references:
        if r.n == n:
            return {"kind": "reference", "doc": doc.meta(), "n": n, "text": r.text, "start": r.start, "end": r.end,
                    "cited_by": citing(store, doc_id, n)}
    raise InputError(f"Document {doc_id} has references 1 to {len(doc.references)}; there is no reference {n}.")


# ----- word search -------------------------------------------------------------------------------
@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Lowercase with accents dropped, character for character (same length, so spans carry over)."""
    out = []
    for ch in text:
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).lower()
        out.append(base if len(base) == 1 else ch.lower() if len(ch.lower()) == 1 else ch)
    return "".join(out)


@lru_cache(maxsize=8192)
def word_spans(text: str) -> tuple[tuple[str, int, int], ...]:
    """(word, start, end) for each word of ``text``, folded; "relapsed/refractory" also yields its parts."""
    out: list[tuple[str, int, int]] = []
    for m in TOKEN.finditer(fold(text)):
        out.append((m.group(), m.start(), m.end()))
        if re.search(r"[-/+]", m.group()):
            out.extend((p.group(), m.start() + p.start(), m.start() + p.end())
                       for p in re.finditer(r"[a-z0-9]+", m.group()))
    return tuple(out)


def query_words(words: str) -> list[str]:
    """The query's content words, folded, each once, in order (stopwords and single letters dropped)."""
    return list(dict.fromkeys(t for t in TOKEN.findall(fold(words)) if t not in STOPWORDS and len(t.strip("+")) > 1))


def matches(query_word: str, word: str) -> bool:
    """Same word, same light stem ("doses" ~ "dose"), or a prefix of at least PREFIX_MIN letters."""
    q = query_word.rstrip("+")
    return (q == word or light_stem(q, loose=True) == light_stem(word, loose=True)
            or (len(q) >= PREFIX_MIN and word.startswith(q)))


def _phrase(words: str) -> re.Pattern[str] | None:
    toks = TOKEN.findall(fold(words))
    if len(toks) < 2:
        return None
    return re.compile(r"(?<![a-z0-9])" + r"[^a-z0-9]+".join(map(re.escape, toks)) + r"(?![a-z0-9])")


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _items(store: Store) -> Iterator[dict[str, Any]]:
    """Everything the search covers: each sentence, then each reference-list entry."""
    for u in store.units.values():
        yield {"kind": "sentence", "id": u.id, "doc_id": u.doc_id, "section": u.section, "text": u.text,
               "start": u.start, "end": u.end, "position": u.position, "refs": list(u.refs)}
    for doc in store.docs.values():
        for r in doc.references:
            yield {"kind": "reference", "id": f"{doc.id}:{r.n}", "doc_id": doc.id, "section": REFERENCES_SECTION,
                   "text": r.text, "start": r.start, "end": r.end, "position": r.n, "n": r.n}


def search(store: Store, words: str, limit: int = 10) -> list[dict[str, Any]]:
    """Sentences and reference entries ranked by the idf-weighted share of the query words they contain.

    Each hit: kind ("sentence" | "reference"), id (what :func:`lookup` opens; also as ``unit_id``), doc_id,
    title, section, text, matches (merged (start, end) spans in ``text``), matched (the query words found),
    words (all the query words), score, phrase, total (how many matched in all); a sentence's refs, or a
    reference's n and cited_by (its citing sentences with their text). An empty list when nothing matches.
    """
    terms = query_words(words)
    if not terms:
        raise InputError("Type one or more words to search for.")
    phrase = _phrase(words)
    items = list(_items(store))
    found: list[tuple[dict[str, Any], dict[str, list[tuple[int, int]]]]] = []
    df = dict.fromkeys(terms, 0)
    hit_by: dict[str, tuple[str, ...]] = {}  # a text word -> the query words it matches
    for item in items:
        spans: dict[str, list[tuple[int, int]]] = {}
        for w, s, e in word_spans(item["text"]):
            if w not in hit_by:
                hit_by[w] = tuple(t for t in terms if matches(t, w))
            for t in hit_by[w]:
                spans.setdefault(t, []).append((s, e))
        for t in spans:
            df[t] += 1
        if spans:
            found.append((item, spans))
    n = len(items)
    idf = {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in terms}
    total = sum(idf.values())
    hits = []
    for item, spans in found:
        marks = [sp for t in terms for sp in spans.get(t, [])]
        score = sum(idf[t] for t in spans) / total
        exact = phrase.search(fold(item["text"])) if phrase else None
        if exact:
            score += PHRASE_BONUS
            marks.append(exact.span())
        hits.append({**item, "score": round(score, 4), "matched": [t for t in terms if t in spans],
                     "words": terms, "phrase": bool(exact), "matches": _merge(marks)})
    hits.sort(key=lambda h: (-h["score"], len(h["text"]), h["doc_id"], h["kind"], h["position"]))
    titles = {d: store.docs[d].title for d in store.docs}
    out = hits[:limit]
    for h in out:
        h["title"], h["unit_id"], h["total"] = titles[h["doc_id"]], h["id"], len(hits)
        if h["kind"] == "reference":
            h["cited_by"] = citing(store, h["doc_id"], h["n"])
    return out
