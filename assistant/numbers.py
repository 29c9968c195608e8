"""Numbers with units, normalised so that "81%" = "81 percent" and "mg/m²" = "mg/m2".

``extract(text)`` returns :class:`Quantity` tuples; a bare number in a list
or comparison ("34 versus 16 percent", "46, 22, and 10 percent") takes the
unit of the number that closes it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

UNITS = [
    (r"%|percent(?:age)?|per cent", "%"),
    (r"mcg\s*/\s*m\s*2\s*/\s*day|mcg/m²/day", "mcg/m2/day"),
    (r"mg\s*/\s*m\s*[2²]\s*/\s*day", "mg/m2/day"),
    (r"mg\s*/\s*m\s*[2²]|mg/sq\.? ?m", "mg/m2"),
    (r"g\s*/\s*m\s*[2²]|gm?/sq\.? ?m", "g/m2"),
    (r"mcg\s*/\s*day", "mcg/day"),
    (r"mcg", "mcg"), (r"mg/kg", "mg/kg"), (r"mg", "mg"), (r"kg", "kg"), (r"g/dL", "g/dL"), (r"g/liter", "g/L"),
    (r"lbs?\b|pounds?", "lb"), (r"cGy", "cGy"), (r"Gy", "Gy"),
    (r"[x×]\s*10\s*\^?\s*9\s*/\s*L|× 109/L|x 109/L", "x10^9/L"),
    (r"/microL", "/microL"),
    (r"months?|mo\b", "month"), (r"years?|yrs?|y\b", "year"), (r"weeks?|wks?|wk\b", "week"),
    (r"days?|d\b", "day"), (r"hours?|hrs?|h\b", "hour"), (r"minutes?|min\b", "minute"),
    (r"points?", "point"), (r"doses?", "dose"), (r"patients?", "patient"), (r"cycles?", "cycle"),
    (r"times", "times"),
]
_UNIT_RE = "|".join(f"(?:{p})" for p, _ in UNITS)
NUMBER = re.compile(
    r"(?<![\w.])(?<![A-Za-z]-)(?P<a>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
    r"(?:\s*(?:–|-|to)\s*(?P<b>\d+(?:\.\d+)?)(?!\w))?"
    r"(?:(?:\s*|-)(?P<u>" + _UNIT_RE + r"))?(?![A-Za-z])"
)
LINK = re.compile(r"^\s*(?:,|;|versus|vs\.?|and|or|,\s*and|,\s*or)\s*$")
# "one" is left out: it is also a pronoun ("a short one"); "one year" is still a quantity (see _WORD_UNIT).
WORD_NUMBERS = re.compile(r"\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
                          r"half|halves|third|thirds|quarter|quarters|twice|double|triple|single)\b", re.I)


class Quantity(NamedTuple):
    a: float
    b: float | None
    unit: str


@lru_cache(maxsize=1024)
def _unit(raw: str | None) -> str:
    if not raw:
        return ""
    for pattern, norm in UNITS:
        if re.fullmatch(pattern, raw.strip(), re.I if norm not in ("Gy", "cGy") else 0):
            return norm
    return raw.strip()


def _num(s: str) -> float:
    return float(s.replace(",", ""))


WORD_VALUES = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
               "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "eighteen": 18, "twenty": 20, "thirty": 30,
               "forty": 40, "fifty": 50}
_WORD_UNIT = re.compile(r"\b(" + "|".join(WORD_VALUES) + r")\b(?=(?:\s*(?:to|-|–)\s*\w+)?[\s-]+(?:" + _UNIT_RE + r"))",
                        re.I)


_WORD_LIST = re.compile(r"\b(" + "|".join(WORD_VALUES) + r")\b(?=\s*(?:,|and|or|to|versus|vs\.?)\s*\d)", re.I)
_ROMAN = {"I": "1", "II": "2", "III": "3", "IV": "4", "i": "1", "ii": "2", "iii": "3", "iv": "4"}


def extract(text: str) -> list[Quantity]:
    return list(_extract(text))


@lru_cache(maxsize=8192)
def _extract(text: str) -> tuple[Quantity, ...]:
    """The quantities of ``text`` (cached: a cited passage is checked once per statement that cites it)."""
    text = text.replace("\u00a0", " ").replace("²", "2")
    # "52 mg/m2 per day" = "52 mg/m2 daily" = "52 mg/m2/day"
    text = re.sub(r"(mg\s*/\s*m\s*2|mcg\s*/\s*m\s*2|mcg|mg)\s*(?:per day|daily|a day)\b", r"\1/day", text, flags=re.I)
    # "three months", "Twenty to thirty percent": number words before a unit count as numbers.
    text = _WORD_UNIT.sub(lambda m: str(WORD_VALUES[m.group(1).lower()]), text)
    text = re.sub(r"\b(\d+) to (" + "|".join(WORD_VALUES) + r")\b",
                  lambda m: f"{m.group(1)} to {WORD_VALUES[m.group(2).lower()]}", text, flags=re.I)
    # "seven and three months": a number word joined to a number that has a unit takes part in the list
    text = _WORD_LIST.sub(lambda m: str(WORD_VALUES[m.group(1).lower()]), text)
    # "Phase II" = "phase 2"
    text = re.sub(r"\b(phase)\s+(IV|I{1,3})\b", lambda m: f"{m.group(1)} {_ROMAN[m.group(2)]}", text, flags=re.I)
    found = [(m, Quantity(_num(m.group("a")), _num(m.group("b")) if m.group("b") else None, _unit(m.group("u"))))
             for m in NUMBER.finditer(text)]
    out = [q for _, q in found]
    # A bare number joined to the next one by "versus", "," or "and" takes that number's unit.
    for i in range(len(found) - 2, -1, -1):
        m, q = found[i]
        nxt_m, _ = found[i + 1]
        if not q.unit and out[i + 1].unit and LINK.match(text[m.end():nxt_m.start()]):
            out[i] = q._replace(unit=out[i + 1].unit)
    return tuple(out)


def word_numbers(text: str) -> list[str]:
    return [w.lower() for w in WORD_NUMBERS.findall(text)]


def missing_quantities(sentence: str, cited: str) -> list[Quantity]:
    """Quantities of ``sentence`` that the cited text does not state."""
    have = _extract(cited)
    have_set = set(have)
    values = {q.a for q in have if q.b is None} | {q.b for q in have if q.b is not None} | {q.a for q in have}
    values |= {float(WORD_VALUES[w]) for w in word_numbers(cited) if w in WORD_VALUES}  # "seven of 11"
    ranges = {(q.a, q.b) for q in have if q.b is not None}
    mine = _extract(sentence)
    both_ends = {(end, r.unit) for r in have if r.b is not None and r.unit and (r.a, None, r.unit) in mine
                 and (r.b, None, r.unit) in mine for end in (r.a, r.b)}
    missing = []
    for q in mine:
        if q in have_set or (q.b is None and (q.a, q.unit) in both_ends):
            continue  # "between 20% and 30%" for "twenty to thirty percent"
        if q.b is None and q.unit in COUNT_NOUNS and _counted_later(q.a, q.unit, cited):
            continue  # "16 of 45 patients" for "16 of 45 (36 percent) patients"
        if not q.unit and q.b is None and q.a in values:
            continue  # a bare number: its value must appear
        if not q.unit and q.b is not None and (q.a, q.b) in ranges:
            continue  # a bare range ("aged 1 to 21"): the same bounds must appear ("1-21 y")
        missing.append(q)
    return missing


# Count units a word or a parenthesis may separate from their number in the cited text ("3 divided doses",
# "two treatment cycles", "405 heavily pretreated adults").
COUNT_NOUNS = {"patient": r"patients?|adults?|children|people|persons?|boys|girls|men|women",
               "dose": r"doses?", "cycle": r"cycles?", "point": r"points?"}


def _counted_later(value: float, unit: str, cited: str) -> bool:
    n = str(int(value)) if value == int(value) else str(value)
    words = [w for w, v in WORD_VALUES.items() if v == value]
    number = "|".join([re.escape(n), *words])
    later = rf"(?<![\w.])(?:{number})\s+(?:\([^)]*\)\s*)?(?:[A-Za-z-]+\s+){{0,2}}(?:{COUNT_NOUNS[unit]})\b"
    return bool(re.search(later, cited, re.I))


def fmt(q: Quantity) -> str:
    def n(x: float) -> str:
        return str(int(x)) if x == int(x) else str(x)
    return n(q.a) + (f"–{n(q.b)}" if q.b is not None else "") + (f" {q.unit}" if q.unit else "")
