"""The vocabulary bridge: the words people type for the clinical terms the sources use.

``data/vocabulary.toml`` lists, for each clinical term of the corpus (drug, procedure, test, side effect,
population, outcome ...), the spellings the documents use (``corpus``) and what users type instead
(``variants``: lay words, shorthand, abbreviations, misspellings).  It was written term by term from the five
documents, not from failing questions.  The abbreviation-definition pairs the documents define themselves
("cytokine release syndrome (CRS)") are mined from the indexed text (:func:`mine_abbreviations`, the
Schwartz-Hearst algorithm) and join it.

One bridge serves retrieval (the question gains the corpus spellings of what it names), sentence ranking (the
same bridged question is scored) and the answerability decision (a bridged word is not "unknown").
Pure functions over the data; the lexicon matcher does the matching.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files

from .lexicon import Group, Lexicon, _pattern
from .retrieve import tokenize


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """Terms as lexicon groups: ``names`` = corpus spellings then variants; ``corpus`` = how many are spellings."""

    lexicon: Lexicon
    corpus_names: frozenset[str]  # lower-cased spellings the documents use
    # each spelling (lower-cased) of a term marked ``general`` ("side effects") -> the corpus spellings of every
    # other term of its kind, built once with the bridge
    kind_terms: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def members(self, name: str) -> tuple[str, ...]:
        """For a general term ("side effects", in any of its spellings), the corpus spellings of every other
        term of its kind ("cytokine release syndrome", "neurotoxicity" ...): a sentence naming one of them is
        about what the general word asks for.  Empty for any other term."""
        return self.kind_terms.get(name.lower(), ())

    def names_member(self, name: str, text: str) -> bool:
        """``text`` names a term of the kind the general term ``name`` stands for ("side effects": cytokine
        release syndrome, neurotoxicity ...); False for any other term."""
        pattern = _members_pattern(self, name.lower())
        return bool(pattern and pattern.search(text))

    def found(self, text: str) -> list[tuple[Group, str]]:
        """Terms named in ``text`` through a variant (not a spelling the documents already use)."""
        return [(g, name) for g, name in self.lexicon.find(text) if name.lower() not in self.corpus_names]

    def spellings(self, text: str) -> list[str]:
        """The corpus spellings of every term ``text`` names through a variant, first spelling first."""
        out: list[str] = []
        for group, _ in self.found(text):
            for name in group.names[:2]:
                if name.lower() in self.corpus_names and name not in out:
                    out.append(name)
        return out

    def bridge(self, text: str) -> str:
        """``text`` with the corpus spellings of the terms it names in lay words or shorthand appended."""
        extra = [s for s in self.spellings(text) if s.lower() not in text.lower()]
        return f"{text} ({'; '.join(extra)})" if extra else text

    def replace(self, text: str) -> str:
        """``text`` with each variant replaced by the term's first corpus spelling ("spinal tap" -> "lumbar
        puncture"): what retrieval, ranking and the decision read."""
        for group, name in self.found(text):
            spelling = next((n for n in group.names if n.lower() in self.corpus_names), "")
            if spelling:
                text = _pattern(name).sub(_literal(spelling), text)
        return text

    def expansions(self, text: str) -> list[str]:
        """The other forms of the abbreviations ``text`` names, as the documents define them ("CRS" ->
        "cytokine release syndrome"): added to the retrieval query."""
        out: list[str] = []
        for group, name in self.lexicon.find(text):
            if group.kind == "abbr":
                out += [n for n in group.names if n.lower() != name.lower() and n.lower() not in text.lower()]
        return list(dict.fromkeys(out))

    def known_tokens(self, text: str) -> set[str]:
        """Tokens of ``text`` that belong to a variant the bridge knows (they are not "unknown" words)."""
        return {t for _, name in self.found(text) for t in tokenize(name)}


def mine_abbreviations(text: str) -> list[tuple[str, str]]:
    """(long form, short form) pairs a text defines as "long form (SF)" (Schwartz & Hearst, 2003).

    The short form is 2-10 characters in parentheses with a letter, starting with a letter or digit, at most
    two words; the long form is the shortest run of the preceding ``min(|SF| + 5, 2|SF|)`` words in which
    the short form's characters occur in order, its first character starting a word.
    """
    out: list[tuple[str, str]] = []
    for m in re.finditer(r"\(([^()]{2,10})\)", text):
        sf = m.group(1).strip()
        if not (sf[:1].isalnum() and re.search(r"[A-Za-z]", sf) and len(sf.split()) <= 2):
            continue
        before = re.split(r"[.;:()\[\]]", text[max(0, m.start() - 200): m.start()])[-1]
        words = before.split()
        if not words:
            continue
        window = words[-min(len(sf) + 5, 2 * len(sf)):]
        lf = _best_long_form(sf, " ".join(window))
        if lf and len(lf) > len(sf) and sf.lower() not in lf.lower().split():
            out.append((lf, sf))
    return list(dict.fromkeys(out))


def _best_long_form(sf: str, candidate: str) -> str:
    """The Schwartz-Hearst match: scan both strings right to left, the short form's first character at a word
    start of the long form."""
    s, lf = sf.lower(), candidate.lower()
    si, li = len(s) - 1, len(lf) - 1
    while si >= 0:
        ch = s[si]
        if not ch.isalnum():
            si -= 1
            continue
        while li >= 0 and (lf[li] != ch or (si == 0 and li > 0 and lf[li - 1].isalnum())):
            li -= 1
        if li < 0:
            return ""
        si -= 1
        li -= 1
    start = lf.rfind(" ", 0, li + 1) + 1
    return candidate[start:].strip()


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    """A replacement for ``re.sub`` that inserts ``text`` as it is (no backslash or group escapes)."""
    return lambda _m: text


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else []


def build_vocabulary(terms: Iterable[dict[str, object]], mined: Iterable[tuple[str, str]] = ()) -> Vocabulary:
    groups: list[Group] = []
    corpus: set[str] = set()
    general: list[Group] = []
    for t in terms:
        names = [str(n) for n in _strings(t.get("corpus"))]
        corpus.update(n.lower() for n in names)
        names += [str(v) for v in _strings(t.get("variants")) if str(v) not in names]
        if names:
            groups.append(Group(str(t.get("kind", "other")), tuple(names)))
            if t.get("general"):
                general.append(groups[-1])
    for long_form, short in mined:
        corpus.update((long_form.lower(), short.lower()))
        groups.append(Group("abbr", (long_form, short)))
    kind_terms: dict[str, tuple[str, ...]] = {}
    for g in general:
        others = tuple(n for o in groups if o.kind == g.kind and o is not g for n in o.names if n.lower() in corpus)
        kind_terms.update((n.lower(), others) for n in g.names)
    return Vocabulary(Lexicon(tuple(groups)), frozenset(corpus), kind_terms)


@lru_cache(maxsize=1)
def load_terms() -> tuple[dict[str, object], ...]:
    data = tomllib.loads(files("assistant").joinpath("data/vocabulary.toml").read_text(encoding="utf-8"))
    return tuple(data.get("term", []))


@lru_cache(maxsize=16)
def load_vocabulary(mined: tuple[tuple[str, str], ...] = ()) -> Vocabulary:
    """The packaged bridge plus the abbreviation pairs mined from an index build's documents."""
    return build_vocabulary(load_terms(), mined)


@lru_cache(maxsize=256)
def _members_pattern(vocab: Vocabulary, name: str) -> re.Pattern[str] | None:
    """One pattern for the corpus spellings of the terms a general term stands for (longest first)."""
    members = vocab.members(name)
    if not members:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(m) for m in sorted(members, key=len, reverse=True)) + r")\b", re.I)

