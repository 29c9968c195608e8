"""The question's words against the corpus's: typos mended, words the sources never use, drugs they never name.

Built once per index build from its sentences (:meth:`Terms.of`); pure afterwards.

    Terms.of(store).spellfix("whats the dose of blinatumomb")  -> "whats the dose of blinatumomab"
    Terms.of(store).uncovered("does it affect fertility")      -> ["fertility"]
    Terms.of(store).unknown_drugs("is obecabtagene an option")  -> ["obecabtagene"]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .features import GENERIC
from .grammar import function_words
from .lexicon import load_lexicon
from .retrieve import STOPWORDS, Store, tokenize
from .spelling import Speller, english_words
from .vocabulary import Vocabulary, load_vocabulary, mine_abbreviations


@dataclass(frozen=True, eq=False)
class Terms:
    vocab: frozenset[str]  # every token of the sources' sentences and section titles
    speller: Speller
    lex_words: frozenset[str]  # every token of a lexicon name or of a name in the vocabulary bridge
    mined: tuple[tuple[str, str], ...] = ()  # abbreviation pairs the documents define themselves
    rare_words: frozenset[str] = frozenset()  # words in the rarest three quarters of the sources' (by idf)

    @classmethod
    def of(cls, store: Store | None, idf: dict[str, float] | None = None) -> Terms:
        lexicon = load_lexicon()
        # a word people use for a term the sources hold ("break" of "treatment break") is no gap in them
        bridged = load_vocabulary().lexicon
        lex_words = frozenset(t for lex in (lexicon, bridged) for g in lex.groups for n in g.names for t in tokenize(n))
        if store is None:
            return cls(frozenset(), Speller((), ()), lex_words)
        vocab = frozenset(t for u in store.units.values() for t in tokenize(f"{u.section} {u.text}"))
        drug_words = frozenset(t for g in lexicon.groups if g.kind == "drug" for n in g.names for t in tokenize(n)
                               if len(t) > 3)
        mined = tuple(pair for d in store.docs.values() for pair in mine_abbreviations(d.raw))
        common = sorted(idf.values())[len(idf) // 4] if idf else 0.0  # the commonest quarter's last idf
        rare = frozenset(t for t, w in (idf or {}).items() if w >= common)
        return cls(vocab, Speller(vocab, drug_words), lex_words, mined, rare)

    def rare(self, token: str) -> bool:
        """Whether ``token`` is a word of the sources outside their commonest quarter (what a follow-up carries)."""
        return token in self.rare_words

    def bridge(self) -> Vocabulary:
        return load_vocabulary(self.mined)

    def spellfix(self, text: str) -> str:
        """Replace words missing from the corpus by a close corpus word ("leukemai" -> "leukemia"); a common
        English word is left as it is ("normally" is not "orally")."""
        out = []
        english = english_words()
        for word in text.split():
            core = word.strip(".,;:?!()\"'").lower()
            if len(core) >= 5 and core.isalpha() and core not in self.vocab and core not in english:
                match = self.speller.correct(core)
                if match:
                    word = word.lower().replace(core, match)
            out.append(word)
        return " ".join(out)

    def uncovered(self, question: str) -> list[str]:
        """Content words of the question that appear nowhere in the sources (typos forgiven)."""
        filler = function_words(question)  # "actually", "maybe", "once": no content, so no gap in the sources
        out = []
        for tok in (p for t in tokenize(question) for p in t.split("/") if p):
            if len(tok) < 4 or tok in GENERIC or tok in self.vocab or tok in self.lex_words or tok.isdigit() \
                    or tok in filler:
                continue
            base = tok[:-1] if tok.endswith("s") else ""
            # a plural, or a possessive or contraction typed without its apostrophe ("sons", "whats")
            if base and (base in self.vocab or base in GENERIC or base in self.lex_words
                         or base in function_words(base)):
                continue
            if _contraction(tok):
                continue
            if self.speller.correct(tok) is None:
                out.append(tok)
        return out

    def unknown(self, question: str) -> list[str]:
        """:meth:`uncovered` less what the vocabulary bridge knows ("spinal tap"), a hyphenated word whose
        parts are known included."""
        known = self.bridge().known_tokens(question)
        return [t for t in self.uncovered(question) if t not in known
                and not ("-" in t and all(p in self.vocab or p in known for p in t.split("-") if p))]

    def unknown_drugs(self, question: str) -> list[str]:
        """Drug-like words of the question that name no drug in the sources (see ``spelling``)."""
        # "tecartus/brexu-cel" is two names
        return self.speller.unknown_drugs([p for t in tokenize(question) for p in t.split("/") if p])


# The endings a contraction leaves when typed without its apostrophe ("theyre", "youve", "didnt", "itll")
_CONTRACTED = re.compile(r"^(.+?)(nt|re|ve|ll|d|m)$")
_NOT_STEMS = frozenset({"ca", "wo", "sha"})  # "can't", "won't", "shan't"
_AUX = frozenset("is are was were has have had does did do could would should might must need".split())


def _contraction(token: str) -> bool:
    """A stop word with a contraction's ending and no apostrophe: "theyre", "youve", "didnt", "wouldnt"."""
    m = _CONTRACTED.match(token)
    if m is None:
        return False
    stem, end = m.group(1), m.group(2)
    return stem in STOPWORDS or stem in _AUX or (end == "nt" and stem in _NOT_STEMS)
