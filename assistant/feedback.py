"""Thumbs up / down on answers, kept in a small SQLite file (``settings.server.feedback_db``).

One table, created on first use; WAL mode so the UI can write while an export reads; every
query is parameterised.  ``assistant feedback export --out F`` writes the rows as JSONL.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    ts        TEXT    NOT NULL,
    question  TEXT    NOT NULL,
    answer    TEXT    NOT NULL,
    status    TEXT    NOT NULL,
    citations TEXT    NOT NULL,
    rating    INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    comment   TEXT    NOT NULL DEFAULT ''
)
"""
COLUMNS = ("id", "ts", "question", "answer", "status", "citations", "rating", "comment")


class FeedbackStore:
    """Append-only feedback rows: question, answer markdown, status, citations (JSON), rating, comment."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._ready = False
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        if not self._ready:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with sqlite3.connect(self.path, timeout=10) as con:
                    con.execute("PRAGMA journal_mode=WAL")
                    con.execute(SCHEMA)
                con.close()
                self._ready = True
        return sqlite3.connect(self.path, timeout=10)

    def add(self, question: str, answer: dict[str, Any], rating: int, comment: str = "") -> int:
        """Store one rating (+1 or -1) of ``answer`` (an ``Answer.to_dict()``); returns the row id."""
        if rating not in (1, -1):
            raise ValueError("rating must be +1 or -1")
        row = (datetime.now(timezone.utc).isoformat(timespec="seconds"), str(question or ""),
               str(answer.get("answer", "")), str(answer.get("status", "")),
               json.dumps(answer.get("citations") or [], ensure_ascii=False), int(rating), str(comment or ""))
        con = self._connect()
        try:
            with con:
                cur = con.execute("INSERT INTO feedback (ts, question, answer, status, citations, rating, comment) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?)", row)
            return int(cur.lastrowid or 0)
        finally:
            con.close()

    def rows(self) -> list[dict[str, Any]]:
        """Every row, oldest first, with ``citations`` decoded."""
        con = self._connect()
        try:
            got = con.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id").fetchall()
        finally:
            con.close()
        out = []
        for values in got:
            row = dict(zip(COLUMNS, values, strict=True))
            row["citations"] = json.loads(row["citations"])
            out.append(row)
        return out

    def export(self, out: str) -> int:
        """Write the rows as JSON lines to ``out`` ("-" = stdout); returns how many were written."""
        rows = self.rows()
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        if out == "-":
            sys.stdout.write(lines)
            sys.stdout.flush()
        else:
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            Path(out).write_text(lines, encoding="utf-8")
        return len(rows)
