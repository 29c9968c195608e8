"""Whether a text states a value of a kind: a duration, a rate, an age, a count, a date, a price, a reason, a
comparison, a drug (:func:`carries`), and the years a survival figure is given at (:func:`horizons`).  Pure regular
expressions over the text and the numbers module; ``answertype`` reads what a question asks for."""

from __future__ import annotations

import re

from .lexicon import load_lexicon
from .numbers import WORD_VALUES, extract

TIME_UNITS = frozenset({"hour", "day", "week", "month", "year", "minute"})
TIME_WORD = r"(?:hours?|days?|weeks?|months?|years?)"

_PROPORTION = (r"\d\s*(%|percent)|\b(one|two|three|four|five|\d+) (in|of|out of) (every )?(\d+|ten|two|three|four|"
               r"five|hundred)\b|\b(half|(one|a)[- ]half|(a|one|two)[- ]thirds?|(a|one|three)[- ]quarters?|majority|"
               r"minority)\b")
_PERCENT = re.compile(_PROPORTION, re.I)
_SCHEDULES = (r"\bevery\b|\b(once|twice|daily|weekly|monthly)\b|\bper (day|week|month|cycle)\b|\btimes a\b|"
              r"\bon days?\s*\d|\bcycles?\b")
_SCHEDULE = re.compile(_SCHEDULES, re.I)
_FREQUENCY = re.compile(_PROPORTION + "|" + _SCHEDULES + r"|\b(rare|rarely|uncommon|common|commonly|frequent|"
                        r"frequently|often|seldom|most|nearly all|almost all|usually|occasionally)\b", re.I)
_AGE = re.compile(r"\bage[sd]?\b[^.;]{0,20}?\d|\d+\s*(years?|yrs?|y)[- ]?(old|of age)\b|"
                  r"(≤|<|>|≥|older than|younger than|over|under|up to)\s*(age\s*)?\d+\s*(years?|yrs?|y)\b|"
                  r"\b(older|younger) than \d+", re.I)
_DATE = re.compile(r"\b(19|20)\d\d\b|\b(January|February|March|April|May|June|July|August|September|October|"
                   r"November|December)\b", re.I)
_MONEY = re.compile(r"[$€£]\s?\d|\b\d[\d,.]*\s*(dollars|euros|pounds|USD|CAD|EUR)\b", re.I)
_VAGUE_DURATION = re.compile(r"\b(several|a few|few|many) " + TIME_WORD + r"\b|\b(lifelong|indefinitely|"
                             r"until (progression|relapse|unacceptable toxicity))\b", re.I)
_NUMBER_WORD = re.compile(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
                          r"forty|fifty|hundred|dozen|single|both)\b", re.I)


# A statement that gives a reason or a purpose ("because", "due to", "is used to", "to help", "One of the
# problems with Gleevec is that ...").
# "the result of" / "X results from Y" give a cause; "the results of a study" / "Results from an analysis" are
# outcomes
_CAUSE = re.compile(r"\bbecause\b|\bdue to\b|\bcaused? by\b|\bcauses?\b|\bin order to\b|\bso that\b|"
                    r"\b(is|are|be|been|was|were) (used|given|done|performed|recommended|needed) to\b|\bto help\b|"
                    r"\breasons?\b|\bresult of\b|\bresulting from\b|(?<!the )(?-i:\bresults from\b)|\bas a result\b|"
                    r"\blead(s|ing)? to\b|\bmechanism|"
                    r"\battribut|\bexplain|\bproblems?\b|\bsince\b|\bowing to\b|\bbecomes? resistant\b", re.I)
_COMPARISON = re.compile(r"\bthan\b|\bversus\b|\bvs\.?|\bcompared\b|\bcomparison\b|\bsuperior|\binferior|"
                         r"\bbetter\b|\bworse\b|\bsimilar\b|\bimproved?\b|\bdifference\b|\bhigher\b|\blower\b|"
                         r"\bprefer", re.I)


# a why-question about a difference: "why do they do better with marrow than PBSC"
_WHY_DIFFER = re.compile(r"\b(better|worse|more|less|higher|lower|longer|shorter|\w{3,}er)\b[^?.]{0,60}\bthan\b", re.I)

_N = r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten)"
_HORIZON = re.compile(_N + r"[- ]?(?:years?|yrs?|y)\b(?![- ]?old)", re.I)
_OUTCOME = r"(survival|survive|surviving|alive|living|OS|EFS|DFS|LFS|RFS|PFS|event-free|disease-free|leukemia-free|" \
    r"relapse-free|progression-free|overall)"
# the time at which a rate is asked ("3-year OS", "alive 5 years after", "survival at two years")
_ASKED_HORIZON = re.compile(_N + r"[- ]?(?:years?|yrs?|y)\s+(?:\w+\s+)?" + _OUTCOME + r"\b|\b" + _OUTCOME +
                            r"\s+(?:\w+\s+){0,2}?(?:at|after|by|in|for|of)?\s*(?:about\s+)?" + _N +
                            r"[- ]?(?:years?|yrs?|y)\b", re.I)
_WORD_NUMBER = {w: str(v) for w, v in WORD_VALUES.items()}  # "three" -> "3"


def asked_horizon(question: str) -> str:
    """The number of years at which a rate is asked ("3" for "what's the 3-year OS"), or ""."""
    m = _ASKED_HORIZON.search(question)
    if not m:
        return ""
    n = m.group(1) or m.group(4)
    return _WORD_NUMBER.get(n.lower(), n)


def horizons(text: str) -> set[str]:
    """The numbers of years ``text`` gives figures at ("three-year", "5-y", "at two years")."""
    return {_WORD_NUMBER.get(m.group(1).lower(), m.group(1)) for m in _HORIZON.finditer(text)}


def carries(kind: str, text: str, unit: str = "") -> bool:
    """Whether ``text`` states a value of ``kind`` (a count of ``unit`` when given); for a comparison, a comparison."""
    if kind == "comparison":
        return bool(_COMPARISON.search(text))
    if kind == "cause":
        return bool(_CAUSE.search(text))
    if kind == "duration":  # "patients ≤25 years of age" gives an age, not a duration
        rest = _AGE.sub(" ", text)
        return any(q.unit in TIME_UNITS for q in extract(rest)) or bool(_VAGUE_DURATION.search(rest))
    if kind == "schedule":
        return bool(_SCHEDULE.search(text)) or carries("duration", text)
    if kind == "percent":
        return bool(_PERCENT.search(text))
    if kind == "frequency":
        return bool(_FREQUENCY.search(text))
    if kind == "age":
        return bool(_AGE.search(text))
    if kind == "count":
        if unit:
            return any(q.unit == unit for q in extract(text))
        return bool(extract(text)) or bool(_NUMBER_WORD.search(text))
    if kind == "agent":
        return bool(load_lexicon().find(text, ("drug",)))
    if kind == "date":
        return bool(_DATE.search(text))
    if kind == "cost":
        return bool(_MONEY.search(text))
    return True
