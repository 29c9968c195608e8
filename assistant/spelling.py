"""Typo tolerance against the corpus vocabulary, strict for drug names.

Pure functions.  "leukemai" may become "leukemia", but "obecabtagene" must not
become "brexucabtagene": near a drug name only a real typo (at most two edits,
and one for short names) is forgiven, because a swapped drug is the worst
mistake this assistant can make.  A word that looks like a drug name (an INN
stem such as -mab, -nib, -cel) and is not in the sources is reported as an
unknown drug, so the question abstains instead of answering about another one.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Collection, Iterable

CUTOFF = 0.84
# International nonproprietary name stems common in leukemia drugs, and those of the supportive care around them
# (WHO INN stems: antifungals -conazole, growth factors -grastim / -poetin, antivirals -vir, antibiotics -cillin,
# -floxacin, -penem, -cycline, antiemetics -setron, anticoagulants -parin / -xaban).
DRUG_STEM = re.compile(r"(mab|nib|leucel|cabtagene|rubicin|mycin|micin|platin|taxel|abine|parib|degib|lisib|"
                       r"ciclib|stine|aspar[a-z]*ase|olimus|clax|tide|mustine|fosfamide|phamide|trexate|xantrone|poside|purine|"
                       r"asone|isone|olone|azole|grastim|poetin|vir|cillin|floxacin|penem|cycline|setron|parin|xaban)$")


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Levenshtein distance, capped at ``limit`` (returns ``limit`` when it is at least that)."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) >= limit:
            return limit
        prev = cur
    return min(prev[-1], limit)


def is_drug_like(word: str) -> bool:
    return len(word) >= 6 and bool(DRUG_STEM.search(word.lower()))


@functools.cache
def english_words() -> frozenset[str]:
    """Whole English words of the packaged MiniLM tokenizer's vocabulary (about 22,000), or none without it.

    A word people commonly write ("normally", "getting", "there") is not a typo of a corpus word even when
    the five sources never use it: "we normally give" must not become "we orally give"."""
    try:
        from importlib.resources import files

        from .embedders import MINILM_PACKAGE

        text = (files(MINILM_PACKAGE) / "model" / "vocab.txt").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return frozenset()
    return frozenset(w for w in text.split() if w.isalpha() and len(w) > 1)


def max_typos(word: str) -> int:
    return 1 if len(word) < 8 else 2


def correct(word: str, vocab: Collection[str], drug_words: Collection[str]) -> str | None:
    """The corpus word ``word`` is a typo of, or None.  Drug names and drug-like words need a near-exact match."""
    if word in vocab:
        return word
    return _best(word, difflib.get_close_matches(word, vocab, n=3, cutoff=CUTOFF), drug_words)


def _best(word: str, matches: list[str], drug_words: Collection[str]) -> str | None:
    for match in matches:
        strict = match in drug_words or is_drug_like(word) or is_drug_like(match)
        if not strict or edit_distance(word, match) <= max_typos(word):
            return match
    return None


def unknown_drugs(words: Iterable[str], vocab: Collection[str], drug_words: Collection[str]) -> list[str]:
    """Words that look like drug names and match no drug of the sources, even allowing a typo."""
    return Speller(vocab, drug_words).unknown_drugs(words)


class Speller:
    """:func:`correct` against one vocabulary, fast: candidates bucketed by length, answers cached.

    difflib's ratio is 2*M/(len(a)+len(b)) with M <= the shorter length, so a ratio of at least 0.84 needs
    the shorter word to be at least 0.72 times the longer one: only those lengths are compared.
    """

    def __init__(self, vocab: Collection[str], drug_words: Collection[str]) -> None:
        self.vocab = frozenset(vocab)
        self.drug_words = frozenset(drug_words)
        self._by_len: dict[int, list[str]] = {}
        for w in sorted(self.vocab):
            self._by_len.setdefault(len(w), []).append(w)
        self._cache: dict[str, str | None] = {}

    def correct(self, word: str) -> str | None:
        if word in self.vocab:
            return word
        try:
            return self._cache[word]
        except KeyError:
            pass
        n = len(word)
        lo, hi = int(n * (CUTOFF / (2 - CUTOFF))), int(n * ((2 - CUTOFF) / CUTOFF)) + 1
        pool = [w for k in range(lo, hi + 1) for w in self._by_len.get(k, ())]
        found = _best(word, difflib.get_close_matches(word, pool, n=3, cutoff=CUTOFF), self.drug_words)
        # Answers run in several threads: return the local, never re-read the cache another thread may clear.
        if len(self._cache) > 50_000:
            self._cache.clear()
        self._cache[word] = found
        return found

    def unknown_drugs(self, words: Iterable[str]) -> list[str]:
        return [w for w in dict.fromkeys(words) if is_drug_like(w) and w not in self.drug_words
                and self.correct(w) is None]
