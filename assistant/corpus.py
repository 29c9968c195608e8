"""Read ``corpus/`` and its manifest; clean site boilerplate; parse reference lists.

Cleaning never rewrites text: it drops whole lines (navigation, banners,
teasers, reference lists), so the cleaned text is a concatenation of raw
slices and :class:`CleanText` maps every cleaned character back to its raw
offset.  In-text reference markers are found in the raw text and linked to
the document's numbered reference list.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import CorpusError
from .types import Document, Marker, Reference

# Lines (stripped) that are site furniture on these pages.
BOILERPLATE = [re.compile(p) for p in (
    r"^texas oncology more breakthroughs",
    r"^Some of our cancer centers may have important notifications",
    r"^Request an Appointment$",
    r"^You are here:",
    r"^Skip to main content$",
    r"^Related Links$",
    r"^Your activity: \d+ p\.v\.$",
    r"^Updated: .*\d{4}$",
    r"^• Author: ",
    r"^• Print$",
    r"^Answer$",
    r"^See the list below:$",
    r"^READ NOW >$",
    r"^Patient Story:",
    r"^(Learn|Read) more$",
    r"^Did this answer your question\?",
    r"^Additional feedback\?",
    r"^Thank you for your feedback!",
    r"^For information about the drugs listed on this page, visit Drug Listings\.$",
    r"^(Author|Section Editor|Deputy Editor):$",
    r"^[A-Z][A-Za-z .'-]+, MD(, PhD)?$",
    r"^Literature review current through:",
    r"^Stories$",
    r"^Icon - ",
    # UpToDate's pointers to its other pages: guideline links and its own patient-education pieces
    r"^SOCIETY GUIDELINE LINKS\s—\s",
    r"^INFORMATION FOR PATIENTS\s—\s",
    r"^Here are the patient education articles",
    r"^(The )?Basics topics \(see ",
    r"^Beyond the Basics topics \(see ",
)]

# "[7]", "[59-63]", "[8,9,16-18]", "[27, 28, 29]" (never "[HR]").
BRACKET_MARKER = re.compile(r" ?\[(\d+(?:\s*[,\-–]\s*\d+)*)\]")
# "relapse.1 This", "Gleevec.10 In" (digits glued after a word's full stop), and ". 2" ending a paragraph.
GLUED_MARKER = re.compile(r"(?<=[A-Za-z)®])\.(\d{1,2})(?=\s|$)")
TRAILING_MARKER = re.compile(r"\.\s(\d{1,2})\s*$")
REF_LINE = re.compile(r"^\s*(\d{1,3})\.?\s*(\S.*)$")


@dataclass(frozen=True)
class CleanText:
    """Cleaned text plus the raw offset of each retained slice."""

    text: str
    segments: tuple[tuple[int, int, int], ...]  # (clean_start, raw_start, length)

    def raw_offset(self, i: int) -> int:
        for clean_start, raw_start, length in self.segments:
            if clean_start <= i < clean_start + length:
                return raw_start + (i - clean_start)
        raise ValueError(f"offset {i} is outside the cleaned text")


@dataclass(frozen=True)
class Line:
    start: int  # raw offset of the first character (after leading whitespace)
    end: int  # raw offset after the last non-space character
    text: str  # raw[start:end]


def load_manifest(corpus_dir: Path, name: str = "sources.toml") -> list[dict[str, str]]:
    path = corpus_dir / name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CorpusError(f"The corpus manifest {path} is missing.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CorpusError(f"The corpus manifest {path} is not valid TOML: {exc}.") from exc
    docs = data.get("document", [])
    if not docs:
        raise CorpusError(f"The corpus manifest {path} lists no documents.")
    return docs


def load_corpus(corpus_dir: Path, manifest: str = "sources.toml") -> list[Document]:
    """Every document of the manifest, with its references and in-text markers."""
    out = []
    for entry in load_manifest(corpus_dir, manifest):
        path = corpus_dir / entry["file"]
        try:
            raw = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CorpusError(f"Cannot read source file {path}: {exc}.") from exc
        references = parse_references(entry["id"], raw, entry.get("references_start", ""),
                                      entry.get("references_end", ""))
        out.append(Document(
            id=entry["id"], file=entry["file"], title=entry["title"], publisher=entry["publisher"],
            audience_age=entry["audience_age"], audience_role=entry["audience_role"],
            date=entry.get("date", ""), date_label=entry.get("date_label", ""), raw=raw,
            references=tuple(references), markers=tuple(find_markers(raw, body_lines(raw, entry))),
            page_starts=page_map(entry, len(raw), path),
        ))
    return out


def page_map(entry: dict, size: int, path: Path) -> tuple[int, ...]:
    """A PDF's ``page_starts`` from its manifest entry (offsets into the stored text, ascending, from 0)."""
    starts = entry.get("page_starts") or []
    ok = isinstance(starts, list) and all(isinstance(x, int) and 0 <= x <= size for x in starts) \
        and starts == sorted(starts) and (not starts or starts[0] == 0)
    if not ok:
        raise CorpusError(f"The page map of {path} in the manifest is not a list of ascending offsets from 0.")
    return tuple(starts)


def corpus_hash(docs: list[Document]) -> str:
    h = hashlib.sha256()
    for d in sorted(docs, key=lambda d: d.id):
        h.update(d.id.encode() + b"\0" + d.raw.encode() + b"\0")
        if d.page_starts:  # only paged documents add to the hash, so older builds' hashes stay valid
            h.update(b"pages\0" + ",".join(map(str, d.page_starts)).encode() + b"\0")
    return h.hexdigest()[:16]


def split_lines(raw: str) -> list[Line]:
    lines, pos = [], 0
    for piece in raw.splitlines(keepends=True):
        stripped = piece.strip()
        if stripped:
            lead = len(piece) - len(piece.lstrip())
            start = pos + lead
            lines.append(Line(start, start + len(stripped), stripped))
        pos += len(piece)
    return lines


def is_boilerplate(text: str) -> bool:
    text = text.replace("\u00a0", " ")
    return any(p.search(text) for p in BOILERPLATE)


def body_lines(raw: str, entry: dict[str, str]) -> list[Line]:
    """The document's content lines: no boilerplate, no reference list, nothing after ``drop_after``."""
    out: list[Line] = []
    ref_start, ref_end, drop_after = (entry.get(k, "") for k in ("references_start", "references_end", "drop_after"))
    in_refs = False
    previous = ""
    for line in split_lines(raw):
        if drop_after and line.text == drop_after:
            break
        if ref_start and line.text == ref_start:
            in_refs = True
        if in_refs:
            if ref_end and line.text == ref_end:
                in_refs = False
            continue
        if is_boilerplate(line.text) or line.text == previous:
            continue
        previous = line.text
        out.append(line)
    if ref_start == "References:" and out and out[-1].text == "References:":
        out.pop()
    return out


def clean(raw: str, entry: dict[str, str]) -> CleanText:
    """Cleaned text (content lines joined by blank lines) with its offset map."""
    parts: list[str] = []
    segments: list = []
    pos = 0
    for line in body_lines(raw, entry):
        if parts:
            parts.append("\n\n")
            pos += 2
        segments.append((pos, line.start, len(line.text)))
        parts.append(line.text)
        pos += len(line.text)
    return CleanText("".join(parts), tuple(segments))


def parse_references(doc_id: str, raw: str, start_line: str, end_line: str) -> list[Reference]:
    if not start_line:
        return []
    refs: list[Reference] = []
    active = False
    for line in split_lines(raw):
        if line.text == start_line or (start_line == "References:" and line.text.startswith("References")):
            active = True
            if line.text == "References:":
                continue
        if not active:
            continue
        if end_line and line.text == end_line:
            break
        m = REF_LINE.match(line.text)
        if m:
            body_start = line.start + m.start(2)
            refs.append(Reference(doc_id, int(m.group(1)), m.group(2), body_start, line.end))
    return refs


def _expand_numbers(spec: str) -> tuple[int, ...]:
    nums: list[int] = []
    for part in re.split(r"\s*,\s*", spec):
        if re.search(r"[-–]", part):
            a, b = (int(x) for x in re.split(r"\s*[-–]\s*", part))
            nums.extend(range(a, b + 1) if 0 < b - a < 200 else (a, b))
        elif part:
            nums.append(int(part))
    return tuple(nums)


def find_markers(raw: str, lines: list[Line]) -> list[Marker]:
    """In-text reference markers inside the content lines, as raw spans."""
    out: list[Marker] = []
    for line in lines:
        for m in BRACKET_MARKER.finditer(line.text):
            out.append(Marker(line.start + m.start(), line.start + m.end(), _expand_numbers(m.group(1))))
        for m in GLUED_MARKER.finditer(line.text):
            out.append(Marker(line.start + m.start(1), line.start + m.end(1), (int(m.group(1)),)))
        trailing = TRAILING_MARKER.search(line.text)
        if trailing:
            out.append(Marker(line.start + trailing.start(1) - 1, line.start + trailing.end(1),
                              (int(trailing.group(1)),)))
    return sorted(out, key=lambda mk: mk.start)


def strip_markers(raw: str, start: int, end: int, markers: tuple[Marker, ...] | list[Marker]) -> str:
    """raw[start:end] with the reference markers inside it removed."""
    pieces, pos = [], start
    for mk in markers:
        if mk.start >= start and mk.end <= end:
            pieces.append(raw[pos:mk.start])
            pos = mk.end
    pieces.append(raw[pos:end])
    return re.sub(r"[ \t]{2,}", " ", "".join(pieces)).strip()


def refs_in_span(start: int, end: int, markers: tuple[Marker, ...] | list[Marker]) -> tuple[int, ...]:
    return tuple(n for mk in markers if mk.start >= start and mk.end <= end for n in mk.numbers)
