"""``assistant bench``: cold start, warm per-stage latency, rules cost, index build vs raw embedding, scaled corpus.

Writes ``bench.json`` and ``bench.md`` (with the machine's description) to the output folder.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def pct(vals: list[float]) -> dict[str, float]:
    vals = sorted(vals)
    return {"p50": round(statistics.median(vals), 2), "p95": round(vals[int(0.95 * (len(vals) - 1))], 2),
            "n": len(vals)}


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"


def cold_start() -> float:
    code = ("import time; t=time.perf_counter(); from assistant import Assistant; "
            "Assistant.from_settings().ask('What is blinatumomab?'); print(time.perf_counter()-t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return round(float(out.stdout.strip().splitlines()[-1]) * 1000, 1)


def warm(a: Any, questions: list[str]) -> dict[str, Any]:
    from assistant.rules import CitedText, parse_answer, verify

    a.warm_up()
    stages: dict[str, list[float]] = {}
    rules_ms: list[float] = []
    for q in questions:
        ans = a.ask(q).to_dict()
        for k, v in ans["timings_ms"].items():
            stages.setdefault(k, []).append(v)
        if ans["citations"]:
            cited = {c["n"]: CitedText(c["n"], c["quote"]) for c in ans["citations"]}
            st = parse_answer(ans["answer"])
            t0 = time.perf_counter()
            verify(st, cited)
            rules_ms.append((time.perf_counter() - t0) * 1000)
    return {"stages": {k: pct(v) for k, v in stages.items()}, "rules_only": pct(rules_ms)}


def build_vs_floor(a: Any) -> dict[str, float]:
    from assistant.config import Settings
    from assistant.index import build_index, split_corpus, unit_embed_text
    from assistant.pipeline import Assistant

    with tempfile.TemporaryDirectory() as tmp:
        s = Settings.load(None, index={"dir": Path(tmp)})
        b = Assistant(s, a.embedder)
        t0 = time.perf_counter()
        r = build_index(s, b.embedder, progress=False)
        build = time.perf_counter() - t0
        docs, chunks, units = split_corpus(s)
        titles = {d.id: d.title for d in docs}
        texts = [c.embed_text(titles[c.doc_id]) for c in chunks] + [unit_embed_text(u) for u in units]
        t0 = time.perf_counter()
        for i in range(0, len(texts), 64):
            a.embedder.embed(texts[i:i + 64])
        floor = time.perf_counter() - t0
    return {"build_s": round(build, 2), "embed_floor_s": round(floor, 2), "texts": len(texts), "chunks": r.chunks}


def scaled_store(a: Any, n: int, path: str) -> tuple[Any, dict[str, float]]:
    """A store of ``n`` chunks sampled from the real ones and varied (a text suffix, jittered vectors).

    Every variant keeps its original sentences, spans and document, so the whole pipeline (retrieval,
    composing, rules, citations) runs on it unchanged; only the chunk count grows.  Built in a fresh
    persisted Chroma at ``path`` plus BM25; returns the store and the build times.
    """
    from dataclasses import replace

    import chromadb
    from chromadb.config import Settings as CS

    from assistant.retrieve import Store

    rng = np.random.default_rng(7)
    store = a.store
    base = list(store.chunks.values())
    got = store.collection.get(ids=[c.id for c in base], include=["embeddings"])
    vecs = {i: np.asarray(e, dtype=np.float32) for i, e in zip(got["ids"], got["embeddings"], strict=True)}
    client = chromadb.PersistentClient(path=path, settings=CS(anonymized_telemetry=False))
    col = client.create_collection("scaled", embedding_function=None, metadata={"hnsw:space": "cosine"})
    chunks = {}
    t0 = time.perf_counter()
    for start in range(0, n, 5000):
        ids, emb, docs = [], [], []
        for j in range(start, min(n, start + 5000)):
            c = base[j % len(base)]
            v = vecs[c.id] + rng.normal(0, 0.02, size=vecs[c.id].shape).astype(np.float32)
            chunk = replace(c, id=f"s{j}", text=f"{c.text} [variant {j}]")
            chunks[chunk.id] = chunk
            ids.append(chunk.id)
            emb.append(v / np.linalg.norm(v))
            docs.append(chunk.text)
        col.add(ids=ids, embeddings=np.asarray(emb), documents=docs)
    index_s = time.perf_counter() - t0
    big = Store(store.settings, store.docs, chunks, store.units, store.unit_vectors, store.unit_rows, col,
                f"scaled-{n}")
    big.chunk_order = sorted(chunks, key=lambda c: (chunks[c].doc_id, chunks[c].position, c))
    t0 = time.perf_counter()
    big.bm25_index()
    return big, {"index_s": round(index_s, 2), "bm25_build_s": round(time.perf_counter() - t0, 2)}


def scaled(a: Any, n: int, questions: list[str]) -> dict[str, Any]:
    """Whole answers (embed, dense, BM25, compose, rules) on a store of ``n`` chunks; latency and memory."""
    import resource

    from assistant.pipeline import Assistant

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as tmp:
        big, build = scaled_store(a, n, tmp)
        b = Assistant(a.settings, embedder=a.embedder)
        t0 = time.perf_counter()
        b.pin_store(big)
        setup_s = time.perf_counter() - t0
        b.ask(questions[0])
        stages: dict[str, list[float]] = {}
        statuses: dict[str, int] = {}
        for q in questions:
            ans = b.ask(q)
            statuses[ans.status] = statuses.get(ans.status, 0) + 1
            for k, v in ans.timings_ms.items():
                stages.setdefault(k, []).append(v)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"chunks": n, **build, "setup_s": round(setup_s, 2), "stages": {k: pct(v) for k, v in stages.items()},
            "query_ms": pct(stages["total"]), "statuses": statuses, "max_rss_mb": round(rss, 1),
            "rss_growth_mb": round(rss - rss0, 1)}


def main(args: argparse.Namespace) -> int:
    from assistant.pipeline import Assistant
    from evals.harness import load_set

    a = Assistant.from_settings()
    a.build_index(progress=False)
    qs = [i["question"] for i in load_set("dev") if i["expect"] != "abstain"][: args.questions]
    res: dict[str, Any] = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M")}
    res["cold_start_ms"] = cold_start()
    res["warm"] = warm(a, qs)
    res["index"] = build_vs_floor(a)
    if args.scale:
        res["scaled"] = scaled(a, args.scale, qs)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(res, indent=2))
    md = [f"# Benchmark ({res['date']})", "", f"Machine: {res['machine']}", "",
          f"Cold start to first answer: {res['cold_start_ms']} ms", "", "| stage | p50 ms | p95 ms |", "|---|---|---|"]
    md += [f"| {k} | {v['p50']} | {v['p95']} |" for k, v in res["warm"]["stages"].items()]
    r = res["warm"]["rules_only"]
    md += [f"| rules only (re-run) | {r['p50']} | {r['p95']} |", "",
           f"Index build {res['index']['build_s']} s vs raw embedding of the same {res['index']['texts']} texts "
           f"{res['index']['embed_floor_s']} s."]
    if "scaled" in res:
        sc = res["scaled"]
        md += ["", f"Scaled corpus: {sc['chunks']} chunks; Chroma insert {sc['index_s']} s; BM25 build "
               f"{sc['bm25_build_s']} s; idf and vocabulary {sc['setup_s']} s; whole answer p50 "
               f"{sc['query_ms']['p50']} ms, p95 {sc['query_ms']['p95']} ms over {sc['query_ms']['n']} questions "
               f"({sc['statuses']}); max RSS {sc['max_rss_mb']} MB (+{sc['rss_growth_mb']} MB).", "",
               "| stage (scaled) | p50 ms | p95 ms |", "|---|---|---|"]
        md += [f"| {k} | {v['p50']} | {v['p95']} |" for k, v in sc["stages"].items()]
    (out / "bench.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0
