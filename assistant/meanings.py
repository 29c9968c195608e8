"""What a model's sentence means beside its cited text: qualifiers, negations, directions and degrees.

A model rewords, so its qualifiers are compared by what they mean, not by the word chosen
(:func:`check_paraphrase_qualifiers`): a hedge may come or go; a negation (in words, "neither ... nor", or inside
a word: "unlikely", "insufficiently"), a limit, "only", "all", "rarely", the direction of a comparison, an
adjective of degree and the order of two events may not be added, dropped or turned round.  Pure functions;
:mod:`assistant.paraphrase` holds the other rules for a model's sentence.
"""

from __future__ import annotations

import re

from . import thesaurus
from .retrieve import tokenize
from .rules import QUALIFIERS, RuleResult, best_window, normalise, qualifiers

# A sentence's clauses, each compared with the part of the passage it rests on.
CLAUSE_SPLIT = re.compile(r";\s+|,\s+(?:and|but|while|whereas)\s+|\s+but\s+|\s+whereas\s+", re.I)


# For a model's sentence the qualifiers are compared by what they mean, not by the word chosen: a hedge (may,
# usually, about ...) may come or go; a negation, a limit, "only", "all", "rarely" and the direction of a
# comparison may not.  "early"/"late" are left to the numbers rule ("second or later relapse" is no time).
MEANING = {"younger": "younger", "older": "older",
           "not": "negation", "no": "negation", "only": "only", "rarely": "rarely", "all": "all",
           "majority": "majority", "unknown": "unknown", "at least": "at least", "at most": "at most",
           "more than": "up", "more": "up", "higher": "up", "superior": "up", "increase": "up", "large": "up",
           "less than": "down", "less": "down", "inferior": "down", "decrease": "down", "small": "down",
           "minority": "down"}
JUST = re.compile(r"\bjust\b|\bcapped at\b", re.I)


# Before a figure, "less than" / "more than" also bound it, as "at most" / "at least" do: "within 18 months" says
# what "<18 months" says, "over 40 percent" what "at least 40 percent" says (and keep their direction, "down" /
# "up", which a comparison without a figure has alone: "less likely").
_FIGURE = r"(?=\d|one\b|two\b|three\b|four\b|five\b|six\b)"
_RUNS = r"(?!\d+(?:\.\d+)?\s*(?:h|hr|hrs|hours?|min|minutes?)\b)"  # "IV over 2 h": how long an infusion runs
_NOT_CAP = r"(?<!\bno )(?<!\bnot )"  # "no more than 40 mg" is a cap, "at most"
BOUND = {"at most": re.compile(_NOT_CAP + r"(?:\bless than|\bfewer than|\bshorter than|<|\bbelow|\bunder)\s*"
                               + _RUNS + _FIGURE, re.I),
         "at least": re.compile(_NOT_CAP + r"(?:\bmore than|\bgreater than|\blonger than|>|\babove|\bbeyond|"
                                r"\bover)\s*" + _RUNS + _FIGURE, re.I)}


def _meanings(text: str, morph: bool = True) -> frozenset[str]:
    text = re.sub(r"(?<=[a-z])-(?=or\b|and\b)|(?<=\bor)-(?=[a-z])|(?<=\band)-(?=[a-z])", " ", text)  # "second-or-later"
    out = {MEANING[k] for k in qualifiers(text) if k in MEANING} | {k for k, p in BOUND.items() if p.search(text)}
    if JUST.search(text):
        out.add("only" if "just" in text.lower() else "at most")
    if morph:  # each by its word: "unrelated" in the passage does not cover a "not" the sentence adds
        out |= {f"negation ({w})" for w in negated_words(text)}
    return frozenset(out)


# A negation can sit in a word: "unlikely", "non-responsive", "uncommon".  "un"/"non" + an English word.
UN_PREFIX = re.compile(r"\b(un|non)-?([a-z]{4,})\b", re.I)
# "in"/"im"/"dis"/"ir"/"il" + a word negate only where the plain word is the one compared ("effective" /
# "ineffective"): too many other words start so ("increase", "display").
IN_PREFIX = re.compile(r"\b(in|im|dis|ir|il)-?([a-z]{4,})\b", re.I)


# Adjectives of degree: a model may drop one or say it again ("low" -> "uncommon"), but not turn it round
# ("response rates are low" -> "high response rates").  Compared for a turn only, never as an addition.
DEGREE = {"up": re.compile(r"\b(?:high|long|long-lasting|durable|good|favou?rable|frequent|common)\b", re.I),
          "down": re.compile(r"\b(?:low|short|short-lived|brief|poor|unfavou?rable|infrequent|uncommon|rare)\b",
                             re.I),
          # and the order of two events ("testing before a patient starts treatment" is not "after")
          "later": re.compile(r"\bafter\b", re.I), "earlier": re.compile(r"\bbefore\b|\bprior to\b", re.I)}


def _degrees(text: str) -> set[str]:
    return {d for d, pattern in DEGREE.items() if pattern.search(text)}


def negated_words(text: str) -> set[str]:
    """The words of ``text`` that carry a negation prefix on an English word ("unlikely" -> "likely"); without
    the thesaurus to say what a word is, every such prefix counts (fail-closed)."""
    known = thesaurus.available()
    return {m.group(2).lower() for m in UN_PREFIX.finditer(text) if not known or thesaurus.is_word(m.group(2))}


_NEGATION = re.compile(f"{QUALIFIERS['not']}|{QUALIFIERS['no']}|\\brather than\\b|\\binstead of\\b", re.I)


# A negation a verb carries: "avoid contaminating" is "not contaminate", "failed two regimens" "has not responded
# to", "differ" "are not the same", "stops the marrow from making" "does not make".
LEXICAL_NEGATION = re.compile(r"\b(?:avoid(?:s|ed|ing)?|prevent(?:s|ed|ing)?|differ(?:s|ed|ent)?|fail(?:s|ed)?|"
                              r"(?:stop|keep)(?:s|ped|ing)?\s+(?:\w+\s+){0,3}?from)\b", re.I)


# A change the passage calls small ("little increase in toxicity", "a slight benefit") is another claim without
# its degree ("increases toxicity"): that degree may not be dropped.
SMALL_CHANGE = re.compile(r"\b(?:little|slight|small|minimal|modest)\s+(?:\w+\s+)?(?:increase|rise|improvement|"
                          r"benefit|gain|change|difference|decrease|reduction|effect|advantage)", re.I)
SMALL = re.compile(r"\b(?:little|slight(?:ly)?|small|minimal(?:ly)?|modest(?:ly)?|marginal(?:ly)?|barely|hardly)\b",
                   re.I)


def _same_polarity(sentence: str, part: str) -> bool:
    """One of the two says a negation in words and the other only by a verb that carries one, and both end up
    negative (or both positive): "taking care not to contaminate" for "care must be taken to avoid contaminating"."""
    na, nb = _negations(sentence), _negations(part)
    if (na == 0) == (nb == 0):
        return False
    la, lb = len(LEXICAL_NEGATION.findall(sentence)), len(LEXICAL_NEGATION.findall(part))
    return bool(la if na == 0 else lb) and (na + la) % 2 == (nb + lb) % 2


def _negations(text: str) -> int:
    """How many negations ``text`` says in words ("neither ... nor" is one)."""
    return sum(1 for m in _NEGATION.finditer(text) if m.group(0).lower() != "nor")


_UP_WORDS = re.compile(r"\b(?:more than|greater than|higher|superior|increase|improve|gain|rais|rise|ris|rose|"
                       r"large|big|major|substantial|better|exceed|above|beyond)", re.I)
_ADDITIONAL = re.compile(r"\b(?:additional|further|another|more|extra)\b", re.I)


def _more_is_additional(sentence: str, cited: str) -> bool:
    """The sentence's only upward word is "more" used as "additional" ("more chemo", "three more cycles": no
    "than" after it in its clause) and the passage says additional, further or another."""
    if _UP_WORDS.search(sentence) or not _ADDITIONAL.search(cited):
        return False
    mores = list(re.finditer(r"\bmore\b", sentence, re.I))
    return bool(mores) and all(not re.match(r"(?:\s+[\w-]+){0,4}?\s+than\b", sentence[m.end():], re.I)
                                for m in mores)


def _clauses(sentence: str) -> list[str]:
    """The sentence's clauses (``CLAUSE_SPLIT``), each compared with the part of the passage it rests on."""
    return [c for c in CLAUSE_SPLIT.split(sentence) if c.strip()] or [sentence]


def _flipped(sentence: str, cited: str) -> bool:
    """One of the two has "in"/"im"/"dis" + a word where the other has the plain word and not the prefixed one
    ("ineffective" for "effective", "effective" for "ineffective")."""
    def flips(a: str, b: str) -> bool:
        b_words = set(tokenize(b))
        return any(m.group(2).lower() in b_words and m.group(0).lower() not in b_words
                   for m in IN_PREFIX.finditer(a))
    return flips(sentence, cited) or flips(cited, sentence) or _plain_for_negated(sentence, cited)


QUALITY = re.compile(r"(?:ly|ive|ent|ant|able|ible|ful|ous)$")  # the endings of adjectives and adverbs


def _plain_for_negated(sentence: str, cited: str) -> bool:
    """The passage negates a word by its prefix ("insufficiently active") and the sentence, with no negation,
    says the plain word or a synonym of it ("active enough")."""
    if _negations(sentence) or negated_words(sentence):
        return False
    words = [t for t in tokenize(sentence) if len(t) >= 4]
    for m in (*IN_PREFIX.finditer(cited), *UN_PREFIX.finditer(cited)):
        base = m.group(2).lower()
        if m.group(0).lower() in words or not thesaurus.is_word(base):
            continue
        if m.group(1).lower() != "un" and m.group(1).lower() != "non" and not QUALITY.search(base):
            continue  # "disease", "infusion", "intense": "in"/"dis" negate only an adjective or adverb
        if base in words or any(thesaurus.related(w, base) for w in words):
            return True
    return False


# A model may leave out a direction or a universal ("more favorable outcomes (median OS >20 months)" -> "median
# OS was over 20 months"): that says less, not something else.  It may not leave out these, whose loss changes
# what is claimed ("did not respond" -> "responded", "only curative therapy", "most patients", "rarely curable").
KEEP = frozenset({"negation", "only", "rarely", "unknown", "at least", "at most", "majority"})
OPPOSITE = {"up": "down", "down": "up", "younger": "older", "older": "younger", "later": "earlier",
            "earlier": "later"}


def _turned(clause: str, cited: str) -> set[str]:
    """The directions ``clause`` turns round against the part of ``cited`` it rests on."""
    mine, theirs = _meanings(clause), _meanings(best_window(clause, cited))
    return {m for m in mine if OPPOSITE.get(m) in theirs and m not in theirs}


def check_paraphrase_qualifiers(sentence: str, cited: str) -> RuleResult:
    """The qualifier rule for a model's sentence, by meaning against the passage's best matching part: no
    meaning the cited text lacks is added; none of ``KEEP`` is dropped; and no direction is turned round (the
    opposite of the part's direction where the part does not also have it)."""
    s, c = normalise(sentence), normalise(cited)
    window = best_window(s, c)
    mine, theirs = _meanings(s), _meanings(window)
    turned = {m for m in mine if OPPOSITE.get(m) in theirs and m not in theirs}
    if len(_clauses(s)) > 1:  # a sentence of clauses resting on different parts: each against its own part
        turned &= set().union(*(_turned(clause, c) for clause in _clauses(s)))
    added = set(mine - _meanings(c))
    if "up" in added and _more_is_additional(s, c):
        added.discard("up")  # "more chemo" for "additional chemotherapy": a quantity, not a comparison
    if "negation" in mine and any("negation" in _meanings(clause) and "negation" not in
                                  _meanings(best_window(clause, c)) for clause in _clauses(s)):
        added.add("negation")  # a negation elsewhere in the passage does not negate this part
    if _flipped(s, window) or _negations(s) > _negations(c):
        added.add("negation")  # ... or one more negation than the passage has ("not candidates ... no benefit")
    if "negation" in added and _same_polarity(s, window):
        added.discard("negation")
    mine_d, theirs_d = _degrees(s), _degrees(c)
    turned |= {m for m in mine_d if OPPOSITE[m] in theirs_d and m not in theirs_d}
    # Dropped: only a negation the part says in words; "uncommon" may become "rare".
    dropped = (_meanings(window, morph=False) - mine) & KEEP
    if "negation" in dropped and _same_polarity(s, window):
        dropped -= {"negation"}
    if SMALL_CHANGE.search(window) and not SMALL.search(s):
        dropped |= {"small"}
    parts = ([f"adds '{', '.join(sorted(added))}'"] if added else []) + \
            ([f"drops '{', '.join(sorted(dropped))}'"] if dropped else []) + \
            ([f"turns round '{', '.join(sorted(OPPOSITE[m] for m in turned))}'"] if turned else [])
    if parts:
        return RuleResult("qualifiers", False, "; ".join(parts) + " compared with the source")
    return RuleResult("qualifiers", True)
