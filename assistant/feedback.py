"""Thumbs up / down on answers, kept in a small SQLite file (``settings.server.feedback_db``).

One table, created on first use; WAL mode so the UI can write while an export reads; every
query is parameterised.  A vote carries the key of the answer it is about (the chat session's id and
the answer's number in it): a second vote on the same answer updates that answer's row instead of
adding a contradicting one.  Files written before the key existed gain the column on first use.
``assistant feedback export --out F`` writes the rows as JSONL.
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
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    ts         TEXT    NOT NULL,
    question   TEXT    NOT NULL,
    answer     TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    citations  TEXT    NOT NULL,
    rating     INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    comment    TEXT    NOT NULL DEFAULT '',
    answer_key TEXT
)
"""
KEY_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS feedback_answer_key ON feedback (answer_key)"
COLUMNS = ("id", "ts", "question", "answer", "status", "citations", "rating", "comment", "answer_key")
# One row per answer key (rows without a key are appended): a new vote replaces the rating and the time,
# and a new comment replaces the old one (an empty comment keeps it).
UPSERT = """
INSERT INTO feedback (ts, question, answer, status, citations, rating, comment, answer_key)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (answer_key) DO UPDATE SET
    ts = excluded.ts, rating = excluded.rating,
    comment = CASE WHEN excluded.comment != '' THEN excluded.comment ELSE feedback.comment END
RETURNING id
"""


class FeedbackStore:
    """Feedback rows: question, answer markdown, status, citations (JSON), rating, comment, answer key."""

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
                    have = {row[1] for row in con.execute("PRAGMA table_info(feedback)")}
                    if "answer_key" not in have:  # a file from before votes had keys
                        con.execute("ALTER TABLE feedback ADD COLUMN answer_key TEXT")
                    con.execute(KEY_INDEX)
                con.close()
                self._ready = True
        return sqlite3.connect(self.path, timeout=10)

    def add(self, question: str, answer: dict[str, Any], rating: int, comment: str = "",
            key: str | None = None) -> int:
        """Store one rating (+1 or -1) of ``answer`` (an ``Answer.to_dict()``); returns the row id.

        With ``key`` (which answer this is), a later call with the same key updates that row: the
        rating, the time and (when not empty) the comment.  Without one, every call adds a row."""
        if rating not in (1, -1):
            raise ValueError("rating must be +1 or -1")
        row = (datetime.now(timezone.utc).isoformat(timespec="seconds"), str(question or ""),
               str(answer.get("answer", "")), str(answer.get("status", "")),
               json.dumps(answer.get("citations") or [], ensure_ascii=False), int(rating), str(comment or ""),
               key or None)
        con = self._connect()
        try:
            with con:
                got = con.execute(UPSERT, row).fetchone()
            return int(got[0])
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
