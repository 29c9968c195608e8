"""The whole pipeline on a scaled store (20,000 varied chunks, real model, persisted Chroma, BM25).

Sized to fit CI; `assistant bench --scale 100000` measures the full size (figures in the closing note).
"""

from __future__ import annotations

import json
import statistics
from typing import Any

import pytest

pytestmark = pytest.mark.integration

N_CHUNKS = 20_000


@pytest.fixture(scope="module")
def scaled(real_assistant: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from assistant.pipeline import Assistant
    from evals.bench import scaled_store

    store, build = scaled_store(real_assistant, N_CHUNKS, str(tmp_path_factory.mktemp("scaled")))
    big = Assistant(real_assistant.settings, embedder=real_assistant.embedder)
    big.pin_store(store)
    return big, build


def test_scaled_store_answers_with_exact_citations_under_300_ms(scaled: Any) -> None:
    from evals.harness import load_set

    big, build = scaled
    assert len(big.store.chunks) == N_CHUNKS
    items = [i for i in load_set("dev") if i["expect"] != "abstain" and not i.get("history")][:24]
    big.ask(items[0]["question"])  # warm
    totals, statuses = [], []
    for item in items:
        ans = big.ask(item["question"])
        statuses.append(ans.status)
        totals.append(ans.timings_ms["total"] if "total" in ans.timings_ms else 0.0)
        for c in ans.citations:
            assert c.chunk_id.startswith("s") and c.chunk_id in big.store.chunks
            assert big.store.docs[c.doc_id].raw[c.start:c.end] == c.quote
    answered = statuses.count("answered")
    totals.sort()
    p95 = totals[int(0.95 * (len(totals) - 1))]
    print(json.dumps({"chunks": N_CHUNKS, **build, "answered": answered, "of": len(items),
                      "p50_ms": round(statistics.median(totals), 1), "p95_ms": round(p95, 1)}))
    assert answered >= 0.8 * len(items)
    assert p95 < 300, f"p95 {p95:.0f} ms at {N_CHUNKS} chunks"
