"""The product's parts for real: the packaged MiniLM model and a persisted Chroma index."""

import json
from pathlib import Path

import pytest

from assistant.pipeline import Assistant

pytestmark = pytest.mark.integration
DEV = [json.loads(line) for line in (Path(__file__).resolve().parent.parent / "evals" / "questions" /
                                     "dev.jsonl").open(encoding="utf-8")]


def test_clofarabine_pediatric_dose_is_cited(real_assistant):
    ans = real_assistant.ask("What dose of clofarabine is used in children?").to_dict()
    assert ans["status"] == "answered" and "52 mg/m2/day" in ans["answer"]
    cit = next(c for c in ans["citations"] if "52 mg/m2/day" in c["quote"])
    assert real_assistant.store.docs[cit["doc_id"]].raw[cit["start"]:cit["end"]] == cit["quote"]
    assert cit["doc_id"] == "002"


def test_every_citation_over_the_dev_set_quotes_the_raw_file(real_assistant):
    n = 0
    for item in DEV:
        ans = real_assistant.ask(item["question"], item.get("history") or []).to_dict()
        for c in ans["citations"]:
            assert real_assistant.store.docs[c["doc_id"]].raw[c["start"]:c["end"]] == c["quote"]
            n += 1
    assert n > 150


def test_persisted_index_reopens_in_a_new_process_state(real_assistant):
    again = Assistant(real_assistant.settings)  # same index dir, fresh objects: reads the store from disk
    q = "What was the complete remission rate with inotuzumab ozogamicin versus chemotherapy?"
    a1, a2 = real_assistant.ask(q).to_dict(), again.ask(q).to_dict()
    assert a1["citations"] == a2["citations"] and a1["answer"] == a2["answer"] and a1["citations"]
    assert again.build_index(progress=False).changed is False
