"""Coverage of the vocabulary bridge on ``questions/vocabulary.jsonl`` (lay phrase -> corpus term).

A phrase is covered when the bridge, applied to the item's context sentence (after the assistant's own
spelling fix where given), yields text that contains the corpus term (case-insensitive), or when the phrase
is itself a spelling the documents use, or when it names the bridge term whose spellings include the corpus term.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .harness import HERE


def coverage(spellfix: Callable[[str], str] | None = None, mined: tuple[tuple[str, str], ...] = ()
             ) -> dict[str, Any]:
    from assistant.vocabulary import load_vocabulary

    vocab = load_vocabulary(mined)
    items = [json.loads(line) for line in (HERE / "questions" / "vocabulary.jsonl").open(encoding="utf-8")]
    missed = []
    for it in items:
        text = spellfix(it["context"]) if spellfix else it["context"]
        bridged = vocab.replace(text) + " " + " ".join(vocab.expansions(text))
        term = it["corpus_term"].lower()
        same_term = any(term in (n.lower() for n in g.names) for g, _ in vocab.lexicon.find(text))
        if term not in bridged.lower() and not same_term and not it.get("in_corpus"):
            missed.append({"id": it["id"], "phrase": it["phrase"], "corpus_term": it["corpus_term"]})
    return {"n": len(items), "covered": round(1 - len(missed) / len(items), 4), "missed": missed}
