"""Add documents to the corpus and take them out again, each in one step that either completes or changes nothing.

    add(settings, paths, embedder, ...)   parse -> checks -> text file + manifest entry -> incremental build
    remove(settings, doc_id, embedder)    manifest entry out -> incremental build -> text file deleted
    sources(settings)                     every document with its metadata and counts

Every check runs before anything is written. Then the plain-text rendering (what citation spans point into) is
written under the corpus folder as ``NNN_<hash>.txt``, like the captured pages, and its ``[[document]]`` entry is
appended to the manifest; the index is brought up to date through :func:`assistant.index.build_index` (only new
chunks embedded, ``CURRENT.json`` swapped atomically). If the build fails or is interrupted (Ctrl-C), the new
files are removed and the manifest restored byte for byte, so the live build keeps serving; a process killed
outright leaves the document in the corpus and the next ``assistant index`` completes the build.

An added entry carries, besides the fields the captured pages use: ``format`` (pdf, html, markdown, text),
``source`` (the file name it came from), ``content_hash`` (sha256 of the file's bytes: the same file twice is
refused), ``added``, and for a PDF ``pages`` and ``page_starts`` (offset in the stored text where each page
begins; a citation's ``page`` is read from it).

The fixed phrases of every refusal are the constants below (one line each; the CLI exits 2 on them).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import CorpusError, InputError

NO_TEXT_LAYER = "{name}: no text layer: run OCR first."
ENCRYPTED = "{name}: the PDF is encrypted; save a copy without a password first."
BAD_PDF = "{name}: not a readable PDF ({reason})."
TOO_LARGE = "{name}: the file is {size:,} bytes, over the limit of {limit:,} bytes for one document."
NAV_ONLY = "{name}: the page has no main content, only navigation, banners or footers."
UNKNOWN_FORMAT = "{name}: unknown format {suffix!r}; give a .pdf, .html, .md or .txt file."
DUPLICATE = "{name}: already indexed as {doc_id} ({title})."
DUPLICATE_ARGS = "{name}: the same content is given twice."
NOT_UTF8 = "{name}: not UTF-8 text (byte 0x{byte:02x} at offset {offset}); save it as UTF-8 first."
UNKNOWN_CHARSET = "{name}: the page declares an unknown character set {charset!r}."
NOT_TEXT = "{name}: not a text file (it holds NUL bytes)."
NO_TEXT = "{name}: no text found."
NO_FILE = "{name}: no such file."
NOT_A_FILE = "{name}: not a file (give the files themselves, not a folder)."
EMPTY_FILE = "{name}: the file is empty."
ONE_FILE_ONLY = "--title and --date describe one document; give one PATH with them."
BAD_DATE = "--date must be a date as YYYY-MM-DD, got {value!r}."
NO_SUCH_DOC = "There is no document {doc_id}; `assistant sources` lists them."
LAST_DOC = "Document {doc_id} is the only one; the corpus cannot be empty."

MAX_BYTES = 25 * 1024 * 1024  # largest file accepted (a 300-page guideline PDF is about 5 MB)
AUDIENCES = ("patients", "clinicians", "general")  # -> audience_role
POPULATIONS = {"children": "children", "adults": "adults", "all": "general"}  # -> audience_age
REFERENCES_HEADING = re.compile(r"^(references|bibliography|literature|sources|citations)\s*:?$", re.I)
NUMBERED = re.compile(r"^\s*\d{1,3}\.?\s+\S")


@dataclass
class Added:
    id: str
    title: str
    file: str
    format: str
    pages: int = 0
    empty_pages: tuple[int, ...] = ()
    sections: int = 0
    chunks: int = 0
    units: int = 0
    references: int = 0


@dataclass
class Report:
    docs: list[Added] = field(default_factory=list)
    build: Any = None  # the index BuildReport


# ----- reading and checking (nothing written) ----------------------------------------------------
def check_date(value: str) -> str:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value or ""):
        raise InputError(BAD_DATE.format(value=value))
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(BAD_DATE.format(value=value)) from None
    return value


def prepare(settings: Any, paths: list[Path], title: str = "", publisher: str = "", audience: str = "general",
            population: str = "all", date: str = "", max_bytes: int = MAX_BYTES) -> list[tuple[dict[str, Any], str]]:
    """Every file read, parsed and checked: ``(manifest entry, stored text)`` per file. Writes nothing."""
    from .corpus import load_manifest
    from .parsers import detect_format, parse

    if (title or date) and len(paths) > 1:
        raise InputError(ONE_FILE_ONLY)
    if date:
        check_date(date)
    if audience not in AUDIENCES or population not in POPULATIONS:
        raise InputError(f"--audience is one of {', '.join(AUDIENCES)}; --population one of "
                         f"{', '.join(POPULATIONS)}.")
    corpus = Path(settings.corpus.dir)
    entries = load_manifest(corpus, settings.corpus.manifest)
    known = known_hashes(corpus, entries)
    next_id = max((int(e["id"]) for e in entries if str(e["id"]).isdigit()), default=-1) + 1
    out: list[tuple[dict[str, Any], str]] = []
    for path in map(Path, paths):
        name = path.name
        if not path.is_file():
            raise CorpusError((NOT_A_FILE if path.exists() else NO_FILE).format(name=path))
        fmt = detect_format(path)
        if fmt is None:
            raise CorpusError(UNKNOWN_FORMAT.format(name=name, suffix=path.suffix or "(no suffix)"))
        size = path.stat().st_size
        if size > max_bytes:
            raise CorpusError(TOO_LARGE.format(name=name, size=size, limit=max_bytes))
        if not size:
            raise CorpusError(EMPTY_FILE.format(name=name))
        data = path.read_bytes()
        digest = sha256(data)
        if digest in known:
            doc_id, doc_title = known[digest]
            raise CorpusError((DUPLICATE_ARGS if doc_id == "" else DUPLICATE).format(
                name=name, doc_id=doc_id, title=doc_title))
        parsed = parse(path, data, fmt)
        text_digest = sha256(parsed.text.encode("utf-8"))
        if text_digest in known:
            doc_id, doc_title = known[text_digest]
            raise CorpusError((DUPLICATE_ARGS if doc_id == "" else DUPLICATE).format(
                name=name, doc_id=doc_id, title=doc_title))
        known[digest] = known[text_digest] = ("", name)
        doc_id = f"{next_id:03d}"
        next_id += 1
        entry = make_entry(doc_id, parsed, name, digest, title=title, publisher=publisher, audience=audience,
                           population=population, date=date)
        out.append((entry, parsed.text))
    return out


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def known_hashes(corpus: Path, entries: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """sha256 -> (doc id, title) of each document's recorded source file and of its stored text."""
    out: dict[str, tuple[str, str]] = {}
    for e in entries:
        if e.get("content_hash"):
            out[e["content_hash"]] = (e["id"], e.get("title", ""))
        with contextlib.suppress(OSError):
            out[sha256((corpus / e["file"]).read_bytes())] = (e["id"], e.get("title", ""))
    return out


def make_entry(doc_id: str, parsed: Any, name: str, digest: str, *, title: str, publisher: str, audience: str,
               population: str, date: str) -> dict[str, Any]:
    title = title or parsed.title or Path(name).stem.replace("_", " ")
    if date:
        label = f"dated {date}"
    elif parsed.date:  # a PDF's creation date is when the file was made, which is not always the text's date
        date = parsed.date
        label = f"PDF created {date}" if parsed.format == "pdf" else f"dated {date} (from the {parsed.date_source})"
    else:
        label = "no date shown"
    ref_start, ref_end = reference_list(parsed.text)
    entry: dict[str, Any] = {
        "id": doc_id, "file": f"{doc_id}_{sha256(parsed.text.encode('utf-8'))[:16]}.txt", "title": title,
        "publisher": publisher or parsed.publisher or "publisher not stated",
        "audience_age": POPULATIONS[population], "audience_role": audience, "date": date, "date_label": label,
        "references_start": ref_start, "references_end": ref_end, "drop_after": "",
        "format": parsed.format, "source": name, "content_hash": digest,
        "added": dt.datetime.now().isoformat(timespec="seconds"),
    }
    if parsed.format == "pdf":
        entry["pages"] = len(parsed.page_starts)
        entry["page_starts"] = list(parsed.page_starts)
        if parsed.empty_pages:
            entry["empty_pages"] = list(parsed.empty_pages)  # pictures or scans: nothing on them is quotable
    return entry


def reference_list(text: str) -> tuple[str, str]:
    """(first entry line, "") of a numbered reference list that closes the document under a References heading.

    Only a list that runs to the end is taken (the cleaner drops everything from its first line on).
    """
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for i, line in enumerate(lines):
        if REFERENCES_HEADING.match(line) and i + 1 < len(lines):
            rest = lines[i + 1:]
            if len(rest) >= 1 and all(NUMBERED.match(x) for x in rest) and lines.count(rest[0]) == 1:
                return rest[0], ""
    return "", ""


# ----- the manifest as text (comments and layout kept) -----------------------------------------
def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", s) + '"'


def entry_block(entry: dict[str, Any]) -> str:
    return "\n[[document]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in entry.items())


def blocks(text: str) -> list[str]:
    """The manifest cut before each ``[[document]]`` line and the blank lines just above it."""
    lines = text.splitlines(keepends=True)
    cuts = [0]
    for i, line in enumerate(lines):
        if line.strip() == "[[document]]":
            j = i
            while j > cuts[-1] and not lines[j - 1].strip():
                j -= 1
            cuts.append(j)
    cuts.append(len(lines))
    return ["".join(lines[a:b]) for a, b in zip(cuts, cuts[1:], strict=False)]


def without_entry(text: str, doc_id: str) -> str:
    parts = blocks(text)
    keep = [p for p in parts if not (p.strip().startswith("[[document]]")
                                     and tomllib.loads(p).get("document", [{}])[0].get("id") == doc_id)]
    return "".join(keep)


def checked_manifest(text: str, path: Path) -> str:
    try:
        docs = tomllib.loads(text).get("document", [])
    except tomllib.TOMLDecodeError as exc:  # never written: a bug here must not damage the corpus
        raise CorpusError(f"The new manifest for {path} would not be valid TOML ({exc}).") from None
    ids = [d.get("id") for d in docs]
    if not docs or len(ids) != len(set(ids)):
        raise CorpusError(f"The new manifest for {path} would list no or repeated document ids.")
    return text


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@contextlib.contextmanager
def corpus_lock(corpus: Path) -> Iterator[None]:
    """One add or remove at a time per corpus folder (a lock on the folder itself: no file is left behind)."""
    import fcntl

    fd = os.open(corpus, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


# ----- the steps that write --------------------------------------------------------------------
def add(settings: Any, paths: list[Path], embedder: Any, progress: bool = False, max_bytes: int = MAX_BYTES,
        **meta: str) -> Report:
    """Add ``paths`` (all or none) and bring the index up to date; the corpus is unchanged on any error."""
    corpus = Path(settings.corpus.dir)
    manifest = corpus / settings.corpus.manifest
    with corpus_lock(corpus):
        ready = prepare(settings, list(paths), max_bytes=max_bytes, **meta)
        before = manifest.read_bytes()
        text = before.decode("utf-8")
        new = checked_manifest(text + "".join(entry_block(e) for e, _ in ready), manifest)
        written: list[Path] = []
        try:
            for entry, stored in ready:
                target = corpus / entry["file"]
                if target.exists() and target.read_bytes() == stored.encode("utf-8"):
                    continue  # left by an add that was killed before its manifest was written
                with open(target, "x", encoding="utf-8", newline="") as f:
                    written.append(target)
                    f.write(stored)
            write_atomic(manifest, new.encode("utf-8"))
            report = Report(build=_build(settings, embedder, progress))
        except BaseException:
            _roll_back(settings, manifest, before, written)
            raise
    stats = doc_stats(settings)
    for entry, _ in ready:
        s = stats.get(entry["id"], {})
        report.docs.append(Added(entry["id"], entry["title"], entry["file"], entry["format"], entry.get("pages", 0),
                                 tuple(entry.get("empty_pages", ())), s.get("sections", 0), s.get("chunks", 0),
                                 s.get("units", 0), s.get("references", 0)))
    return report


def remove(settings: Any, doc_id: str, embedder: Any, progress: bool = False) -> Report:
    """Take ``doc_id`` out of the manifest and the index; its text file goes once the new build is live."""
    from .corpus import load_manifest

    corpus = Path(settings.corpus.dir)
    manifest = corpus / settings.corpus.manifest
    with corpus_lock(corpus):
        entries = {e["id"]: e for e in load_manifest(corpus, settings.corpus.manifest)}
        if doc_id not in entries:
            raise InputError(NO_SUCH_DOC.format(doc_id=doc_id))
        if len(entries) == 1:
            raise InputError(LAST_DOC.format(doc_id=doc_id))
        entry = entries[doc_id]
        before = manifest.read_bytes()
        new = checked_manifest(without_entry(before.decode("utf-8"), doc_id), manifest)
        try:
            write_atomic(manifest, new.encode("utf-8"))
            report = Report(build=_build(settings, embedder, progress))
        except BaseException:
            _roll_back(settings, manifest, before, [])
            raise
        if entry.get("content_hash"):  # added by `assistant add`: its rendering goes with it
            (corpus / entry["file"]).unlink(missing_ok=True)
    report.docs.append(Added(doc_id, entry["title"], entry["file"], entry.get("format", "text"),
                             int(entry.get("pages", 0))))
    return report


def _build(settings: Any, embedder: Any, progress: bool) -> Any:
    from .index import build_index

    return build_index(settings, embedder, progress=progress)


def _roll_back(settings: Any, manifest: Path, before: bytes, written: list[Path]) -> None:
    """Restore the manifest, delete the new files, drop collections of a build that never went live."""
    write_atomic(manifest, before)
    for p in written:
        p.unlink(missing_ok=True)
    with contextlib.suppress(Exception):
        _drop_unfinished_builds(settings)


def _drop_unfinished_builds(settings: Any) -> None:
    import shutil

    from .index import chroma_client, collection_names, read_pointer, sources_dir

    ptr = read_pointer(settings.index.dir) or {}
    live = ptr.get("build", "")
    prefix = settings.index.collection_prefix
    ours = re.compile(re.escape(prefix) + r"-(\d+)-(?:chunks|units)")
    client = chroma_client(settings)
    newer = {m.group(1) for c in client.list_collections() if (m := ours.fullmatch(c.name)) and m.group(1) > live}
    for b in newer:
        for name in collection_names(prefix, b):
            with contextlib.suppress(Exception):
                client.delete_collection(name)
        shutil.rmtree(sources_dir(settings.index.dir, b), ignore_errors=True)


# ----- listing ---------------------------------------------------------------------------------
def doc_stats(settings: Any) -> dict[str, dict[str, Any]]:
    """Per document: sections, chunks, sentences and references, as the chunker splits it (no embedding)."""
    from .index import split_corpus

    docs, chunks, units = split_corpus(settings)
    out: dict[str, dict[str, Any]] = {d.id: {"chunks": 0, "units": 0, "sections": set(),
                                             "references": len(d.references), "pages": len(d.page_starts)}
                                      for d in docs}
    for c in chunks:
        out[c.doc_id]["chunks"] += 1
    for u in units:
        out[u.doc_id]["units"] += 1
        if u.section:
            out[u.doc_id]["sections"].add(u.section)
    for s in out.values():
        s["sections"] = len(s["sections"])
    return out


def sources(settings: Any) -> list[dict[str, Any]]:
    """Every document of the manifest with its metadata and counts, in manifest order."""
    from .corpus import load_manifest

    stats = doc_stats(settings)
    rows = []
    for e in load_manifest(Path(settings.corpus.dir), settings.corpus.manifest):
        rows.append({"id": e["id"], "title": e["title"], "publisher": e["publisher"],
                     "audience": e["audience_role"], "population": e["audience_age"],
                     "date": e.get("date", ""), "date_label": e.get("date_label", ""), "file": e["file"],
                     "format": e.get("format", "text"), "source": e.get("source", e["file"]),
                     "added": e.get("added", ""), **stats.get(e["id"], {})})
    return rows
