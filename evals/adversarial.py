"""The adversarial set (``questions/adversarial.jsonl``): model-style sentences against real passages.

Half are faithful paraphrases, the rest one kind of fabrication each (a changed number or unit, a swapped drug,
a flipped negation, the wrong population, an added claim, a citation to the wrong passage).  ``measure`` runs
each through the rules as a sentence a language model wrote (``paraphrase=True``) and counts, per label, how
many were kept.  Written by a helper from the corpus alone; nothing was tuned on it.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from assistant.rules import CitedText, check_statement
from assistant.types import Statement

SET = Path(__file__).resolve().parent / "questions" / "adversarial.jsonl"


def load(path: Path = SET) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def context(store: Any, doc_id: str, quote: str) -> str:
    """What the pipeline gives a passage as context: its section and whom its document is about."""
    doc = store.docs[doc_id]
    start = doc.raw.find(quote)
    section = next((u.section for u in store.units.values() if u.doc_id == doc_id and u.start <= start < u.end), "")
    about = f"This source is written about {doc.audience_age}." if doc.audience_age in ("children", "adults") else ""
    return f"{section.replace(' > ', '. ')}. {about}"


def measure(store: Any, support: float, items: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Per label: items and kept; plus faithful_kept and fabrications_caught shares and the misses' ids."""
    total, kept, misses = Counter(), Counter(), []
    for it in items if items is not None else load():
        cited = {1: CitedText(1, it["quote"], it["doc"], store.docs[it["doc"]].audience_age,
                              context(store, it["doc"], it["quote"]))}
        ok = check_statement(Statement(it["sentence"], [1]), cited, support, paraphrase=True).ok
        total[it["label"]] += 1
        kept[it["label"]] += ok
        if ok != (it["label"] == "faithful"):
            misses.append(it["id"])
    fab = [k for k in total if k != "faithful"]
    return {"labels": {k: {"items": total[k], "kept": kept[k]} for k in sorted(total)},
            "faithful_kept": round(kept["faithful"] / max(1, total["faithful"]), 3),
            "fabrications_caught": round(1 - sum(kept[k] for k in fab) / max(1, sum(total[k] for k in fab)), 3),
            "misses": misses}
