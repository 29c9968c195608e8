"""Client/server mode: the same index on a local ``chroma run`` server, chosen by configuration alone.

One Chroma server per module (loopback, free port, data in a tmp dir); the index is built into it once with
the real model (the model object is shared with the embedded ``real_assistant`` fixture, so it loads once).
Replicas find the live build through ``CURRENT.json`` in the shared ``index.dir``; the collections themselves
live on the server.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, make_settings

from assistant.errors import IndexError_
from assistant.index import POINTER, chroma_client, collection_names, read_pointer
from assistant.pipeline import Assistant

pytestmark = pytest.mark.integration

DEV = {q["id"]: q for q in map(json.loads, (ROOT / "evals" / "questions" / "dev.jsonl").open(encoding="utf-8"))}
# answerable dev questions of varied types: fact, number, number, list, multi-document, conflict
QUESTIONS = [DEV[i]["question"] for i in ("dev-002", "dev-017", "dev-024", "dev-042", "dev-055", "dev-062")]
EDIT_FROM = "Treatment for relapsed and refractory ALL is typically more intensive than for newly diagnosed patients."
EDIT_TO = "Treatment for relapsed and refractory ALL is typically more intensive than for new patients."


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _heartbeat(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # straight to loopback, no proxy
    try:
        with opener.open(f"{url}/api/v2/heartbeat", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """``chroma run`` on 127.0.0.1:<free port>; yields its URL; always terminated."""
    tmp = tmp_path_factory.mktemp("chroma-server")
    exe = Path(sys.executable).parent / "chroma"
    assert exe.exists(), f"no chroma executable next to {sys.executable}"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp / "server.log"
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1"}
    with log_path.open("wb") as log:
        proc = subprocess.Popen([str(exe), "run", "--path", str(tmp / "chroma-data"), "--host", "127.0.0.1",
                                 "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 30
        while not _heartbeat(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                why = f"exited with {proc.returncode}" if proc.poll() is not None else "no heartbeat within 30 s"
                pytest.fail(f"chroma server at {url} did not come up ({why}); its log:\n"
                            f"{log_path.read_text(errors='replace')[-4000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server_settings(chroma_server: str, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """Real model, a corpus copy (edited by the re-index test), index.dir holding only the pointer."""
    tmp = tmp_path_factory.mktemp("server-mode")
    corpus = tmp / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    return make_settings(tmp, "default", corpus=corpus, index={"chroma_url": chroma_server, "keep_builds": 1})


@pytest.fixture(scope="module")
def replica1(server_settings, real_assistant):  # noqa: ANN001, ANN201
    """The replica that builds: the one full build into the server of this module."""
    a = Assistant(server_settings, embedder=real_assistant.embedder)
    report = a.build_index(progress=False)
    assert report.changed and report.embedded == report.chunks + report.units
    return a


@pytest.fixture(scope="module")
def replica2(server_settings, replica1, real_assistant):  # noqa: ANN001, ANN201
    """A second, fresh Assistant with the same settings that never builds."""
    return Assistant(server_settings, embedder=real_assistant.embedder)


def _comparable(answer) -> dict:  # noqa: ANN001
    d = answer.to_dict()
    d.pop("timings_ms")
    return d


def _server_builds(settings) -> set[str]:  # noqa: ANN001
    prefix = settings.index.collection_prefix + "-"
    return {c.name.split("-")[-2] for c in chroma_client(settings).list_collections() if c.name.startswith(prefix)}


def _assert_citations_quote_raw(a: Assistant, answer) -> None:  # noqa: ANN001
    for c in answer.citations:
        chunk = a.store.chunks[c.chunk_id]
        assert chunk.doc_id == c.doc_id and chunk.start <= c.start < c.end <= chunk.end
        assert a.store.docs[c.doc_id].raw[c.start:c.end] == c.quote


def test_server_mode_answers_exactly_like_the_embedded_store(real_assistant, replica1, server_settings):
    index_dir = Path(server_settings.index.dir)
    assert sorted(p.name for p in index_dir.iterdir()) == [POINTER, "sources"]  # no local Chroma data
    build = read_pointer(index_dir)["build"]
    cname, uname = collection_names(server_settings.index.collection_prefix, build)
    client = chroma_client(server_settings)
    assert client.get_settings().chroma_api_impl == "chromadb.api.fastapi.FastAPI"  # HTTP, not the Rust bindings
    assert client.get_collection(cname, embedding_function=None).count() == len(replica1.store.chunks)
    assert client.get_collection(uname, embedding_function=None).count() == len(replica1.store.units)
    answered = 0
    for q in QUESTIONS:
        embedded, served = _comparable(real_assistant.ask(q)), _comparable(replica1.ask(q))
        assert served["status"] == embedded["status"], q
        assert [(c["doc_id"], c["start"], c["end"], c["chunk_id"]) for c in served["citations"]] == \
            [(c["doc_id"], c["start"], c["end"], c["chunk_id"]) for c in embedded["citations"]], q
        assert served["answer"] == embedded["answer"], q
        assert served == embedded, q  # quotes, notices, verdict and related passages too
        answered += served["status"] == "answered" and bool(served["citations"])
    assert answered >= len(QUESTIONS) - 1


def test_a_fresh_replica_finds_the_live_build_through_the_shared_pointer(real_assistant, replica1, replica2,
                                                                         server_settings, tmp_path):
    builds = _server_builds(server_settings)
    pointer = (Path(server_settings.index.dir) / POINTER).read_bytes()
    for q in QUESTIONS:
        assert _comparable(replica2.ask(q)) == _comparable(real_assistant.ask(q)), q
    assert replica2.store.build == replica1.store.build
    # it only read: no new build on the server, pointer untouched
    assert _server_builds(server_settings) == builds
    assert (Path(server_settings.index.dir) / POINTER).read_bytes() == pointer
    # the pointer is what a replica needs: same server, an index dir without it -> a clear error
    lost = make_settings(tmp_path, "default", corpus=server_settings.corpus.dir,
                         index={"chroma_url": server_settings.index.chroma_url})
    with pytest.raises(IndexError_, match="No index found"):
        Assistant(lost, embedder=real_assistant.embedder).ask(QUESTIONS[0])


def test_reindexing_swaps_the_build_under_a_serving_replica(real_assistant, replica1, replica2, server_settings):
    first = replica2.store.build
    assert _server_builds(server_settings) == {first}
    # replica 1 re-indexes an edited corpus (incremental: vectors of unchanged ids come back from the server)
    path = next(Path(server_settings.corpus.dir).glob("003_*.txt"))
    original = path.read_text(encoding="utf-8")
    assert EDIT_FROM in original
    path.write_text(original.replace(EDIT_FROM, EDIT_TO), encoding="utf-8")
    second = replica1.build_index(progress=False)
    assert second.changed and second.build != first
    assert 0 < second.embedded <= 3 and second.reused >= second.chunks + second.units - 3
    assert _server_builds(server_settings) == {first, second.build}  # keep_builds=1: the old build stays
    for q in QUESTIONS:  # replica 2 picks the new build up on its next question
        ans = replica2.ask(q)
        assert ans.status in ("answered", "abstained") and replica2.store.build == second.build, q
        _assert_citations_quote_raw(replica2, ans)
    assert any(EDIT_TO[:-1] in u.text for u in replica2.store.units.values())
    assert not any(EDIT_FROM[:-1] in u.text for u in replica2.store.units.values())
    # back to the original corpus: a third build; the oldest one is dropped from the server
    path.write_text(original, encoding="utf-8")
    third = replica1.build_index(progress=False)
    assert third.changed and 0 < third.embedded <= 3
    assert _server_builds(server_settings) == {second.build, third.build}
    for q in QUESTIONS:
        assert _comparable(replica2.ask(q)) == _comparable(real_assistant.ask(q)), q
    assert replica2.store.build == third.build
