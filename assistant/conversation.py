"""Follow-ups resolved against the conversation: the question as retrieval and every check see it.

"is it given in hospital?" after a question about blinatumomab is about blinatumomab; "and in adults?" after
"what is the clofarabine dose for children?" asks for the clofarabine dose in adults.  A question that names
a treatment of its own ("what is the nelarabine dose?") is a new topic and carries nothing, whatever came
before.  Pure over the question, the history and the lexicons.

    resolve(question, history) -> Resolved(text, question, carried, how)

``how`` is "" (nothing carried), "topic" (the treatments of the last turn that named one are appended) or
"ellipsis" (a bare follow-up such as "and for adults?": the previous question is carried whole, its population
words swapped for the new ones).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .lexicon import load_lexicon
from .retrieve import light_stem, tokenize
from .vocabulary import load_vocabulary

TREATMENT_LEXICON = ("drug", "therapy")
TREATMENT_TERMS = frozenset({"drug", "drug_class", "procedure"})
ANAPHORA = re.compile(r"\b(it|its|it's|they|them|their|this|that|these|those|the drug|the same|same|that one|"
                      r"this one|those two|both|either|each|the treatment|the medicine|the infusion|he|she|him|"
                      r"her|his|hers|he's|she's|hes|shes)\b", re.I)
ELLIPSIS_START = re.compile(r"^\s*(?:(?:ok|okay|so|right|hmm+|oh|well|alright)\b[\s,.]*)?"  # "ok and if ..."
                            r"(and|what about|how about|what if|same for|same|also|or|but|in|for|with)\b", re.I)
POPULATION_WORDS = re.compile(r"\b(adults?|grown-ups|children|child|kids?|pediatric|paediatric|teens?|"
                              r"teenagers?|adolescents?|young adults?|babies|infants?|elderly|older)\b", re.I)
# "it ... than X", "instead of X": the pronoun before it is not X
CONTRAST = re.compile(r"\b(than|instead of|rather than|versus|vs\.?|compared (to|with)|other than|besides|apart from|"
                      r"switch(ed|ing)? from)\b", re.I)
MAX_CARRIED = 400  # characters of an earlier question carried into a follow-up


@dataclass(frozen=True)
class Resolved:
    text: str
    question: str
    carried: str = ""
    how: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"question": self.question, "resolved": self.text, "carried": self.carried, "how": self.how}


def treatments(text: str) -> list[str]:
    """The treatments ``text`` names (lexicon drugs and therapies, bridge drugs and procedures), as written."""
    names = [name for _, name in load_lexicon().find(text, TREATMENT_LEXICON)]
    names += [name for g, name in load_vocabulary().found(text) if g.kind in TREATMENT_TERMS]
    return list(dict.fromkeys(names))


def is_follow_up(question: str) -> bool:
    """Whether a question with no treatment of its own leans on the earlier turns: a pronoun ("is it ..."),
    an elliptical start ("and for adults?") or too few words to stand alone."""
    content = tokenize(question)
    return bool(ANAPHORA.search(question) or ELLIPSIS_START.match(question) or len(content) <= 6)


def resolve(question: str, history: list[dict[str, str]], rare: Callable[[str], bool] | None = None) -> Resolved:
    """``question`` as retrieval and the checks read it (see the module doc).  ``rare``: whether a word is rare
    in the sources; given, a follow-up also carries the previous question's rare nouns ("pretransplant score",
    "CNS") beside its treatments."""
    users = [h["content"] for h in history if h.get("role") == "user" and isinstance(h.get("content"), str)]
    if not users:
        return Resolved(question, question)
    if treatments(question) and not _same_subject(question, history):
        return _another(question, history)
    if not is_follow_up(question) and not refers_back(question, history):
        return Resolved(question, question)
    previous = users[-1][:MAX_CARRIED]
    if _bare(question):
        base = _drop_populations(previous) if _populations(question) else previous
        base = re.sub(r"\s+", " ", base).strip()
        return Resolved(f"{base} {question}", question, base, "ellipsis")
    for turn in reversed(users):
        names = _answer_subject(turn, history) or treatments(turn)
        if names:
            carried = ", ".join(n for n in names if n.lower() not in question.lower())
            if not carried:
                return Resolved(question, question)  # it names the subject itself
            nouns = subject_nouns(previous, question, names, rare) if rare is not None else []
            carried = "; ".join([carried, *nouns]) if nouns else carried
            return Resolved(f"{question} ({carried})", question, carried, "topic")
    return Resolved(f"{previous} {question}", question, previous, "ellipsis")


MAX_NOUNS = 3
DEFINITE = re.compile(r"\b(?:the|that|this|those|these|each|every)\s+([a-z][a-z-]{3,})\b", re.I)


def refers_back(question: str, history: list[dict[str, str]]) -> bool:
    """A definite noun the conversation already used ("can the cycle be stretched out?" after an answer about a
    21-day cycle): the question is about what was being discussed, however many words of its own it has."""
    from .features import GENERIC

    said = {light_stem(t, loose=True) for h in history if isinstance(h.get("content"), str)
            for t in tokenize(h["content"])}
    return any(w.lower() not in GENERIC and light_stem(w.lower(), loose=True) in said
               for w in DEFINITE.findall(question))


def _answer_subject(turn: str, history: list[dict[str, str]]) -> list[str]:
    """The drug the reply to ``turn`` is about, when ``turn`` names no drug of its own: "is there a drug for T-ALL
    that keeps coming back?" answered "Nelarabine is approved ...", or "is there any CAR-T for someone over 25?"
    answered "Brexucabtagene is ...": a pronoun in the next question ("what is its big side effect?") points to
    the drug the answer introduced (its first), not to the kind of treatment the question named."""
    if _drugs(turn):
        return []
    at = max((i for i, h in enumerate(history) if h.get("role") == "user" and h.get("content") == turn), default=-1)
    if at < 0:
        return []
    reply = next((h["content"] for h in history[at + 1:] if h.get("role") == "assistant"
                  and isinstance(h.get("content"), str)), "")
    found = [*load_lexicon().find(reply, ("drug",)), *load_vocabulary().lexicon.find(reply)]
    named = sorted((reply.lower().find(name.lower()), name) for g, name in found if g.kind == "drug")
    named = [(i, n) for i, n in named if i >= 0]
    return [named[0][1]] if named else []


def subject_nouns(previous: str, question: str, names: list[str], rare: Callable[[str], bool]) -> list[str]:
    """The nouns of the previous question that are rare in the sources and not yet in the follow-up, the
    treatments carried or the groups of people: what it was about besides its treatments."""
    from .features import GENERIC
    from .grammar import tags

    have = {t for t in tokenize(question)} | {t for n in names for t in tokenize(n)}
    out: list[str] = []
    for word, pos in tags(previous):
        toks = tokenize(word)
        if pos in ("NOUN", "PROPN", "ADJ") and toks and not POPULATION_WORDS.fullmatch(word) and \
                all(t not in GENERIC and t not in have and rare(t) for t in toks) and word.lower() not in out:
            out.append(word.lower())
    return out[:MAX_NOUNS]


def _same_subject(question: str, history: list[dict[str, str]]) -> bool:
    """A follow-up that names no drug the conversation has not named ("how long is the chemo part", "how likely
    is it she ends up getting the transplant", "how long did the kids get the chemo for in that one"): a kind of
    treatment or a drug already discussed is an aspect of the same subject, not a new topic (a contrast, "than
    the gleevec", is read by :func:`_another`)."""
    turns = " ".join(h["content"] for h in history if isinstance(h.get("content"), str))
    if CONTRAST.search(question) or not _drugs(question) <= _drugs(turns):
        return False
    # a pointer back ("that one", "she", "the chemo part": a kind of treatment named as one already in play), or an
    # elliptical or short question about treatments already named ("what about CAR-T?" after a question about
    # blinatumomab asks about CAR-T instead)
    definite = _definite(question) and not ELLIPSIS_START.match(question)  # "what about the transplant?" is new
    return bool(ANAPHORA.search(question) or definite) or \
        (is_follow_up(question) and set(_keys(question)) <= set(_keys(turns)))


def _definite(question: str) -> bool:
    """Whether every treatment the question names is a kind of treatment named with "the" ("how long is the chemo
    part", "is the transplant done in hospital"): one the conversation is about."""
    names = treatments(question)
    return bool(names) and all(re.search(rf"\bthe\s+{re.escape(n)}\b", question, re.I) for n in names)


def _drugs(text: str) -> set[str]:
    """The drugs (not kinds of treatment) ``text`` names, by canonical name."""
    out = {g.canonical.lower() for g, _ in load_lexicon().find(text, ("drug",))}
    return out | {g.canonical.lower() for g, _ in load_vocabulary().lexicon.find(text) if g.kind == "drug"}


def _keys(text: str) -> dict[str, str]:
    """The treatments ``text`` names, by their canonical name (brand and generic alike), as written."""
    out: dict[str, str] = {}
    for g, name in load_lexicon().find(text, TREATMENT_LEXICON):
        out.setdefault(g.canonical.lower(), name)
    for g, name in load_vocabulary().lexicon.find(text):
        if g.kind in TREATMENT_TERMS:
            out.setdefault(g.canonical.lower(), name)
    return out


def _another(question: str, history: list[dict[str, str]]) -> Resolved:
    """A question that names a treatment of the conversation only to set another against it ("how much stronger
    is it than the gleevec?", "could they use something else instead of blina?") asks about the other one:
    the latest turn's treatments it does not name are carried.  Any other question naming a treatment is a new
    topic and carries nothing."""
    own = _keys(question)
    contrast = CONTRAST.search(question)
    if not contrast or not ANAPHORA.search(question[:contrast.start()]) or \
            not set(_keys(question[contrast.end():])) & set(own):
        return Resolved(question, question)
    turns = [h["content"] for h in history if isinstance(h.get("content"), str)]
    if not set(own) <= set(_keys(" ".join(turns))):
        return Resolved(question, question)
    for turn in reversed(turns):
        others = [name for key, name in _keys(turn).items() if key not in own]
        if others:
            carried = ", ".join(others[:2])
            return Resolved(f"{question} ({carried})", question, carried, "topic")
    return Resolved(question, question)


def _populations(text: str) -> list[str]:
    """The groups of people ``text`` names, as written: the common words and the bridge's lay words for them
    ("grown ups", "teens")."""
    found = [m.group(0) for m in POPULATION_WORDS.finditer(text)]
    return found + [name for g, name in load_vocabulary().lexicon.find(text) if g.kind == "population"]


def _drop_populations(text: str) -> str:
    """``text`` without the groups of people it names (an elliptical follow-up names another group)."""
    for name in sorted(set(_populations(text)), key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", text, flags=re.I)
    return text


def _bare(question: str) -> bool:
    """A follow-up with (almost) nothing of its own but a population or a connective: "and in adults?"."""
    words = [t for t in tokenize(POPULATION_WORDS.sub(" ", question)) if t not in {"same", "what", "how"}]
    return len(words) <= 1 or (bool(ELLIPSIS_START.match(question)) and len(words) <= 3)
