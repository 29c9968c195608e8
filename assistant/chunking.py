"""Pure functions: document -> citable units (sentences, list items) -> chunks.

Every unit keeps its exact raw span, so ``doc.raw[unit.start:unit.end]`` is
what a citation quotes.  Sections come from the headings these pages use:
ALL-CAPS lines and "TRANSPLANTATION — ..." (level 1), short standalone
lines (level 2), "Blinatumomab — ..." and "Clolar® (clofarabine): ..."
lead-ins (level 3).  Chunks are sentence-aligned, stay inside one section
and overlap by one unit.  Ids are content hashes, so they are stable across
rebuilds and change only when the text does.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .corpus import Line, body_lines, refs_in_span, strip_markers
from .types import Chunk, Document, Unit, UnitKind

CHUNKER_VERSION = "4"  # 4: UpToDate's guideline-link and patient-education furniture dropped

ABBREVIATIONS = {"e.g", "i.e", "eg", "ie", "et al", "al", "vs", "approx", "dr", "mr", "mrs", "st", "fig",
                 "i.v", "u.s", "no", "ca", "cf", "resp", "incl"}
DASH_HEADING = re.compile(r"^(?P<h>[^—.]{2,80}?)[ \u00a0]—[ \u00a0](?=\S)")
# Units that only point elsewhere ("(See ... below.)", "Go to ... for more information.").
NOISE = re.compile(r"^\((See|see) |^For more information,? go to|^Go to .* for more information|"
                   r"^More information (is available|about)|^Find out more about")
COLON_HEADING = re.compile(r"^(?P<h>[A-Z][^:.]{1,70}?):\s+(?=[A-Z“\"])")
SENTENCE_END = re.compile(r"[.!?](?:[”\"’)\]]+)?(?:\.?\d{1,2}(?=\s|$))?(?:\s?\[\d+(?:\s*[,\-–]\s*\d+)*\])?(?=\s+|$)")
BULLET = re.compile(r"^[•·\-–]\s*")


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


def _title_case_share(text: str) -> float:
    words = [w for w in re.split(r"\s+", text) if w and w[0].isalpha()]
    if not words:
        return 0.0
    small = {"of", "or", "and", "the", "to", "in", "for", "with", "a", "an"}
    return sum(1 for w in words if w[0].isupper() or w in small) / len(words)


def standalone_heading(line: Line, in_list: bool) -> Heading | None:
    """A whole line that is a heading, or None (lines inside an unbulleted list never are)."""
    t = line.text
    if len(t) > 80 or BULLET.match(t) or in_list:
        return None
    if re.search(r"[.!?;,)]$", t) or re.search(r"[\d<>=≥≤%]", t) or "(see" in t.lower():
        return None
    if t.isupper() and len(t) > 3:
        return Heading(1, t)
    if t.endswith(":") and _title_case_share(t) < 0.7:
        return None
    return Heading(2, t.rstrip(":"))


def inline_heading(text: str) -> tuple[Heading, int] | None:
    """A lead-in heading at the start of a paragraph, and where its body starts."""
    m = DASH_HEADING.match(text)
    if m:
        h = m.group("h").strip()
        level = 1 if h.isupper() and len(h) >= 8 else 3
        return Heading(level, h), m.end()
    m = COLON_HEADING.match(text)
    if m and len(m.group("h").split()) <= 7 and _title_case_share(m.group("h")) >= 0.75:
        return Heading(3, m.group("h").strip()), m.end()
    return None


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of one paragraph, markers kept with their sentence."""
    spans, start = [], 0
    for m in SENTENCE_END.finditer(text):
        end = m.end()
        before = text[start:m.start()]
        word = re.search(r"([A-Za-z.]+)$", before)
        if text[m.start()] == "." and word and (word.group(1).lower().rstrip(".") in ABBREVIATIONS
                                                or re.fullmatch(r"[A-Z]", word.group(1))):
            continue
        rest = text[end:].lstrip()
        if rest and not re.match(r"[A-Z0-9“\"‘'(\[•]", rest):
            continue
        if text[start:end].strip():
            spans.append((start, end))
        start = end + (len(text[end:]) - len(text[end:].lstrip()))
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


def unit_id(doc_id: str, section: str, text: str, seen: set[str]) -> str:
    """Content hash of a unit; a repeated sentence in the same section gets a distinct id."""
    base = hashlib.sha256(f"{doc_id}\0{section}\0{text}".encode()).hexdigest()[:16]
    uid, k = base, 1
    while uid in seen:
        k += 1
        uid = f"{base}-{k}"
    seen.add(uid)
    return uid


def document_units(doc: Document, entry: dict[str, str]) -> list[Unit]:
    """Citable units of a document, in reading order, each with its section path."""
    lines = body_lines(doc.raw, entry)
    path: dict[int, str] = {}
    units: list[Unit] = []
    lead_id = ""
    seen: set[str] = set()
    in_list = False  # inside an unbulleted list that a lead-in ("... include:") opened
    for line in lines:
        heading = standalone_heading(line, in_list)
        if heading:
            path = {k: v for k, v in path.items() if k < heading.level}
            path[heading.level] = heading.text
            lead_id = ""
            continue
        text, offset = line.text, line.start
        bullet = BULLET.match(text)
        ends_sentence = bool(re.search(r"[.!?][)\"”’]*$", text))
        in_list = (in_list and not bullet and not ends_sentence) or (text.endswith(":") and not bullet)
        if bullet:
            text, offset = text[bullet.end():], offset + bullet.end()
        inline = inline_heading(text)
        if inline:
            h, cut = inline
            path = {k: v for k, v in path.items() if k < h.level}
            path[h.level] = h.text
            text, offset = text[cut:], offset + cut
            lead_id = ""
        section = " > ".join(path[k] for k in sorted(path))
        short_item = bool(lead_id) and len(text) <= 260 and len(split_sentences(text)) <= 1
        for s, e in split_sentences(text):
            start, end = offset + s, offset + e
            display = strip_markers(doc.raw, start, end, doc.markers)
            if not re.search(r"[A-Za-z]{2}", display) or NOISE.search(display):
                continue
            kind: UnitKind = "item" if short_item else ("lead" if display.endswith(":") else "sentence")
            uid = unit_id(doc.id, section, display, seen)
            units.append(Unit(uid, doc.id, start, end, display, section, kind, lead_id if kind == "item" else "",
                              refs_in_span(start, end, doc.markers), len(units)))
            if kind == "lead":
                lead_id = uid
            elif kind == "sentence":
                lead_id = ""
    return units


def chunk_units(doc: Document, units: list[Unit], target: int = 700, limit: int = 1100) -> list[Chunk]:
    """Group units into sentence-aligned chunks inside one section, overlapping by one unit."""
    chunks: list[Chunk] = []
    group: list[Unit] = []

    def flush() -> None:
        if not group:
            return
        text = _join(group)
        cid = hashlib.sha256(f"{doc.id}\0{group[0].section}\0{text}".encode()).hexdigest()[:16]
        chunks.append(Chunk(cid, doc.id, group[0].section, group[0].start, group[-1].end, text,
                            tuple(u.id for u in group), len(chunks)))

    for u in units:
        size = sum(len(x.text) + 1 for x in group)
        new_section = bool(group) and u.section != group[0].section
        keeps_list = u.kind == "item" and size + len(u.text) < limit
        if group and (new_section or (size + len(u.text) > target and not keeps_list)):
            flush()
            tail = group[-1]
            group = [tail] if not new_section and tail.kind != "lead" and len(tail.text) < target // 2 else []
            if group and group[0].kind == "item":
                group = []
        group.append(u)
    flush()
    return chunks


def _join(units: list[Unit]) -> str:
    parts: list[str] = []
    for u in units:
        parts.append(("\n- " if u.kind == "item" else (" " if parts else "")) + u.text)
    return "".join(parts).strip()
