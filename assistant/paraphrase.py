"""The rules for a sentence a language model wrote: meaning, not wording, where wording may change.

A model paraphrases, so its support is measured with glue words forgiven, word forms matched and lay words
bridged (:func:`paraphrase_coverage`), and a clause of new words is an added claim (:func:`weak_clause`);
its qualifiers are compared by what they mean (:mod:`assistant.meanings`); and each clause must
name its drugs, ages, lineage, Ph status and relapse order as the part of the passage it rests on does
(:func:`check_binding`).  Numbers, units, drugs and populations stay as strict as for a quote
(:mod:`assistant.rules`).  Pure functions.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from functools import lru_cache

from . import thesaurus
from .concepts import terms_of
from .grammar import lemmas
from .lexicon import load_lexicon, named
from .meanings import CLAUSE_SPLIT, check_paraphrase_qualifiers
from .retrieve import light_stem, tokenize
from .rules import (
    _QUAL,
    GROUP_WORDS,
    RuleResult,
    _words_and_stems,
    check_drugs,
    check_numbers,
    check_population,
    normalise,
)

# Words a faithful paraphrase adds without adding a claim ("Children get 52 mg/m2 a day" from "the dosage is
# 52 mg/m2/day"): verbs of giving and using, pronouns, connectives.  Numbers, units, drugs, negations,
# qualifiers and populations are checked strictly by their own rules whatever this list says.
PARAPHRASE_GLUE = frozenset("""get gets getting got given give gives giving receive receives received receiving
use used uses using treat treated treats treating people patient patients person someone can may also like
called known means mean meaning which who whom whose this that these those they them their there its it per each
about both source sources passage passages say says said state states stated report reports reported according
show shows showed shown found find finds was were is are be been being has have had do does did done an the a
of to in on at by for with as from or and but than then so such some any other another one ones""".split())

# Connectives: they join claims and add none of their own ("..., while those 45 kg or heavier get ..."); the claims
# they join are checked.  Unlike the glue above they stay in the passage's words that a thesaurus word may match
# ("because" / "since").
CONNECTIVES = frozenset("while whereas although though even since particularly especially".split())


# Units and number words: the numbers rule checks them, with their values, against the quote itself.
UNIT_WORDS = frozenset("""mg mcg µg kg g gm m2 mg/m2 mcg/m2 mg/kg cgy gy day days daily d h hr hrs hour hours minute
minutes min week weeks wk wks weekly month months mo year years yr yrs y percent per cent one two three four five six
seven eight nine ten eleven twelve twenty thirty forty fifty half third quarter""".split())


# Contractions leave these fragments ("didn't" -> "didn"): the negation they carry is the qualifier rule's.
CONTRACTED = frozenset("didn doesn don isn aren wasn weren haven hasn hadn won wouldn shouldn couldn cannot".split())
COMPARE = frozenset("vs versus compared".split())  # a comparison the numbers and qualifiers rules check


def same_word(word: str, have: Iterable[str]) -> bool:
    """A word of the text that is ``word`` in another form: a shared start of at least six letters covering
    at least 70 % of the shorter word ("transplanted" / "transplantation", "responding" / "response")."""
    if len(word) < 6:
        return False
    for other in have:
        if len(other) >= 6 and other[:6] == word[:6]:
            n = len(os.path.commonprefix([word, other]))
            if n >= 0.7 * min(len(word), len(other)):
                return True
    return False


def paraphrase_coverage(sentence: str, cited: str, synonyms: bool = True) -> tuple[float, list[str]]:
    """Like :func:`support_coverage`, forgiving glue words, word forms and lay words the vocabulary maps onto
    the text.  A hyphenated word counts by its parts ("three-year" is "three" and "year")."""
    from .vocabulary import load_vocabulary

    have, stems = _words_and_stems(normalise(cited))
    bridged = set()
    for group, name in load_vocabulary().lexicon.find(sentence):
        if any(all(t in have or light_stem(t) in stems for t in tokenize(n)) for n in group.names if tokenize(n)):
            bridged.update(tokenize(name))
    qualifying = _qualifier_words(normalise(sentence))
    words = [t for t in tokenize(normalise(sentence)) if len(t) > 1 and "-" not in t and t not in PARAPHRASE_GLUE
             and t not in CONNECTIVES and not any(ch.isdigit() for ch in t) and t not in UNIT_WORDS
             and t not in CONTRACTED and t not in COMPARE]
    if not words:
        return 1.0, []
    by_start = [h for h in have if len(h) >= 6]
    missing = [w for w in words if w not in have and light_stem(w) not in stems and w not in bridged
               and w not in qualifying and not same_word(w, (h for h in by_start if h[:6] == w[:6]))]
    if missing and synonyms:
        # a general-English word bridged by the thesaurus, each side in its dictionary form too ("went" / "go" /
        # "proceeded", "seen" / "observed"); clinical terms only through the vocabulary
        general = [h for h in have if h not in PARAPHRASE_GLUE and not _clinical(h)]
        mine, theirs = lemmas(sentence), lemmas(cited)
        forms = {h: {h, theirs.get(h, h)} for h in general}
        base = set(theirs.values())
        missing = [w for w in missing if _clinical(w) or not (
            mine.get(w, w) in have or mine.get(w, w) in base
            or any(thesaurus.related(a, b) for h in general for a in {w, mine.get(w, w)} for b in forms[h]))]
    return 1 - len(missing) / len(words), missing


# Limits, negations, hedges and quantifiers, whose meaning the qualifier rule compares; not the words that judge
# or give a direction ("better", "higher"), which must stand in the text.
LIMIT_KINDS = ("not", "no", "less than", "more than", "at least", "at most", "approximately", "exactly", "only",
               "rarely", "usually", "often", "sometimes", "may", "all", "majority", "minority")


def _qualifier_words(text: str) -> set[str]:
    """The words of ``text`` that say a qualifier ("no more than", "under 45 kg", "never"): the qualifier rule
    compares what they mean, so the support rule does not ask for them word for word."""
    out: set[str] = set()
    for kind in LIMIT_KINDS:
        for m in _QUAL[kind][0].finditer(text):
            out.update(t for t in tokenize(m.group(0)) if not any(ch.isdigit() for ch in t))
    return out


def _clinical(word: str) -> bool:
    """A word the vocabulary names as a clinical term (in some form): matched by the vocabulary or not at all,
    never through the general thesaurus ("cures" is not "treatment")."""
    return _clinical_forms(word.lower())


@lru_cache(maxsize=4096)
def _clinical_forms(word: str) -> bool:
    from .vocabulary import load_vocabulary

    lexicon = load_vocabulary().lexicon
    return any(lexicon.find(f) for f in {word, light_stem(word)} | thesaurus.headwords(word))


CLAUSE_SUPPORT = 0.5  # an added clause ("..., and radiation to the spine") is at least half new words


def weak_clause(sentence: str, cited: str) -> tuple[float, list[str]] | None:
    """The first clause of a model's sentence (split at ";", ", and", "but", ", which") of which less than
    more than ``CLAUSE_SUPPORT`` of the content words are in the text: a claim added to a faithful sentence."""
    clauses = re.split(r",\s+which\s+|,\s+so\s+", sentence)
    for clause in (c for part in clauses for c in CLAUSE_SPLIT.split(part)):
        cov, missing = paraphrase_coverage(clause, cited)
        if len(missing) >= 1 and cov <= CLAUSE_SUPPORT:
            return cov, missing
        run = new_run(clause, paraphrase_coverage(clause, cited, synonyms=False)[1], missing)
        if run:
            return 0.0, run
    return None


# Content words in a row that the text does not have weigh this much together: a claim of its own ("... and stops
# it coming back", "... after a short course of chemotherapy to make room").  A word only a thesaurus synonym
# stands for weighs half (``SYNONYM_WEIGHT``): three rewordings in a row ("usually moved to a different drug") are
# a paraphrase, a new word among rewordings is not.
NEW_RUN = 2.5
SYNONYM_WEIGHT = 0.5


def new_run(clause: str, literal: list[str], missing: list[str]) -> list[str]:
    """The first run of consecutive content words of ``clause`` not in the text (``literal``: missing word for
    word; ``missing``: missing even through synonyms) whose weight reaches ``NEW_RUN``."""
    gone, still = set(literal), set(missing)
    run, weight = list[str](), 0.0
    for t in tokenize(normalise(clause)):
        if len(t) <= 1 or t in PARAPHRASE_GLUE or t in CONNECTIVES or t in UNIT_WORDS or any(ch.isdigit() for ch in t):
            continue
        if t in gone:
            run, weight = run + [t], weight + (1.0 if t in still else SYNONYM_WEIGHT)
        else:
            run, weight = [], 0.0
        if weight >= NEW_RUN:
            return run
    return []


# Terms a model may attach to the wrong statement of a passage ("only dasatinib has activity against T315I"
# from "dasatinib ... may be used ...; only ponatinib has substantial activity ..."), by kind: a clause of the
# sentence may name a term of a kind only as the part of the passage it rests on does.
BINDING_TERMS = {
    "lineage": {"T-cell": GROUP_WORDS["T-cell ALL"], "B-cell": GROUP_WORDS["B-cell ALL"]},
    "ph": {"Ph-positive": re.compile(r"\bPh\+|\bPh\)?-?positive\b|\bPhiladelphia chromosome-positive\b|\bPh1\+",
                                     re.I),
           "Ph-negative": re.compile(r"\bPh-(?![\w+])|\bPh\)?-?negative\b|\bPhiladelphia chromosome-negative\b",
                                     re.I)},
    "order": {w: re.compile(p, re.I) for w, p in (("first", r"\bfirst\b|\b1st\b|\bCR1\b"),
                                                   ("second", r"\bsecond\b|\b2nd\b|\bCR2\b"),
                                                   ("third", r"\bthird\b|\b3rd\b|\bCR3\b"),
                                                   ("subsequent", r"\bsubsequent\b|\bor later\b"))},
    "timing": {**{w: re.compile(rf"\b{w}\b(?:\W+\w+){{0,2}}?\W+relaps|\brelaps\w*(?:\W+\w+){{0,2}}?\W+{w}\b",
                                re.I) for w in ("early", "late")},
               "on therapy": re.compile(r"\b(?:during|on|while on) (?:therapy|treatment)\b", re.I)},
    "length": {w: re.compile(rf"\b{w}(?:er)?\s+(?:first\s+)?(?:remission|CR|duration)", re.I)
               for w in ("short", "long")},
    # what the relapse came after: a transplant or chemotherapy ("relapsed following HCT" is another group)
    "after": {"after transplant": re.compile(r"\b(?:after|following|post)[- ](?:an?\s+|the\s+|\w+\s+){0,2}?"
                                             r"(?:HCT|HSCT|SCT|BMT|allo\w*|transplant\w*)", re.I),
              "after chemotherapy": re.compile(r"\b(?:after|following|during or after)\s+(?:\w+[- ]){0,2}?"
                                               r"chemo(?:therapy)?\b", re.I)},
    # who approved it: the regulators' approvals differ ("approved in Europe for Ph-negative, in the US for both")
    "agency": {"EMA": re.compile(r"\bEuropean Medicines Agency\b|\bEMA\b|\bEurope(?:an)?\b|\bEU\b"),
               "FDA": re.compile(r"\bFood and Drug Administration\b|\bFDA\b|\bUS\b|\bU\.S\.|\bUnited States\b")},
}
FIGURE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.]*\d)")
# An ordinal with the event it counts ("second CR" is not "second relapse"): (ordinal, event) pairs.
_ORDINAL_OF = re.compile(r"\b(first|second|third|1st|2nd|3rd)\b(?:\s+(?:or\s+(?:later|subsequent|greater)|"
                         r"[a-z]+)){0,2}?\s+(relapses?|recurrences?|remissions?|CR|complete\s+(?:remission|"
                         r"response)s?)\b|\bCR([123])\b", re.I)
_ORDINALS = {"1st": "first", "2nd": "second", "3rd": "third", "1": "first", "2": "second", "3": "third"}


def ordinal_events(text: str) -> set[str]:
    """The (ordinal, event) pairs ``text`` names: "first relapse", "second remission" (CR2, second CR ...)."""
    out = set()
    for m in _ORDINAL_OF.finditer(text):
        if m.group(3):
            out.add(f"{_ORDINALS[m.group(3)]} remission")
            continue
        order = _ORDINALS.get(m.group(1).lower(), m.group(1).lower())
        event = "relapse" if m.group(2).lower().startswith(("relapse", "recurrence")) else "remission"
        out.add(f"{order} {event}")
    return out


INHERITED = ("drug", "age")  # kinds another sentence of the passage must give a segment that names none
COMPARED = re.compile(r",?\s+(?:versus|vs\.?|compared (?:with|to))\s+", re.I)  # each side binds on its own


def _terms(text: str) -> dict[str, set[str]]:
    """The binding terms ``text`` names, by kind (drugs and ages through the lexicon)."""
    out = {kind: {name for name, pat in pats.items() if pat.search(text)} for kind, pats in BINDING_TERMS.items()}
    lex = load_lexicon()
    out["drug"] = {g.canonical for g, _ in lex.find(text, ("drug",))}
    out["age"] = {g.canonical for g, _ in lex.find(text, ("population",))}
    out["order_of"] = ordinal_events(text)
    return out


def segments(cited: str) -> list[str]:
    """The passage's sentences and their semicolon parts, in order."""
    parts = [p for p in re.split(r"(?<=[.!?])\s+|\n+|;\s+|,\s+and\s+(?=by\b|in\b|for\b)", cited) if p.strip()]
    return parts or [cited]


def check_binding(sentence: str, cited: str, context: str = "") -> RuleResult:
    """Each clause of a model's sentence names its drugs, ages, lineage, Ph status, order (first, second ...),
    timing and length of remission as the part of the passage it rests on (its best matching segments, ties
    included) does: where those parts name terms of a kind, the clause's terms of that kind must be among
    the terms of each of them; where they name
    no drug or age, the clause's must be named elsewhere in the passage (the sentence before says whose dose
    it is)."""
    s, c = normalise(sentence), normalise(cited)
    segs = segments(c)
    seg_terms = [_terms(x) for x in segs]
    around = _terms(normalise(context)) if context else None  # the section it stands under names drugs too
    seg_words = [set(map(light_stem, tokenize(x))) for x in segs]
    wrong: list[str] = []
    for clause in (c for part in CLAUSE_SPLIT.split(s) for c in COMPARED.split(part)):
        words = set(map(light_stem, tokenize(clause)))
        if len(words) < 3:
            continue
        scores = [len(words & w) for w in seg_words]
        best = [i for i, sc in enumerate(scores) if sc == max(scores)]
        figs = set(FIGURE.findall(clause))
        # a clause with figures rests first on the part that gives them all; the words decide the kinds it
        # names none of
        anchored = [i for i, x in enumerate(segs) if figs and figs <= set(FIGURE.findall(x))]
        anchored = [i for i in anchored if scores[i] == max((scores[j] for j in anchored), default=0)]
        mine = _terms(clause)
        for kind, names in mine.items():
            if not names:
                continue
            # the parts it rests on that name terms of this kind
            naming = [i for i in anchored if seg_terms[i][kind]] or [i for i in best if seg_terms[i][kind]]
            if naming:
                ok = all(names <= seg_terms[i][kind] for i in naming)
            else:
                ok = kind not in INHERITED or all(any(n in t[kind] for t in seg_terms) or
                                                  (around is not None and n in around[kind]) for n in names)
            if not ok:
                wrong.extend(sorted(names - set().union(*(seg_terms[i][kind] for i in best))) or sorted(names))
        wrong.extend(_figure_groups(clause, mine, segs, seg_terms))
    if wrong:
        return RuleResult("binding", False, "the part of the passage it rests on is not about: "
                          + ", ".join(dict.fromkeys(wrong)))
    return RuleResult("binding", True)


def _figure_groups(clause: str, mine: dict[str, set[str]], segs: list[str], seg_terms: list[dict[str, set[str]]]
                   ) -> list[str]:
    """The groups a clause gives a figure to that the passage does not: where every part of the passage holding
    the figure names groups of a kind (timing, order, lineage ...) and none of them is the clause's ("85% for
    relapse during therapy" from "... during therapy is 40%; it is 85% for late relapse")."""
    wrong: list[str] = []
    for fig in set(FIGURE.findall(clause)):
        holding = [i for i, x in enumerate(segs) if fig in FIGURE.findall(x)]
        if not holding:
            continue  # the numbers rule's business
        for kind in BINDING_TERMS:
            names = mine.get(kind, set())
            if names and all(seg_terms[i][kind] and not names & seg_terms[i][kind] for i in holding):
                wrong.extend(sorted(names))
    return wrong


COMPARATOR = re.compile(r"\b(?:than|versus|vs\.?|compared (?:with|to)|over)\s+", re.I)


def _compared(text: str) -> set[str] | None:
    """The drugs and treatments ``text`` compares against (named right after its first "than", "versus",
    "compared with" ..., up to the next comma), or None where it compares none against another it names."""
    m = COMPARATOR.search(text)
    if not m:
        return None
    rest = re.split(r"[,;.]", text[m.end():], maxsplit=1)[0]
    against = _sides(rest)
    return against if against and _sides(text) - against else None


def _sides(text: str) -> set[str]:
    """What a comparison may set against each other: drugs and treatments, and the bridge's clinical terms
    ("peripheral blood stem cells rather than bone marrow")."""
    return set(named(text, ("drug", "therapy"))) | set(terms_of(text))


def check_comparison(sentence: str, cited: str) -> RuleResult:
    """A comparison keeps its sides: what the part of the passage compares against is what the sentence
    compares against ("InO ... is better tolerated than blinatumomab" is not "blinatumomab is better tolerated
    than inotuzumab")."""
    mine = _compared(sentence)
    if mine is None:
        return RuleResult("comparison", True)
    for seg in segments(cited):
        theirs = _compared(seg)
        if theirs is not None and _sides(seg) >= _sides(sentence) and not mine & theirs:
            return RuleResult("comparison", False, f"compares against {', '.join(sorted(mine))}; the passage "
                              f"compares against {', '.join(sorted(theirs))}")
    return RuleResult("comparison", True)


def model_sentence_rules(sent: str, text: str, wide: str, support_threshold: float) -> list[RuleResult]:
    """Every rule but the citation's for a model's sentence ``sent`` citing ``text`` (normalised); ``wide`` is
    the cited text with its context (section, whom the document is about), which the support rule may read."""
    cov, missing = paraphrase_coverage(sent, wide)
    weak = weak_clause(sent, wide)
    if weak:
        cov, missing = min(cov, weak[0]), weak[1]
    support = RuleResult("support", cov >= support_threshold,
                         f"{cov:.0%} of content words found" if cov >= support_threshold else
                         f"only {cov:.0%} of its content words are in the cited text "
                         f"(missing: {', '.join(missing[:6])})")
    # a drug may be named by the section the passage stands under ("Blinatumomab > ... Treatment course ...")
    return [support, check_numbers(sent, text), check_drugs(sent, wide), check_paraphrase_qualifiers(sent, text),
            check_population(sent, text), check_binding(sent, text, wide), check_comparison(sent, text)]
