"""What kind of value a question asks for, and whether a statement gives one about what was asked.

"How long ..." asks for a duration, "what percentage" for a proportion, "how
often" for a frequency, "at what age" for an age, "how many cycles" for a count
of cycles, "when was ... approved" for a date, "how much does it cost" for a
price.  Such a question is answered only by a statement that

- states a value of that kind (:func:`carries`),
- covers enough of the question's focus: the content words and lexicon terms
  of the clause that asks ("what were the CR rates" in "In the trial of InO
  versus chemotherapy, what were the CR rates?"), less the cue words and the
  names of the topic (:func:`focus`, :func:`coverage`),
- and is about the drugs or therapies the question names, each of which needs
  such a statement (:func:`answer_gap`).

"How long do patients have to stay near the hospital after a CAR-T infusion?"
asks for a duration of staying near the hospital; a sentence giving a median
survival of 11 months after CAR-T states a duration, but not of that, so the
sources do not answer the question and the assistant abstains.

Pure functions; the pipeline calls :func:`answer_gap` after composing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from . import thesaurus
from .concepts import terms_of
from .context import asked_groups, groups_in
from .grammar import function_words
from .lexicon import load_lexicon, named
from .retrieve import STOPWORDS, light_stem, tokenize
from .values import (  # noqa: F401 - re-exported
    _WHY_DIFFER,
    TIME_UNITS,
    TIME_WORD,
    asked_horizon,
    carries,
    horizons,
)
from .vocabulary import load_vocabulary

COUNTED = {"cycle": "cycle", "cycles": "cycle", "dose": "dose", "doses": "dose", "times": "times",
           "patients": "patient"}  # "how many <noun>" where the numbers module knows the noun as a unit

# (kind, question pattern).  The first that matches wins; a dose question is handled by the pipeline's dose check.
KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cost", re.compile(r"\b(cost|costs|price|priced|pay|afford|expense|expensive)\b", re.I)),
    ("duration", re.compile(r"\bhow long\b|\bhow soon\b|\b(for )?how many " + TIME_WORD + r"\b", re.I)),
    ("age", re.compile(r"\b(what|which) ages?\b|\bhow old\b|\bage (limit|cut-?off|range)\b", re.I)),
    ("schedule", re.compile(r"\bhow (often|frequently)\b.*\b(given|repeated|repeat|administered|taken|take|done|"
                            r"infused|checked|tested|scheduled|dosed|received|performed|needed)\b", re.I)),
    ("percent", re.compile(r"\bwhat (percentage|percent|proportion|fraction|share)\b|\bwhat\s*%|"
                           r"\bhow many (of|out of)\b|"
                           r"\bwhat (is|are|was|were) the (\w+ ){0,3}(rates?|chances?|odds|likelihood|probability)\b|"
                           r"\bwhat (\w+ )?rates?\b", re.I)),
    ("frequency", re.compile(r"\bhow (often|common|commonly|frequent|frequently|likely|rare|rarely)\b", re.I)),
    ("count", re.compile(r"\bhow many\b|\b(the )?(minimum|maximum|total|least|smallest|largest) number of\b", re.I)),
    ("date", re.compile(r"^\s*(when|in what year|what year)\b.*\b(approved|approval|withdrawn|removed|licensed|"
                        r"introduced|available|published|updated|discovered)\b|\bin what year\b|\bwhat year\b", re.I)),
    # "which drug ...", "what meds ...": a drug the question does not name itself
    ("agent", re.compile(r"\b(which|what)\s+(\w+\s+)?(drugs?|medicines?|medications?|meds|premeds|"
                         r"premedications?|agents?)\b|\bnames? of the (drugs?|medicines?|medications?|meds)\b",
                         re.I)),
    # "why ...": a reason or a purpose; after the value kinds ("why is survival so low, and what is it?").
    ("cause", re.compile(r"\bwhy\b|\bhow come\b|\bwhat causes\b|\bwhat is the reason\b|\bmechanism\b", re.I)),
    # Last: a comparison is asked only when no value is ("in the trial of A versus B, what were the CR rates?").
    ("comparison", re.compile(r"\b(better|worse|more effective|less effective|safer|superior|inferior|preferable|"
                              r"preferred)\b[^?.]*\b(or|than|vs\.?|versus)\b|\b(or|vs\.?|versus)\b[^?.]*\b(better|"
                              r"worse|more effective|less effective|safer|superior|inferior|preferable|preferred|"
                              r"best)\b|\bcompared? (to|with)\b|\bvs\.?\s|"
                              r"\bversus\b|\bwhich is (better|best|more|safer)\b|"
                              # "... brexu-cel or tisa-cel. which one has better outcomes": the alternatives
                              # may come in an earlier sentence (two treatments named is still required)
                              r"\b(which|what)\b[^?.]*\b(better|best|worse|safer|more effective|less effective|"
                              r"superior|inferior|preferable|preferred)\b|"
                              # "TBI-based conditioning or chemo only? which do you recommend": a choice (two
                              # alternatives are still required, see :func:`alternatives`)
                              r"\b(or|vs\.?|versus)\b[^.]*\bwhich\b|\bwhich\b[^.?]*\b(or|vs\.?|versus)\b", re.I)),
)

# Words of a question that say what kind of value is asked, or name the topic every source shares.
CUE_WORDS = frozenset("""why cause causes caused reason reasons better worse best effective safer superior inferior
preferable preferred compare compared comparison versus difference
long soon often common commonly frequent frequently likely rare rarely many much old age
ages aged percentage percent proportion fraction share rate rates chance chances odds likelihood probability
number cost costs price priced pay afford expense expensive drug drugs medicine medicines medication
medications meds agent agents names name
year years month months week weeks day days hour
hours time times when typically usually generally normally roughly approximately about average median expected
expect relapsed relapse relapses refractory leukemia leukaemia acute lymphoblastic lymphocytic all b-all t-all
patient patients people person someone adult adults child children kid kids upper lower limit limits maximum
minimum longest shortest total overall typical above below beyond inside outside he him his she her hers their its
get gets getting got do done doing make makes made need needs needed give gives given giving go goes going
take takes taking took last lasts lasting treatment treatments treat treated therapy therapies chemotherapy chemo
good bad choice choices option options idea work works worked working isn doesn didn don aren wasn weren cant
couldn wouldn shouldn won hasn haven""".split())
# Words that open a phrase giving the setting rather than what is asked ("... stay near the hospital | after a
# CAR-T infusion"): the focus stops at the first of them that follows a focus word.
SETTING_WORDS = frozenset("""after before during around following since when whenever whose where while until in at
for from with without compared versus among including within""".split())

# A comparison that judges ("more effective in kids than in adults") rather than describes each side ("how is CNS
# relapse managed in children versus adults"): the sides' own statements do not answer it, one about both does.
_JUDGED = re.compile(r"\b(better|worse|more effective|less effective|safer|superior|inferior|preferable)\b", re.I)
_HOW_MANY = re.compile(r"\bhow many (\w+)", re.I)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
# Clauses: commas, "and/but" before a new question word, and a reason the asker gives ("... cuz the doctors keep
# dodging"), which is not what is asked.
_CLAUSE = re.compile(r"[,;:]\s*|\s+\b(?:and|but)\s+(?=(?:what|how|which|when|at what|in what|up to what)\b)|"
                     r"\s+\b(?:because|cuz|coz|cos|bc)\b\s+", re.I)

TOPIC_KINDS = ("drug", "therapy", "population")
TOPIC_GROUPS = frozenset({"acute lymphoblastic leukemia", "relapsed", "refractory", "Philadelphia chromosome positive",
                          "Philadelphia chromosome negative"})


class Ask(NamedTuple):
    """The value a question asks for: its kind, the counted unit ("cycle" for "how many cycles") and the
    clause that asks."""

    kind: str
    unit: str
    clause: str


class Focus(NamedTuple):
    """What a question asks about: word stems and lexicon groups of the asking clause (a group matches
    through any alias), and the drugs and therapies the whole question names."""

    words: frozenset[str]
    groups: frozenset[str]
    topic: frozenset[str]

    def describe(self) -> str:
        return ", ".join(sorted(self.groups) + sorted(self.words)) or "the question"


# A choice the asker wants made between two alternatives ("haplo vs MUD, which gives better results", "a port or a
# picc line, which is better"): the words that ask for a judgement or a pick.
_CHOICE = re.compile(r"\b(better|best|worse|safer|more effective|less effective|superior|inferior|preferable|prefer|"
                     r"preferred|recommend|recommended|which one|which is|which do|which would|which should|"
                     r"go with|pick|choose)\b", re.I)
_CONNECTIVE = re.compile(r"\s(?:or|vs\.?|versus|than)\s", re.I)
_SIDE_STOP = re.compile(r"[,;:?!.()]|\b(?:for|in|with|between|after|before|during|which|what|is|are|should|would|"
                        r"do|does|to|than|and|if|when|the|a|an)\b", re.I)
SIDE_WORDS = 3


def alternatives(question: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """The two things a question asks to choose between, as word stems (up to three words on each side of "or",
    "vs" or "versus", within the clause), when it asks for a judgement or a pick (:data:`_CHOICE`); None
    otherwise, or when a side has no content word."""
    if not _CHOICE.search(question):
        return None
    for m in _CONNECTIVE.finditer(question):
        after = ([p for p in _SIDE_STOP.split(question[m.end():]) if p.strip()] or [""])[0]
        if (after.split() or [""])[0].lower() in _NOT_A_SIDE:
            continue  # "2 or more treatments", "25 or younger"
        before = ([p for p in _SIDE_STOP.split(question[:m.start()]) if p.strip()] or [""])[-1]
        sides = tuple(_side(part) for part in (" ".join(before.split()[-SIDE_WORDS:]), " ".join(
            after.split()[:SIDE_WORDS])))
        if all(sides) and sides[0] != sides[1]:
            return sides[0], sides[1]
    return None


_JUDGE_WORDS = frozenset("better best worse safer superior inferior preferable prefer preferred recommend "
                         "recommended effective option options choice actually really".split())
_NOT_A_SIDE = frozenset("more less fewer older younger later earlier so not other something anything".split())


def _side(text: str) -> frozenset[str]:
    """One alternative: the bridge's terms it names and the stems of its other content words."""
    words = frozenset(light_stem(t, loose=True) for t in tokenize(text) if len(t) >= 3 and not t[0].isdigit()
                      and t not in _JUDGE_WORDS)
    return words | _bridged(text) if words else frozenset()


def _bridged(text: str) -> frozenset[str]:
    """The bridge's terms and the lexicon's drugs and therapies ``text`` names, by canonical name."""
    return terms_of(text) | frozenset(named(text, ("drug", "therapy")))


def draws_choice(sides: tuple[frozenset[str], frozenset[str]], text: str) -> bool:
    """Whether ``text`` names both alternatives (a term or a word of each side)."""
    words = {light_stem(t, loose=True) for t in tokenize(text)} | _bridged(text)
    return all(side & words for side in sides)


@lru_cache(maxsize=1024)
def asked(question: str) -> Ask:
    """The kind of value the question asks for (kind "" when it asks for none of these)."""
    for kind, pattern in KINDS:
        m = pattern.search(question)
        if m and kind == "comparison" and len(_treatments(question)) < 2 and \
                not (len(asked_groups(question)) >= 2 and _JUDGED.search(question)) and not alternatives(question):
            continue  # a comparison is checked between two named treatments, two judged groups or two alternatives
        if m:
            return Ask(kind, _counted(question) if kind == "count" else "", _clause(question, m.start()))
    return Ask("", "", question)


def _treatments(question: str) -> set[str]:
    """The drugs and therapies the question names, lay names included ("bone marrow transplant" through the
    vocabulary bridge)."""
    return named(question, ("drug", "therapy")) | named(load_vocabulary().replace(question), ("drug", "therapy"))


def asked_kind(question: str) -> str:
    return asked(question).kind


def _counted(question: str) -> str:
    m = _HOW_MANY.search(question)
    return COUNTED.get(m.group(1).lower(), "") if m else ""


def _clause(question: str, at: int) -> str:
    """The clause of ``question`` around position ``at``: its sentence, then its comma-separated part."""
    start = 0
    for part in _SENTENCE.split(question):
        pos = question.find(part, start)
        if pos <= at < pos + len(part) + 1:
            sentence, at, start = part, at - pos, pos
            break
        start = pos + len(part)
    else:
        return question
    offset = 0
    for piece in _CLAUSE.split(sentence):
        pos = sentence.find(piece, offset)
        if pos <= at < pos + len(piece) + 1:
            return piece
        offset = pos + len(piece)
    return sentence


@lru_cache(maxsize=1024)
def focus(question: str) -> Focus:
    """The question's focus (see the module doc)."""
    clause = asked(question).clause
    lex = load_lexicon()
    found = lex.find(clause)
    named = {t for _, name in found for t in tokenize(name)}
    groups = frozenset(g.canonical for g, _ in found if g.kind not in TOPIC_KINDS and g.canonical not in TOPIC_GROUPS)
    topic = frozenset(g.canonical for g, _ in lex.find(question) if g.kind in ("drug", "therapy"))
    setting = {t for g, name in found if g.kind in TOPIC_KINDS or g.canonical in TOPIC_GROUPS for t in tokenize(name)}
    filler = function_words(clause)  # "once it comes back", "that one", "which drug still works": no content
    words = frozenset(light_stem(t, loose=True) for t in tokenize(_core(clause, setting))
                      if len(t) > 2 and not t.isdigit() and t not in CUE_WORDS and t not in named
                      and t not in SETTING_WORDS and t not in filler and light_stem(t) not in STOPWORDS)
    return Focus(words, groups, topic)


def focus_about(question: str, about: str = "") -> Focus:
    """The focus of ``question`` read as ``about`` (the question as resolved: a follow-up folded into the
    previous one, or the question with its treatment carried or its lay words bridged).  When the resolved text
    no longer asks in a way :func:`asked` reads ("which chemo drugs" bridged to "which chemotherapy"), the
    question's own clause gives the focus and the resolved text adds its treatments."""
    if not about or about == question:
        return focus(question)
    f = focus(about)
    if asked(about).kind or not asked(question).kind:
        return f
    own = focus(question)
    return own._replace(topic=own.topic | f.topic)


def _core(clause: str, setting: set[str]) -> str:
    """The clause without its setting phrases: a phrase opened by a setting word, after a word that is neither a
    cue nor part of a topic name (``setting``), that names a drug or therapy ("stay near the hospital | after a
    CAR-T infusion")."""
    words = clause.split()
    out: list[str] = []
    seen = False
    i = 0
    while i < len(words):
        low = words[i].strip(".,;:?!()\"'").lower()
        if seen and low in SETTING_WORDS:
            j = i + 1
            while j < len(words) and words[j].strip(".,;:?!()\"'").lower() not in SETTING_WORDS:
                j += 1
            if load_lexicon().find(" ".join(words[i:j]), ("drug", "therapy")):
                i = j
                continue
        out.append(words[i])
        seen = seen or any(len(t) > 2 and not t.isdigit() and t not in CUE_WORDS and t not in setting
                           for t in tokenize(low))
        i += 1
    return " ".join(out)


@lru_cache(maxsize=8192)
def _concepts(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """(word stems, lexicon groups) of ``text``; the words of a lexicon name count only as that name (the "cells"
    of "CAR T cells" do not match a question's "T cells")."""
    found = load_lexicon().find(text)
    named = {t for _, name in found for t in tokenize(name)}
    return (frozenset(light_stem(t, loose=True) for t in tokenize(text) if t not in named),
            frozenset(g.canonical for g, _ in found))


def coverage(f: Focus, text: str, synonyms: bool = False) -> float:
    """Share of the focus (words and groups) found in ``text`` (1.0 when the focus is empty); ``synonyms``: a
    general-English synonym of a focus word counts (the sentence ranker's reading, never the decision's)."""
    total = len(f.words) + len(f.groups)
    if not total:
        return 1.0
    words, groups = _concepts(text)
    found = f.words & words
    if synonyms and len(found) < len(f.words):  # a general-English synonym ("stretched" / "extended")
        found |= {w for w in f.words - words if _synonym_in(w, words)}
    terms = f.groups & groups
    terms |= {g for g in f.groups - groups if load_vocabulary().names_member(g, text)}  # "side effects": CRS
    return (len(found) + len(terms)) / total


def _synonym_in(word: str, words: frozenset[str]) -> bool:
    return any(thesaurus.related(word, other) for other in words if len(other) >= 4)


def topics(f: Focus, text: str, context: str = "") -> frozenset[str]:
    """The question's drugs and therapies that ``text`` or its ``context`` names."""
    return f.topic & (_concepts(text)[1] | _concepts(context)[1])


def answers(question: str, text: str, leaf: str = "", before: str = "", about: str = "",
            min_coverage: float = 0.25) -> frozenset[str] | None:
    """The question's drugs and therapies that statement ``text`` gives the asked value for (an empty set when
    the question names none), or None when it does not give the value, covers less than ``min_coverage`` of
    the focus, or names none of the question's drugs and therapies.

    ``leaf`` is the statement's section title and ``before`` the sentences before it in its paragraph: the
    title counts for the focus, the earlier sentences only for the drugs ("In this population, the dose is
    ...").  ``about`` is what the question is about when it differs from the question itself (a follow-up
    folded into the previous question).
    """
    a = asked(question)
    if not a.kind:
        return frozenset()
    f = focus_about(question, about)
    if a.kind == "cause" and not f.words:
        min_coverage = 0.0  # "why doesn't it work?": nothing to cover but the treatment, checked below
    # a drug named for what was asked: a list's drug names cover the question with their lead-in ("which drugs go
    # in the spine": "CNS treatment may include: ..."), but a drug named for something else answers nothing
    # ("growth factors to help the bone marrow recover" for "which drug brings down uric acid")
    covered = f"{leaf} {before} {text}" if a.kind == "agent" else f"{leaf} {text}"
    if not carries(a.kind, text, a.unit) or coverage(f, covered) < min_coverage:
        return None
    if a.kind == "cause" and _WHY_DIFFER.search(a.clause) and not carries("comparison", text):
        return None  # a reason that draws no comparison explains something else
    named = topics(f, f"{leaf} {text}", before)
    if a.kind == "comparison" and len(f.topic) >= 2 and len(named) < 2:
        return None  # a comparison of two treatments is drawn only by a statement naming both
    if a.kind == "comparison" and len(f.topic) < 2 and (sides := alternatives(about or question)) and \
            not draws_choice(sides, f"{leaf} {before} {text}"):
        return None  # "a port or a picc line, which is better?": a statement naming both
    if a.kind == "comparison" and len(f.topic) < 2 and _JUDGED.search(a.clause) and \
            len(groups := asked_groups(about or question)) >= 2 and not groups <= groups_in(f"{leaf} {before} {text}"):
        return None  # "is it more effective in kids than in adults?": one statement that judges both groups
    if a.kind == "percent" and (years := asked_horizon(question)) and years not in horizons(f"{text} {before}"):
        return None  # a 5-year survival is not answered by a 3-year one or a remission rate
    if a.kind == "agent" and not {g.canonical for g, _ in load_lexicon().find(text, ("drug",))} - f.topic:
        return None  # "what premeds before besponsa": a drug other than the ones asked about
    return named if named or not f.topic else None


def answered_topics(question: str, statements: Iterable[tuple[str, str, str]], about: str = "",
                    min_coverage: float = 0.25) -> frozenset[str] | None:
    """The question's drugs and therapies that the statements give the asked value for, or None when no
    statement gives it.  ``statements`` are (text, section title, earlier sentences) triples, as for
    :func:`answers`."""
    found: frozenset[str] | None = None
    for text, leaf, before in statements:
        named = answers(question, text, leaf, before, about, min_coverage)
        if named is not None:
            found = (found or frozenset()) | named
    return found


def answer_gap(question: str, statements: Iterable[tuple[str, str, str]], about: str = "",
               min_coverage: float = 0.25) -> str:
    """Why the statements do not give the value asked ("" when they do, or none is asked): each drug or therapy
    the question names needs a statement that gives the value for it."""
    kind = asked_kind(question)
    if not kind:
        return ""
    f = focus_about(question, about)
    found = answered_topics(question, statements, about, min_coverage)
    missing = f.topic - (found or frozenset())
    if found is not None and not missing:
        return ""
    what = f.describe() + (f" ({', '.join(sorted(missing))})" if missing and found is not None else "")
    return f"no statement gives the {kind} asked for: {what}"
