"""Load: 50 concurrent chat clients against ``assistant serve`` on loopback (real model, real index).

The server is the product command, started as a subprocess over the session's real index
(``ASSISTANT_INDEX__DIR``). Its queue settings are the defaults unless the environment overrides them:
``ASSISTANT_SERVER__CONCURRENCY=4 pytest tests/test_load.py -m integration -s`` measures another setting (the
README's "Load and concurrency" table used these same clients against each setting in turn).

Each client is its own HTTP connection asking 2 questions from ``evals/questions/dev.jsonl`` through Gradio's
queue (``POST /gradio_api/call/ask``, then the event's SSE stream), all released at once. Every reply must be
well formed, its citations must quote the raw source text exactly, and it must equal the reply the same server
gave through ``gradio_client`` to the same question asked alone (answers computed in several threads at once
must not differ). p50 / p95 / max latency and throughput are printed and written to ``load.json``.

Why not 50 ``gradio_client.Client`` objects: each keeps a heartbeat stream and three thread pools; on this
2-core machine 50 of them in the test process burned ~24 s of CPU for 100 questions (the server ~9 s) and
tripled the latencies, so they measured the client, not the server.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from conftest import make_settings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 50
PER_CLIENT = 2
WALL_S = 120.0  # the whole burst (connect + 100 questions); a hung request fails the test here
STARTUP_S = 120.0  # `assistant serve`: import gradio, load the model, open the index, warm up, launch
# 100 answers at the measured 10-20 answers/s drain in 5-10 s on 2 cores, so even the last request in the queue
# waits about 10 s at worst (measured p95 3-5 s, see README "Load and concurrency"). 30 s is not a performance
# target: it only catches a stall (a request stuck behind a lock or a dead worker) well inside WALL_S, with room
# for a machine shared with other jobs.
P95_BOUND_S = 30.0
# Per type: how many dev questions go into the pool (answerable, not covered, off-topic, follow-ups, ...).
POOL = {"fact": 3, "number": 3, "list": 2, "comparison": 2, "multi_doc": 2, "conflict": 2, "follow_up": 2,
        "personal_advice": 2, "emergency": 1, "injection": 2, "not_covered": 3, "off_topic": 3}
MARKER = re.compile(r"\[(\d+)\]")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pool() -> list[tuple[str, str]]:
    """(question, history_json) pairs: a fixed mix of the dev set's question types."""
    items = [json.loads(line) for line in (ROOT / "evals" / "questions" / "dev.jsonl").open(encoding="utf-8")
             if line.strip()]
    out: list[tuple[str, str]] = []
    for kind, n in POOL.items():
        picked = [it for it in items if it["type"] == kind][:n]
        assert len(picked) == n, f"dev.jsonl has fewer than {n} {kind} questions"
        out += [(it["question"], json.dumps(it.get("history") or [])) for it in picked]
    return out


def _ask_http(http: Any, url: str, question: str, history_json: str) -> Any:
    """One /ask through the Gradio queue over plain HTTP: join, then read the event's stream to its end."""
    r = http.post(url + "gradio_api/call/ask", json={"data": [question, history_json]})
    r.raise_for_status()
    event = ""
    with http.stream("GET", url + f"gradio_api/call/ask/{r.json()['event_id']}") as stream:
        stream.raise_for_status()
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line[len("event:"):].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                if event == "error":
                    raise RuntimeError(f"server error: {line[len('data:'):].strip()}")
                return json.loads(line[len("data:"):])[0]
    raise RuntimeError(f"stream ended without a result (last event {event!r})")


def _pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): the smallest value with at least q % of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))]


def _key(ans: dict[str, Any]) -> tuple[Any, ...]:
    """What must not change between a reply under load and the same question asked alone."""
    return (ans["status"], ans["answer"], [(c["n"], c["chunk_id"], c["start"], c["end"]) for c in ans["citations"]],
            [(n["kind"], n["text"]) for n in ans["notices"]])


def _check_reply(ans: Any, raw: dict[str, str]) -> list[str]:
    """Problems with one /ask reply ([] when it is a well-formed answer whose citations resolve)."""
    if not isinstance(ans, dict):
        return [f"reply is {type(ans).__name__}, not the answer JSON"]
    missing = {"question", "answer", "status", "citations", "notices", "verdict"} - set(ans)
    if missing:
        return [f"reply lacks {sorted(missing)}"]
    problems = []
    if ans["status"] not in ("answered", "abstained", "refused"):
        problems.append(f"status {ans['status']!r}")
    if not isinstance(ans["answer"], str) or not ans["answer"].strip():
        problems.append("empty answer text")
    cites = {c["n"]: c for c in ans["citations"]}
    if ans["status"] == "answered":
        if not cites:
            problems.append("answered without citations")
        unknown = {int(n) for n in MARKER.findall(ans["answer"])} - set(cites)
        if unknown:
            problems.append(f"markers {sorted(unknown)} cite nothing")
    elif cites:
        problems.append(f"{ans['status']} reply carries citations")
    for c in cites.values():
        text = raw.get(c["doc_id"])
        if text is None or text[c["start"]:c["end"]] != c["quote"]:
            problems.append(f"citation [{c['n']}] ({c['doc_id']} {c['start']}:{c['end']}) does not quote the source")
    return problems


@pytest.fixture(scope="module")
def server(real_assistant: Any, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """`assistant serve` on a free loopback port over the session's real index; yields (url, env, log)."""
    tmp = tmp_path_factory.mktemp("load")
    s = real_assistant.settings
    env = {**os.environ, "ASSISTANT_INDEX__DIR": str(s.index.dir), "ASSISTANT_CORPUS__DIR": str(s.corpus.dir),
           "ASSISTANT_SERVER__FEEDBACK_DB": str(tmp / "feedback.sqlite3"), "TOKENIZERS_PARALLELISM": "false",
           "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    exe = Path(sys.executable).parent / "assistant"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "assistant.cli"]
    port = _free_port()
    log = tmp / "serve.log"
    with log.open("wb") as out:
        # SIGINT back to its default in the child (a shell may start pytest with it ignored): serve's Ctrl-C path
        proc = subprocess.Popen([*cmd, "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"assistant serve exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            if "Chat UI running at" in log.read_text(errors="replace"):
                with urllib.request.urlopen(url + "config", timeout=10) as resp:  # noqa: S310 - loopback
                    assert resp.status == 200
                break
            if time.monotonic() > deadline:
                pytest.fail(f"assistant serve did not answer within {STARTUP_S:.0f} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield url, env, log
    finally:
        proc.send_signal(signal.SIGINT)  # serve's own Ctrl-C path closes the app
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_fifty_concurrent_chat_clients(server: tuple[str, dict[str, str], Path], real_assistant: Any,
                                       tmp_path_factory: pytest.TempPathFactory) -> None:
    import httpx
    from gradio_client import Client

    from assistant.config import Settings
    from assistant.corpus import load_corpus

    url, env, log = server
    settings = Settings.load(env=env)  # what the server runs with (defaults unless the environment overrides)
    raw = {d.id: d.raw for d in load_corpus(settings.corpus.dir, settings.corpus.manifest)}
    pool = _pool()
    tls = ssl.create_default_context()  # one for all: building 50 (CA bundle each) costs ~3 s of CPU

    # Each question alone first, through the documented client: the reference every reply under load must equal.
    alone: dict[tuple[str, str], dict[str, Any]] = {}
    c0 = Client(url, verbose=False, analytics_enabled=False, download_files=False)
    try:
        for q, h in pool:
            alone[(q, h)] = c0.predict(q, h, api_name="/ask")
    finally:
        c0.close()
    for (q, _history), ans in alone.items():
        assert not _check_reply(ans, raw), (q, _check_reply(ans, raw))

    results: list[dict[str, Any]] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS, timeout=WALL_S / 2)
    burst: dict[str, float] = {}

    def session(i: int) -> None:
        http = httpx.Client(timeout=httpx.Timeout(WALL_S, connect=10.0), verify=tls, trust_env=False)
        try:
            try:
                start.wait()
            except threading.BrokenBarrierError:
                with lock:
                    results.append({"client": i, "turn": -1, "error": "another client failed to connect"})
                return
            with lock:
                burst.setdefault("t0", time.perf_counter())
            for turn in range(PER_CLIENT):
                q, h = pool[(i * PER_CLIENT + turn) * 7 % len(pool)]
                row: dict[str, Any] = {"client": i, "turn": turn, "question": q}
                t1 = time.perf_counter()
                try:
                    ans = _ask_http(http, url, q, h)
                except Exception as exc:  # noqa: BLE001
                    row["error"] = repr(exc)
                else:
                    row["status"] = ans.get("status") if isinstance(ans, dict) else None
                    problems = _check_reply(ans, raw)
                    if not problems and _key(ans) != _key(alone[(q, h)]):
                        problems.append("differs from the same question asked alone")
                    if problems:
                        row["error"] = "; ".join(problems)
                row["latency_s"] = time.perf_counter() - t1
                with lock:
                    results.append(row)
                    burst["t1"] = time.perf_counter()
        finally:
            http.close()

    threads = [threading.Thread(target=session, args=(i,), daemon=True, name=f"load-{i}") for i in range(CLIENTS)]
    wall0 = time.perf_counter()
    for t in threads:
        t.start()
    deadline = time.monotonic() + WALL_S
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    wall = time.perf_counter() - wall0
    stuck = [t.name for t in threads if t.is_alive()]
    assert not stuck, f"{len(stuck)} clients still waiting after {WALL_S:.0f} s; server log:\n" \
                      f"{log.read_text()[-3000:]}"

    errors = [r for r in results if "error" in r]
    done = [r for r in results if "latency_s" in r and "error" not in r]
    lat = [r["latency_s"] for r in results if "latency_s" in r]
    statuses: dict[str, int] = {}
    for r in done:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    burst_s = burst.get("t1", 0.0) - burst.get("t0", 0.0)
    report = {
        "clients": CLIENTS, "questions_per_client": PER_CLIENT, "requests": len(lat), "errors": len(errors),
        "concurrency": settings.server.concurrency, "max_queue": settings.server.max_queue,
        "embedding_threads": settings.embedding.threads, "cpus": os.cpu_count(),
        "p50_s": round(_pct(lat, 50), 3) if lat else None, "p95_s": round(_pct(lat, 95), 3) if lat else None,
        "max_s": round(max(lat), 3) if lat else None,
        "throughput_per_s": round(len(lat) / burst_s, 2) if burst_s > 0 else None,
        "burst_s": round(burst_s, 2), "wall_s": round(wall, 2),
        "statuses": statuses, "error_samples": errors[:5],
    }
    out = tmp_path_factory.mktemp("load-report") / "load.json"
    out.write_text(json.dumps({**report, "latencies_s": [round(x, 4) for x in lat]}, indent=2))
    print(f"\nload: {CLIENTS} clients x {PER_CLIENT} questions, concurrency {report['concurrency']}, "
          f"max_queue {report['max_queue']}: p50 {report['p50_s']} s, p95 {report['p95_s']} s, "
          f"max {report['max_s']} s, {report['throughput_per_s']} answers/s, errors {len(errors)}, "
          f"statuses {statuses}\nload report: {out}")

    assert not errors, f"{len(errors)} of {CLIENTS * PER_CLIENT} requests failed, e.g. {errors[:3]}"
    assert len(done) == CLIENTS * PER_CLIENT
    assert statuses.get("answered") and len(statuses) >= 2, f"the mix should answer and decline: {statuses}"
    assert report["p95_s"] < P95_BOUND_S, f"p95 {report['p95_s']} s: a stall, not just a slow machine"


# ----- the queue's bound, with a slow stand-in (no model) ------------------------------------------
class _SlowAssistant:
    """Stands in for Assistant: each answer takes ``delay`` seconds."""

    def __init__(self, settings: Any, delay: float) -> None:
        self.settings, self.delay = settings, delay

    def ask(self, question: str, history: Any = None) -> Any:
        from assistant.types import Answer

        time.sleep(self.delay)
        return Answer(question, "ok", "abstained", [], [], {"ok": True, "checked": 0, "passed": 0}, {}, [])


def test_queue_beyond_max_size_is_refused_cleanly(tmp_path: Path) -> None:
    """More requests than concurrency + max_queue: the extra ones get 'queue full' at once; the rest answer."""
    from gradio_client import Client
    from gradio_client.utils import QueueError

    from assistant.app import build_app

    settings = make_settings(tmp_path, "fast", server={"concurrency": 1, "max_queue": 2})
    demo = build_app(_SlowAssistant(settings, delay=1.0))
    port = _free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True, share=False)
    try:
        url = f"http://127.0.0.1:{port}/"
        clients = [Client(url, verbose=False, analytics_enabled=False, download_files=False) for _ in range(6)]
        jobs = [c.submit("What is blinatumomab?", "[]", api_name="/ask") for c in clients]
        outcomes: list[str] = []
        for job in jobs:
            try:
                outcomes.append("answered" if job.result(timeout=30)["answer"] == "ok" else "wrong")
            except QueueError:
                outcomes.append("queue full")
        # 2 waiting fit (3 when the first is already running as the others arrive); the rest are refused at
        # once with Gradio's 503 "queue full" instead of piling up, and the server answers again afterwards
        assert outcomes.count("answered") in (2, 3) and outcomes.count("queue full") in (3, 4), outcomes
        assert "wrong" not in outcomes, outcomes
        assert clients[0].predict("What is blinatumomab?", "[]", api_name="/ask")["answer"] == "ok"
        threads = [threading.Thread(target=c.close) for c in clients]  # each close waits up to 1 s for its heartbeat
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=5)
    finally:
        demo.close()
