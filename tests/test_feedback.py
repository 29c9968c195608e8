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


def test_a_second_vote_on_the_same_answer_updates_its_row(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    first = store.add("What is blinatumomab?", ANSWER, 1, "clear", key="s1:0")
    again = store.add("What is blinatumomab?", ANSWER, -1, key="s1:0")  # no comment: the old one stays
    assert again == first
    rows = store.rows()
    assert [(r["rating"], r["comment"], r["answer_key"]) for r in rows] == [(-1, "clear", "s1:0")]
    store.add("What is blinatumomab?", ANSWER, 1, "changed my mind", key="s1:0")
    assert [(r["rating"], r["comment"]) for r in store.rows()] == [(1, "changed my mind")]
    # another answer (same question, other session or other turn) and keyless rows get rows of their own
    store.add("What is blinatumomab?", ANSWER, -1, key="s2:0")
    store.add("What is blinatumomab?", ANSWER, 1, key="s1:1")
    store.add("q", ANSWER, 1)
    store.add("q", ANSWER, 1)
    rows = store.rows()
    assert [(r["answer_key"], r["rating"]) for r in rows] == [("s1:0", 1), ("s2:0", -1), ("s1:1", 1), (None, 1),
                                                              (None, 1)]


def test_a_file_from_before_answer_keys_gains_the_column(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, question TEXT NOT "
                "NULL, answer TEXT NOT NULL, status TEXT NOT NULL, citations TEXT NOT NULL, rating INTEGER NOT NULL "
                "CHECK (rating IN (-1, 1)), comment TEXT NOT NULL DEFAULT '')")
    con.execute("INSERT INTO feedback (ts, question, answer, status, citations, rating) VALUES "
                "('2024-01-01T00:00:00+00:00', 'old', 'a', 'answered', '[]', 1)")
    con.commit()
    con.close()
    store = FeedbackStore(path)
    store.add("new", ANSWER, 1, key="k:0")
    store.add("new", ANSWER, -1, key="k:0")
    rows = store.rows()
    assert [(r["question"], r["rating"], r["answer_key"]) for r in rows] == [("old", 1, None), ("new", -1, "k:0")]
    out = tmp_path / "f.jsonl"
    assert store.export(str(out)) == 2
    assert json.loads(out.read_text(encoding="utf-8").splitlines()[1])["answer_key"] == "k:0"
