"""A file's bytes -> its plain-text rendering (what citation spans point into), metadata, and a PDF's page map.

Each format goes through a maintained library: ``pypdf`` (text per page), ``trafilatura`` (an HTML page's main
content, headings kept), ``markdown-it-py`` (the token stream); plain text is stored as it is and left to the
corpus cleaner. The rendering puts every heading, paragraph and list item on a line of its own ("• " in front
of an item), blocks separated by a blank line, which is the shape the chunker reads sections and sentences
from. Nothing here writes a file; every refusal is a :class:`CorpusError` with a one-line message.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import CorpusError
from .ingest import BAD_PDF, ENCRYPTED, NAV_ONLY, NO_TEXT, NO_TEXT_LAYER, NOT_TEXT, NOT_UTF8, UNKNOWN_CHARSET

FORMATS = {".pdf": "pdf", ".html": "html", ".htm": "html", ".xhtml": "html", ".md": "markdown",
           ".markdown": "markdown", ".txt": "text", ".text": "text"}
LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st",
                           "\u00ad": None})
LIST_MARK = re.compile(r"^(?:[•·▪◦●○■□–\-*]\s+|\d{1,3}[.)]\s+)")
PAGE_NUMBER = re.compile(r"^(?:page\s*)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?$", re.I)
SENTENCE_END = re.compile(r"[.!?:;][\"”’)\]]*$")
MIN_TEXT_CHARS = 20  # fewer letters and digits than this in a whole PDF: a scan without a text layer
MIN_PAGE_WORDS = 12  # an HTML page's main content must hold this many words and one real sentence


@dataclass
class Parsed:
    text: str  # the plain-text rendering that is stored and quoted
    format: str  # "pdf" | "html" | "markdown" | "text"
    title: str = ""
    publisher: str = ""
    date: str = ""  # YYYY-MM-DD when the file carries one
    date_source: str = ""  # where the date came from: "PDF creation date", "page", "file"
    page_starts: tuple[int, ...] = ()
    empty_pages: tuple[int, ...] = ()  # 1-based pages with no text (pictures, scans)
    headings: tuple[str, ...] = field(default_factory=tuple)


def detect_format(path: Path) -> str | None:
    return FORMATS.get(path.suffix.lower())


def parse(path: Path, data: bytes, fmt: str) -> Parsed:
    name = path.name
    if fmt == "pdf":
        return parse_pdf(name, data)
    if fmt == "html":
        return parse_html(name, decode_html(name, data))
    text = decode_utf8(name, data)
    return parse_markdown(name, text) if fmt == "markdown" else parse_text(name, text)


# ----- text ------------------------------------------------------------------------------------
def decode_utf8(name: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(NOT_UTF8.format(name=name, byte=data[exc.start], offset=exc.start)) from None
    if "\x00" in text:
        raise CorpusError(NOT_TEXT.format(name=name))
    return normalize_newlines(text.removeprefix("\ufeff"))


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_text(name: str, text: str) -> Parsed:
    if not re.search(r"\w", text):
        raise CorpusError(NO_TEXT.format(name=name))
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return Parsed(text, "text", title=first if len(first) <= 150 else "")


# ----- blocks -> text --------------------------------------------------------------------------
def render(blocks: list[tuple[str, str]]) -> tuple[str, tuple[str, ...]]:
    """("heading" | "para" | "item", text) blocks -> the stored text, and the headings in order."""
    out: list[str] = []
    headings: list[str] = []
    previous = ""
    for kind, text in blocks:
        text = re.sub(r"\s+", " ", text).strip()
        if not text:
            continue
        if kind == "heading":
            headings.append(text)
        line = f"• {text}" if kind == "item" else text
        if out:
            out.append("\n" if kind == previous == "item" else "\n\n")
        out.append(line)
        previous = kind
    return "".join(out) + ("\n" if out else ""), tuple(headings)


# ----- Markdown --------------------------------------------------------------------------------
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n(?:---|\.\.\.)\n", re.S)


def parse_markdown(name: str, text: str) -> Parsed:
    from markdown_it import MarkdownIt

    meta: dict[str, str] = {}
    m = FRONT_MATTER.match(text)
    if m:  # a YAML front-matter block: read its simple "key: value" lines, keep it out of the text
        for line in m.group(1).splitlines():
            k, sep, v = line.partition(":")
            if sep:
                meta[k.strip().lower()] = v.strip().strip("\"'")
        text = text[m.end():]
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    blocks: list[tuple[str, str]] = []
    lists: list[list[int]] = []  # per open list: [ordered (0/1), next number]
    pending = ""  # the marker of a list item whose first paragraph comes next ("•" or "3.")
    cells: list[str] = []
    for i, t in enumerate(tokens):
        before = tokens[i - 1].type if i else ""
        if t.type in ("bullet_list_open", "ordered_list_open"):
            lists.append([t.type == "ordered_list_open", int(t.attrGet("start") or 1)])
        elif t.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif t.type == "list_item_open" and lists:
            ordered, n = lists[-1]
            pending = f"{t.info or n}{t.markup if t.markup in ('.', ')') else '.'}" if ordered else "•"
            lists[-1][1] = n + 1
        elif t.type == "inline" and before == "heading_open":
            blocks.append(("heading", _inline(t)))
        elif t.type == "inline" and before in ("th_open", "td_open"):
            cells.append(_inline(t))
        elif t.type == "tr_close":
            blocks.append(("para", " | ".join(c for c in cells if c)))
            cells = []
        elif t.type == "inline" and before == "paragraph_open":
            if pending == "•":
                blocks.append(("item", _inline(t)))
            else:  # a numbered item keeps its number (reference lists are read from it)
                blocks.append(("para", f"{pending} {_inline(t)}" if pending else _inline(t)))
            pending = ""
        elif t.type in ("fence", "code_block"):
            blocks.extend(("para", ln) for ln in t.content.splitlines())
    rendered, headings = render(blocks)
    if not re.search(r"\w", rendered):
        raise CorpusError(NO_TEXT.format(name=name))
    title = meta.get("title") or next((b for k, b in blocks if k == "heading"), "")
    date = _iso_date(meta.get("date", ""))
    return Parsed(rendered, "markdown", title=title, publisher=meta.get("publisher") or meta.get("author", ""),
                  date=date, date_source="file" if date else "", headings=headings)


def _inline(token) -> str:  # noqa: ANN001 - a markdown-it inline token
    parts = []
    for c in token.children or []:
        if c.type in ("text", "code_inline"):
            parts.append(c.content)
        elif c.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif c.type == "image":
            parts.append(c.content)
    return "".join(parts).strip()


# ----- HTML ------------------------------------------------------------------------------------
CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)


def decode_html(name: str, data: bytes) -> str:
    m = CHARSET.search(data[:4096])
    declared = m.group(1).decode("ascii").lower() if m else "utf-8"
    if declared in ("utf-8", "utf8"):
        return decode_utf8(name, data)
    try:
        return normalize_newlines(data.decode(declared))
    except LookupError:
        raise CorpusError(UNKNOWN_CHARSET.format(name=name, charset=declared)) from None
    except UnicodeDecodeError as exc:
        raise CorpusError(NOT_UTF8.format(name=name, byte=data[exc.start], offset=exc.start)) from None


def parse_html(name: str, html: str) -> Parsed:
    import trafilatura

    doc = trafilatura.bare_extraction(html, with_metadata=True, include_formatting=True, include_tables=True,
                                      include_comments=False, include_images=False)
    body = getattr(doc, "body", None)
    blocks: list[tuple[str, str]] = []
    for el in body if body is not None else []:
        if el.tag == "head":
            blocks.append(("heading", _el_text(el)))
        elif el.tag == "list":
            blocks.extend(("item", _el_text(it)) for it in el.iter("item"))
        elif el.tag == "table":
            for row in el.iter("row"):
                blocks.append(("para", " | ".join(t for c in row if (t := _el_text(c)))))
        elif el.tag not in ("graphic", "lb"):
            blocks.append(("para", _el_text(el)))
    rendered, headings = render(blocks)
    words = re.findall(r"\w+", rendered)
    sentence = any(len(t.split()) >= 5 and SENTENCE_END.search(t) for k, t in blocks if k != "heading")
    if len(words) < MIN_PAGE_WORDS or not sentence:
        raise CorpusError(NAV_ONLY.format(name=name))
    title = (getattr(doc, "title", "") or "").strip()
    date = _iso_date(getattr(doc, "date", "") or "")
    publisher = (getattr(doc, "sitename", "") or getattr(doc, "author", "") or "").strip()
    return Parsed(rendered, "html", title=title, publisher=publisher, date=date,
                  date_source="page" if date else "", headings=headings)


def _el_text(el) -> str:  # noqa: ANN001 - an lxml element
    parts = [el.text or ""]
    for child in el:
        parts.append(" " if child.tag == "lb" else _el_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


# ----- PDF -------------------------------------------------------------------------------------
def parse_pdf(name: str, data: bytes) -> Parsed:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    if not data.startswith(b"%PDF-"):
        raise CorpusError(BAD_PDF.format(name=name, reason="it does not start with %PDF-"))
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:  # a PDF with only an owner password (no printing etc.) opens with the empty user password
                opened = bool(reader.decrypt(""))
            except (DependencyError, NotImplementedError, PdfReadError):
                opened = False
            if not opened:
                raise CorpusError(ENCRYPTED.format(name=name))
        pages = [page.extract_text() or "" for page in reader.pages]
        info: Any = reader.metadata or {}
        title = str(info.get("/Title") or "").strip()
        publisher = str(info.get("/Author") or "").strip()
        created = info.get("/CreationDate")
    except CorpusError:
        raise
    except Exception as exc:  # pypdf raises many kinds on a damaged file
        raise CorpusError(BAD_PDF.format(name=name, reason=str(exc).splitlines()[0][:120] or type(exc).__name__)) \
            from None
    if sum(len(re.findall(r"\w", p)) for p in pages) < MIN_TEXT_CHARS:
        raise CorpusError(NO_TEXT_LAYER.format(name=name))
    text, starts = reflow_pages([_page_lines(p) for p in pages])
    empty = tuple(i + 1 for i, p in enumerate(pages) if not re.search(r"\w", p))
    date = _pdf_date(str(created or ""))
    title = re.sub(r"^Microsoft (Word|PowerPoint) - ", "", title)
    return Parsed(text, "pdf", title=title, publisher=publisher, date=date,
                  date_source="PDF creation date" if date else "", page_starts=starts, empty_pages=empty)


def _page_lines(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", text.translate(LIGATURES))
    return [ln for raw in text.splitlines() if (ln := re.sub(r"\s+", " ", raw).strip())]


def drop_running_lines(pages: list[list[str]], edge: int = 3) -> list[list[str]]:
    """Page numbers, and header/footer lines that repeat (digits aside) at the top or bottom of most pages."""
    def key(line: str) -> str:
        return re.sub(r"\d+", "#", line.lower())

    counts: dict[str, int] = {}
    for lines in pages:
        for k in {key(ln) for ln in lines[:edge] + lines[-edge:]}:
            counts[k] = counts.get(k, 0) + 1
    many = max(2, (len(pages) + 1) // 2)
    out = []
    for lines in pages:
        n = len(lines)
        out.append([ln for i, ln in enumerate(lines)
                    if not ((i < edge or i >= n - edge)
                            and (PAGE_NUMBER.match(ln) or (len(pages) > 1 and counts.get(key(ln), 0) >= many)))])
    return out


def _width(pages: list[list[str]]) -> int:
    """The text width in characters: the longest line, or the 95th percentile in a longer document."""
    lengths = sorted(len(ln) for lines in pages for ln in lines)
    if len(lengths) < 20:
        return lengths[-1] if lengths else 0
    return lengths[int(0.95 * (len(lengths) - 1))]


def _joins(prev: str, width: int, nxt: str) -> bool:
    """Does ``nxt`` continue the paragraph that line ``prev`` (on a page of this line width) is in?"""
    if LIST_MARK.match(nxt) or len(prev) < 0.75 * width:
        return False
    return not (SENTENCE_END.search(prev) and len(prev) < 0.9 * width and nxt[:1].isupper())


def reflow_pages(pages: list[list[str]]) -> tuple[str, tuple[int, ...]]:
    """Lines of each page -> paragraphs (one per line, blank line between), and where each page starts.

    A paragraph may run on over a page break; the page map then points into the middle of its line.
    """
    pages = drop_running_lines(pages)
    width = _width(pages)
    out: list[str] = []
    pos = 0
    starts: list[int] = []
    prev = ""
    for lines in pages:
        for j, line in enumerate(lines):
            if prev and _joins(prev, width, line):
                sep = "" if prev.endswith("-") and line[:1].islower() else " "
            else:
                sep = ("\n" if LIST_MARK.match(prev) and LIST_MARK.match(line) else "\n\n") if out else ""
            out.append(sep)
            pos += len(sep)
            if j == 0:
                starts.append(pos)
            if LIST_MARK.match(line) and not line.startswith("• ") and not re.match(r"\d", line):
                line = "• " + LIST_MARK.sub("", line, count=1)  # one bullet the chunker knows
            out.append(line)
            pos += len(line)
            prev = line
        if not lines:
            starts.append(pos)
    if starts:
        starts[0] = 0
    return "".join(out) + "\n", tuple(starts)


def _pdf_date(value: str) -> str:
    m = re.match(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?", value)
    if not m:
        return ""
    return _iso_date("-".join(g for g in m.groups() if g))


def _iso_date(value: str) -> str:
    value = (value or "").strip()[:10]
    for fmt, n in (("%Y-%m-%d", 10), ("%Y-%m", 7), ("%Y", 4)):
        try:
            dt.datetime.strptime(value[:n], fmt)
            return value[:n]
        except ValueError:
            continue
    return ""
