"""Every hostile input gets an answer or a clear error: no crash, no rule bypass, no markup echoed."""

import json
import re
import unicodedata
from pathlib import Path

import pytest

from assistant.errors import InputError

ITEMS = [json.loads(line) for line in (Path(__file__).resolve().parent.parent / "evals" / "questions" /
                                       "hostile.jsonl").open(encoding="utf-8")]


def build(item):
    q = item["question"] * item.get("repeat", 1)
    history = [dict(t, content=t["content"] * item.get("history_repeat", 1)) for t in item.get("history", [])]
    return q, history


def test_hostile_set_size():
    assert len(ITEMS) >= 100


@pytest.mark.parametrize("item", ITEMS, ids=[i["id"] for i in ITEMS])
def test_hostile_input(fake_assistant, item):
    q, history = build(item)
    if item["expect"] == "error":
        with pytest.raises(InputError) as err:
            fake_assistant.ask(q, history)
        assert "Traceback" not in err.value.user_message()
        return
    visible = "".join(ch for ch in re.sub(r"<[^<>]*>", "", q) if unicodedata.category(ch) not in ("Co", "Cn", "Cs"))
    if not visible.strip():
        # Only markup, private-use or non-characters: nothing is left to ask, so it is the empty-question error.
        with pytest.raises(InputError):
            fake_assistant.ask(q, history)
        return
    ans = fake_assistant.ask(q, history).to_dict()
    assert ans["status"] in ("answered", "abstained", "refused")
    for c in ans["citations"]:
        assert fake_assistant.store.docs[c["doc_id"]].raw[c["start"]:c["end"]] == c["quote"]
    low = ans["answer"].lower()
    assert "<script" not in low and "onerror" not in low and "drop table" not in low
    for removed in ans["verdict"].get("removed", []):  # fail-closed: a failing statement is never shown
        assert removed["sentence"] not in ans["answer"]
