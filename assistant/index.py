"""The persisted Chroma store.

Layout under ``index.dir`` (embedded mode)::

    chroma/            Chroma PersistentClient data
    CURRENT.json       the live build: id, corpus hash, model, chunker version, counts

Each build writes two collections, ``<prefix>-<build>-chunks`` and
``<prefix>-<build>-units`` (sentence-level vectors used by the composer).  A
new build copies the vectors of unchanged ids from the live build and embeds
only new content, then replaces ``CURRENT.json`` atomically, so a reader never
sees a half-built index.  With ``index.chroma_url`` set, the same collections
live on a Chroma server and only ``CURRENT.json`` stays local.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .chunking import CHUNKER_VERSION, chunk_units, document_units
from .config import Settings
from .corpus import corpus_hash, load_corpus, load_manifest
from .embedders import Embedder
from .errors import ConfigError, IndexDamagedError, IndexError_
from .types import Chunk, Document, Unit

POINTER = "CURRENT.json"


@dataclass
class BuildReport:
    build: str
    changed: bool
    chunks: int
    units: int
    embedded: int
    reused: int
    seconds: float
    repaired: str = ""  # why a damaged build was thrown away and rebuilt ("" when it was not)


def chroma_client(settings: Settings):  # noqa: ANN201 - a chromadb client
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    cs = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    url = settings.index.chroma_url
    if url:
        from urllib.parse import urlparse

        u = urlparse(url if "://" in url else f"http://{url}")
        if not u.hostname or not u.port:
            raise ConfigError(f"ASSISTANT_CHROMA_URL must look like http://127.0.0.1:8000, got {url!r}.")
        return chromadb.HttpClient(host=u.hostname, port=u.port, settings=cs)
    path = Path(settings.index.dir) / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=cs)


def read_pointer(index_dir: Path) -> dict[str, Any] | None:
    path = Path(index_dir) / POINTER
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexDamagedError(f"The index pointer {path} is unreadable ({exc}).") from exc


def write_pointer(index_dir: Path, data: dict[str, Any]) -> None:
    path = Path(index_dir) / POINTER
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def collection_names(prefix: str, build: str) -> tuple[str, str]:
    return f"{prefix}-{build}-chunks", f"{prefix}-{build}-units"


def split_corpus(settings: Settings) -> tuple[list[Document], list[Chunk], list[Unit]]:
    docs = load_corpus(settings.corpus.dir, settings.corpus.manifest)
    entries = {e["id"]: e for e in load_manifest(settings.corpus.dir, settings.corpus.manifest)}
    chunks: list[Chunk] = []
    units: list[Unit] = []
    for doc in docs:
        doc_units = document_units(doc, entries[doc.id])
        units.extend(doc_units)
        chunks.extend(chunk_units(doc, doc_units))
    return docs, chunks, units


def chunk_meta(c: Chunk) -> dict[str, Any]:
    return {"doc_id": c.doc_id, "section": c.section, "start": c.start, "end": c.end,
            "unit_ids": json.dumps(c.unit_ids), "position": c.position}


def unit_meta(u: Unit) -> dict[str, Any]:
    return {"doc_id": u.doc_id, "section": u.section, "start": u.start, "end": u.end, "kind": u.kind,
            "lead": u.lead, "refs": json.dumps(u.refs), "position": u.position}


def unit_embed_text(u: Unit) -> str:
    leaf = u.section.split(" > ")[-1] if u.section else ""
    return f"{leaf}: {u.text}" if leaf else u.text


def is_current(settings: Settings, embedder: Embedder, docs: list[Document]) -> bool:
    ptr = read_pointer(settings.index.dir)
    if not ptr:
        return False
    return ptr.get("corpus_hash") == corpus_hash(docs) and ptr.get("model") == embedder.name \
        and ptr.get("chunker") == CHUNKER_VERSION


def build_index(settings: Settings, embedder: Embedder, rebuild: bool = False, progress: bool = True) -> BuildReport:
    """Bring the index up to date with the corpus; embed only what changed."""
    t0 = time.perf_counter()
    docs, chunks, units = split_corpus(settings)
    index_dir = Path(settings.index.dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    if rebuild and not settings.index.chroma_url:
        _wipe_embedded(index_dir)
    ptr = None if rebuild else _safe_pointer(index_dir)
    repaired = ""
    if ptr and is_current(settings, embedder, docs):
        try:
            open_build(settings, ptr)
            return BuildReport(ptr["build"], False, ptr["chunks"], ptr["units"], 0, 0, time.perf_counter() - t0)
        except IndexDamagedError as exc:  # automatic repair: throw the damaged build away, build from scratch
            repaired = str(exc)
            if not settings.index.chroma_url:
                _wipe_embedded(index_dir)
            ptr = None
    client = chroma_client(settings)
    old: dict[str, Any] = {}
    if ptr and ptr.get("model") == embedder.name:
        old = _existing_vectors(client, settings.index.collection_prefix, ptr["build"])
    build = time.strftime("%Y%m%d%H%M%S") + f"{int(time.time() * 1000) % 1000:03d}"
    write_sources(index_dir, build, docs, Path(settings.corpus.dir) / settings.corpus.manifest)
    cname, uname = collection_names(settings.index.collection_prefix, build)
    ccol = client.create_collection(cname, embedding_function=None, metadata={"hnsw:space": "cosine"})
    ucol = client.create_collection(uname, embedding_function=None, metadata={"hnsw:space": "cosine"})
    titles = {d.id: d.title for d in docs}
    jobs = [(ccol, [c.id for c in chunks], [c.text for c in chunks], [chunk_meta(c) for c in chunks],
             [c.embed_text(titles[c.doc_id]) for c in chunks], old.get("chunks", {})),
            (ucol, [u.id for u in units], [u.text for u in units], [unit_meta(u) for u in units],
             [unit_embed_text(u) for u in units], old.get("units", {}))]
    todo = sum(sum(1 for i in ids if i not in reuse) for _, ids, _, _, _, reuse in jobs)
    bar = _progress(todo, progress)
    embedded = reused = 0
    for col, ids, texts, metas, etexts, reuse in jobs:
        vectors = np.zeros((len(ids), embedder.dim), dtype=np.float32)
        fresh = [i for i, cid in enumerate(ids) if cid not in reuse]
        for i, cid in enumerate(ids):
            if cid in reuse:
                vectors[i] = reuse[cid]
        step = 64
        for b in range(0, len(fresh), step):
            batch = fresh[b:b + step]
            vectors[batch] = embedder.embed([etexts[i] for i in batch])
            bar.update(len(batch))
        embedded += len(fresh)
        reused += len(ids) - len(fresh)
        for b in range(0, len(ids), 2000):
            col.add(ids=ids[b:b + 2000], documents=texts[b:b + 2000], metadatas=metas[b:b + 2000],
                    embeddings=vectors[b:b + 2000])
    bar.close()
    write_pointer(index_dir, {
        "build": build, "corpus_hash": corpus_hash(docs), "model": embedder.name, "chunker": CHUNKER_VERSION,
        "chunks": len(chunks), "units": len(units), "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "documents": {d.id: d.file for d in docs},
    })
    kept = _drop_old_builds(client, settings.index.collection_prefix, build, settings.index.keep_builds)
    _drop_old_sources(index_dir, kept | {build})
    return BuildReport(build, True, len(chunks), len(units), embedded, reused, time.perf_counter() - t0, repaired)


def _safe_pointer(index_dir: Path) -> dict[str, Any] | None:
    try:
        return read_pointer(index_dir)
    except IndexDamagedError:
        return None


def _existing_vectors(client, prefix: str, build: str) -> dict[str, dict[str, np.ndarray]]:  # noqa: ANN001
    out: dict[str, dict[str, np.ndarray]] = {}
    for key, name in zip(("chunks", "units"), collection_names(prefix, build), strict=True):
        try:
            got = client.get_collection(name, embedding_function=None).get(include=["embeddings"])
        except Exception:  # a missing or damaged old build just means re-embedding
            return {}
        out[key] = {i: np.asarray(e, dtype=np.float32) for i, e in zip(got["ids"], got["embeddings"], strict=True)}
    return out


def _drop_old_builds(client, prefix: str, keep_build: str, keep: int) -> set[str]:  # noqa: ANN001
    ours = re.compile(re.escape(prefix) + r"-(\d+)-(?:chunks|units)")  # not another deployment's "<prefix>-x-..."
    builds = sorted({m.group(1) for c in client.list_collections() if (m := ours.fullmatch(c.name))})
    older = [b for b in builds if b != keep_build]
    dropped = older[: max(0, len(older) - keep)]
    for b in dropped:
        for name in collection_names(prefix, b):
            try:
                client.delete_collection(name)
            except Exception:  # noqa: S110 - already gone
                pass
    return set(builds) - set(dropped)


SOURCES = "sources"


def sources_dir(index_dir: Path, build: str) -> Path:
    """The copy of the source files a build was made from (its spans point into these exact texts)."""
    return Path(index_dir) / SOURCES / build


def write_sources(index_dir: Path, build: str, docs: list[Document], manifest: Path) -> None:
    """Snapshot the texts this build indexes, so a build stays quotable whatever happens to ``corpus/``."""
    out = sources_dir(index_dir, build)
    out.mkdir(parents=True, exist_ok=True)
    for d in docs:
        (out / d.file).write_text(d.raw, encoding="utf-8", newline="")
    (out / manifest.name).write_text(manifest.read_text(encoding="utf-8"), encoding="utf-8")


def _drop_old_sources(index_dir: Path, keep: set[str]) -> None:
    import shutil

    root = Path(index_dir) / SOURCES
    for d in root.iterdir() if root.is_dir() else []:
        if d.name not in keep:
            shutil.rmtree(d, ignore_errors=True)


def _wipe_embedded(index_dir: Path) -> None:
    import shutil

    try:  # Chroma caches one client per path in-process; forget it before the folder goes
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
    except Exception:  # noqa: S110 - nothing cached
        pass
    shutil.rmtree(index_dir / "chroma", ignore_errors=True)
    shutil.rmtree(index_dir / SOURCES, ignore_errors=True)
    (index_dir / POINTER).unlink(missing_ok=True)


class _NullBar:
    def update(self, n: int) -> None: ...
    def close(self) -> None: ...


def _progress(total: int, enabled: bool):  # noqa: ANN202
    if not enabled or not total:
        return _NullBar()
    from tqdm import tqdm

    return tqdm(total=total, desc="embedding", unit="text", file=sys.stderr, leave=False)


def check_sqlite(index_dir: Path) -> None:
    """PRAGMA quick_check on the embedded store; Chroma itself often hides damage."""
    path = Path(index_dir) / "chroma" / "chroma.sqlite3"
    if not path.exists() or path.stat().st_size == 0:
        raise IndexDamagedError(f"The index database {path} is missing or empty.")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            row = con.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise IndexDamagedError(f"The index database {path} is damaged ({exc}).") from exc
    if not row or row[0] != "ok":
        raise IndexDamagedError(f"The index database {path} failed its integrity check ({row and row[0]}).")


def open_build(settings: Settings, ptr: dict[str, Any]) -> tuple[Any, Any]:
    """The chunk and sentence collections of the live build, checked; raises IndexDamagedError.

    Checks, cheapest first: sqlite ``quick_check`` (embedded store), both collections readable, their
    counts equal to the manifest's, and a self-retrieval probe (see :func:`probe_collection`).
    """
    if not settings.index.chroma_url:
        check_sqlite(settings.index.dir)
    client = chroma_client(settings)
    cname, uname = collection_names(settings.index.collection_prefix, ptr["build"])
    try:
        ccol = client.get_collection(cname, embedding_function=None)
        ucol = client.get_collection(uname, embedding_function=None)
    except Exception as exc:
        raise IndexDamagedError(f"The index build {ptr['build']} cannot be read ({exc}).") from exc
    check_collection(ccol, ptr["chunks"], "chunks")
    check_collection(ucol, ptr["units"], "sentences")
    return ccol, ucol


def check_collection(col: Any, expected: int, what: str = "vectors") -> None:
    """The collection can be counted, holds ``expected`` items, and passes the self-retrieval probe."""
    try:
        count = col.count()
    except Exception as exc:
        raise IndexDamagedError(f"The index's {what} cannot be read ({exc}).") from exc
    if count != expected:
        raise IndexDamagedError(f"The index holds {count} {what}; its manifest says {expected}.")
    probe_collection(col, count)


def probe_collection(col: Any, count: int, samples: int = 5) -> None:
    """Stored vectors must find themselves, with a full result list.

    A deleted or truncated HNSW segment folder often gives no error: Chroma answers from what is left (a
    query over 5,000 vectors returned 1 result). Querying with a few stored vectors, spread over the
    collection, and asking for ``k`` results catches that without loading the embedding model.
    """
    if not count:
        raise IndexDamagedError("The index is empty.")
    k = min(10, count)
    try:
        ids = col.get(include=[])["ids"]
        picks = [ids[i] for i in np.linspace(0, len(ids) - 1, min(samples, len(ids))).astype(int)]
        vecs = col.get(ids=picks, include=["embeddings"])
        got = col.query(query_embeddings=np.asarray(vecs["embeddings"], dtype=np.float32), n_results=k,
                        include=[])
    except Exception as exc:
        raise IndexDamagedError(f"The index failed its probe query ({exc}).") from exc
    for pid, found in zip(vecs["ids"], got["ids"], strict=True):
        if len(found) < k or pid not in found:
            raise IndexDamagedError(f"The index failed its probe query ({len(found)} of {k} results; stored "
                                    f"passage {pid} {'found' if pid in found else 'not found'}).")


def require_pointer(settings: Settings) -> dict[str, Any]:
    ptr = read_pointer(settings.index.dir)
    if not ptr:
        raise IndexError_(f"No index found in {settings.index.dir}.")
    return ptr
