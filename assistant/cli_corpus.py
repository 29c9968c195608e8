"""``assistant add | sources | remove``: the corpus from the command line (see ``ingest``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def settings_of(args: argparse.Namespace):  # noqa: ANN201
    """The settings a command runs with (``--preset``, files and environment)."""
    from .config import Settings

    return Settings.load(getattr(args, "preset", None))


def _embedder(settings: Any) -> Any:
    from .embedders import make_embedder

    return make_embedder(settings.embedding.kind, settings.embedding.batch_size, settings.embedding.threads)


def cmd_add(args: argparse.Namespace) -> int:
    from .ingest import add

    s = settings_of(args)
    r = add(s, [Path(p) for p in args.paths], _embedder(s), progress=not args.quiet and sys.stderr.isatty(),
            title=args.title or "", publisher=args.publisher or "", audience=args.audience,
            population=args.population, date=args.date or "")
    for d in r.docs:
        pages = f"{d.pages} pages, " if d.pages else ""
        blank = f" (no text on page {', '.join(map(str, d.empty_pages))})" if d.empty_pages else ""
        print(f"added {d.id}: {d.title} — {d.format}, {pages}{d.sections} sections, {d.chunks} chunks, "
              f"{d.units} sentences{blank}; stored as {d.file}")
    b = r.build
    print(f"index {b.build}: {b.chunks} chunks, {b.units} sentences; embedded {b.embedded}, reused {b.reused}; "
          f"{b.seconds:.1f}s")
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    from .ingest import sources

    rows = sources(settings_of(args))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        pages = f", {r['pages']} pages" if r.get("pages") else ""
        print(f"{r['id']}  {r['title']} — {r['publisher']} ({r['date_label']}; for {r['population']}, "
              f"{r['audience']})\n     {r['format']}{pages}: {r.get('sections', 0)} sections, {r.get('chunks', 0)} "
              f"chunks, {r.get('units', 0)} sentences, {r.get('references', 0)} references; {r['file']}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from .ingest import remove

    s = settings_of(args)
    r = remove(s, args.doc_id, _embedder(s), progress=not args.quiet and sys.stderr.isatty())
    d, b = r.docs[0], r.build
    print(f"removed {d.id}: {d.title}")
    print(f"index {b.build}: {b.chunks} chunks, {b.units} sentences; embedded {b.embedded}, reused {b.reused}; "
          f"{b.seconds:.1f}s")
    return 0
