"""FeedbackStore: SQLite rows in, JSONL out."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from assistant.feedback import FeedbackStore

ANSWER = {
    "question": "What is blinatumomab?",
    "answer": "Blinatumomab is a bispecific T cell engager. [1]",
    "status": "answered",
    "citations": [{"n": 1, "chunk_id": "abc", "doc_id": "004", "title": "T", "section": "S", "start": 1, "end": 9,
                   "quote": "Blinatumomab is …"}],
}


def test_creates_parent_dir_table_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "feedback.sqlite3"
    store = FeedbackStore(path)
    assert not path.exists()  # nothing happens in the constructor
    assert store.rows() == []
    assert path.exists()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_add_and_rows_round_trip(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    first = store.add("What is blinatumomab?", ANSWER, 1)
    second = store.add("Second", {"answer": "x", "status": "abstained", "citations": []}, -1, "not helpful")
    assert second > first
    rows = store.rows()
    assert [r["rating"] for r in rows] == [1, -1]
    assert rows[0]["question"] == "What is blinatumomab?"
    assert rows[0]["answer"] == ANSWER["answer"]
    assert rows[0]["status"] == "answered"
    assert rows[0]["citations"] == ANSWER["citations"]
    assert rows[0]["comment"] == ""
    assert rows[1]["comment"] == "not helpful"
    assert rows[0]["ts"].endswith("+00:00")


def test_rejects_other_ratings(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    with pytest.raises(ValueError):
        store.add("q", ANSWER, 0)
    assert store.rows() == []


def test_sql_looking_comment_is_stored_verbatim(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    nasty = "x'); DROP TABLE feedback; -- \" OR 1=1 <script>alert(1)</script>"
    store.add(nasty, ANSWER, -1, nasty)
    store.add("after", ANSWER, 1)
    rows = store.rows()
    assert len(rows) == 2
    assert rows[0]["comment"] == nasty
    assert rows[0]["question"] == nasty


def test_export_jsonl(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    store.add("q1", ANSWER, 1, "good — thanks")
    store.add("q2", ANSWER, -1)
    out = tmp_path / "out" / "feedback.jsonl"
    assert store.export(str(out)) == 2
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["question"] for line in lines] == ["q1", "q2"]
    assert json.loads(lines[0])["comment"] == "good — thanks"
    assert json.loads(lines[0])["citations"][0]["doc_id"] == "004"


def test_export_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    assert store.export("-") == 0
    store.add("q", ANSWER, 1)
    assert store.export("-") == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and json.loads(out[0])["rating"] == 1


def test_two_stores_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "f.sqlite3"
    FeedbackStore(path).add("a", ANSWER, 1)
    FeedbackStore(path).add("b", ANSWER, -1)
    assert [r["question"] for r in FeedbackStore(path).rows()] == ["a", "b"]
