"""The deterministic rules layer: pure functions from an answer to a verdict.

Sentence rules (each gives pass/fail with a reason for one statement):

    citation    every statement carries a marker and every marker resolves
    support     the statement's content words are contained in its cited text
    numbers     every number (with unit, range) stands in the cited text
    drugs       every drug or therapy named stands in the cited text (any alias)
    qualifiers  negations and qualifiers ("not", "only", "less than", ...) match the source
    population  population words ("children", "adults") stand in the cited text

Answer rules (questions.py decides the question's intent; here they become
notices): population notice, conflict and currency, abstention.  Fail-closed:
:func:`verify` removes every statement that fails a rule.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from .lexicon import load_lexicon
from .numbers import WORD_VALUES, extract, fmt, missing_quantities, word_numbers
from .retrieve import light_stem, tokenize
from .types import Statement

RULES = {
    "citation": "Every factual statement carries at least one [n] marker, and every marker resolves to a passage.",
    "support": "The statement's content words are contained in its cited text.",
    "numbers": "Every number, unit and range in the statement appears in the cited text.",
    "drugs": "Every drug or therapy named in the statement appears in the cited text (by name or alias).",
    "qualifiers": "Negations and qualifiers (not, no, only, rarely, less than, at least, approximately...) "
                  "match the source.",
    "population": "Population words (children, adults, boys...) in the statement appear in the cited text.",
}
# For a sentence a language model wrote (assistant.paraphrase), two more:
MODEL_RULES = {
    "binding": "Each clause names its drugs, ages, lineage, Ph status, relapse order and timing as the part of the "
               "passage it rests on does, and each figure keeps the group its part of the passage gives it.",
    "comparison": "A comparison keeps its sides: what is compared against is what the passage compares against.",
}

QUALIFIERS = {
    "not": r"\bnot\b|n't\b|\bcannot\b|\byet to\b|\bfail(?:s|ed|ure)? to\b|\binability to\b|\bunable to\b|"
    r"\black(?:s|ed|ing)?\b|\babsen(?:t|ce)\b",
    "no": r"\bno\b|\bnone\b|\bnever\b|\bwithout\b(?<!\bwith or without)|\bneither\b|\bnor\b|\bnothing\b|"
    r"\bnobody\b",
    "only": r"\bonly\b|\bsolely\b", "rarely": r"\brarely\b|\bseldom\b", "usually": r"\busually\b|\btypically\b",
    "often": r"\boften\b|\bfrequently\b|\bcommonly\b", "sometimes": r"\bsometimes\b|\boccasionally\b",
    # "over 2 h" is how long an infusion runs, not "more than": over/under count only before a share or a weight.
    "less than": r"\bless than\b|\bfewer than\b|\bshorter than\b|<|\bbelow\b|"
    r"\bunder\s+(\d+(\.\d+)?\s*(%|percent|kg|lb)|"
    r"(a|one|two)\s+(third|quarter|half)|half\b|(two|three)-quarters)",
    "more than": r"\bmore than\b|\bgreater than\b|\blonger than\b|>|\babove\b|\bexceed|\bbeyond\b|"
    r"\bover\s+(\d+(\.\d+)?\s*"
    r"(%|percent|kg|lb)|(a|one|two)\s+(third|quarter|half)|half\b|(two|three)-quarters)",
    # "or more" is a limit after a count ("two or more"), not before an adjective ("or more intense doses")
    "at least": r"\bat least\b|≥|\bor (?:more(?!\s+[a-z]+(?:ive|ense|(?<!m)ent|ous|ful|able|ible|ic)\b)|greater|higher|"
    r"above|older|later)\b|\band (?:above|older)\b|\bminimum\b",
    "at most": r"\bat most\b|≤|\bno more than\b|\bup to\b|\bwithin\s+(?=\d|one|two|three|four|five|six|a year)|"
    r"\bor (?:less|fewer|younger|under|below)\b|"
    r"\band (?:under|younger)\b|\bnot to exceed\b|\bmaximum\b",
    "approximately": r"\bapproximately\b|\babout\b|\baround\b|\broughly\b|\bnearly\b|\balmost\b|\bestimated\b",
    "exactly": r"\bexactly\b|\bprecisely\b",
    "all": r"(?-i:\b[Aa]ll\b)(?:(?<!\bin all)|(?=\s+[a-z0-9]))|\bevery\b|\balways\b",
    "majority": r"\bmajority\b|\bmost\b", "minority": r"\bminority\b|(?<!\ba )\bfew\b|\bfewer\b",
    "may": r"\bmay\b|\bmight\b|\bcould\b|\bpossibly\b", "superior": r"\bsuperior\b|\bbetter\b|\bbest\b|\bimproved\b",
    "inferior": r"\binferior\b|\bworse\b|\bworst\b|\bpoorer\b|\bpoorest\b|\blower\b|\blowest\b",
    "higher": r"\bhigher\b|\bhighest\b|\bincreased?\b",
    "unknown": r"\bunknown\b|\bunclear\b|\buncertain\b|\bnot known\b",
    "small": r"\bsmall\b|\blittle\b|\blimited\b|\bslight", "large": r"\blarge\b|\bbig\b|\bmajor\b|\bsubstantial",
    "more": r"\bmore\b", "less": r"\bless\b", "early": r"\bearly\b|\bearlier\b", "late": r"\blate\b|\blater\b",
    "increase": r"\bincrease|\bimprove|\bgain|\brais(?:e|es|ed|ing)\b|\brise|\brising\b|\brose\b",
    "decrease": r"\bdecrease|\breduce|\bdecline|\bloss\b|\bfall(?:s|ing)?\b|\bfell\b|\bdrop(?:s|ped)?\b",
    "younger": r"\byounger\b|\bunder the age\b", "older": r"\bolder\b|\bover the age\b|\bover \d+ years",
}


def _gates(pattern: str) -> tuple[str, ...] | None:
    """Literal strings one of which must occur (lower-cased) for ``pattern`` to match; None when unknown.

    Each top-level alternative contributes its leading literal ("\\bexceed" -> "exceed"), so a qualifier
    whose words are absent is skipped with a substring test instead of a regex search.
    """
    alternatives, depth, start = [], 0, 0
    for i, ch in enumerate(pattern):
        if ch == "(" and pattern[i - 1:i] != "\\":
            depth += 1
        elif ch == ")" and pattern[i - 1:i] != "\\":
            depth -= 1
        elif ch == "|" and depth == 0:
            alternatives.append(pattern[start:i])
            start = i + 1
    alternatives.append(pattern[start:])
    gates = []
    for alt in alternatives:
        alt = alt.removeprefix("\\b")
        literal = re.match(r"[^\\.^$*+?{}\[\]()|]*", alt)
        head = literal.group(0) if literal else ""
        if not head:
            return None
        # a quantifier after the literal makes its last character optional
        gates.append((head[:-1] if alt[len(head):len(head) + 1] in ("?", "*", "{") else head).lower())
    return tuple(gates) if all(gates) else None


_QUAL = {k: (re.compile(v, re.I), _gates(v)) for k, v in QUALIFIERS.items()}


@dataclass
class CitedText:
    """What a marker [n] points to: the quoted text and its source's metadata."""

    n: int
    text: str
    doc_id: str = ""
    audience_age: str = ""
    context: str = ""  # its section and whom its document is about: what a paraphrase may lean on


@dataclass
class RuleResult:
    rule: str
    ok: bool
    reason: str = ""


@dataclass
class SentenceVerdict:
    sentence: str
    cites: list[int]
    ok: bool
    results: list[RuleResult] = field(default_factory=list)


@dataclass
class Verdict:
    ok: bool
    sentences: list[SentenceVerdict]
    removed: list[SentenceVerdict] = field(default_factory=list)
    notices: list[dict[str, str]] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(1 for s in self.sentences if s.ok)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": len(self.sentences), "passed": self.passed,
                "rules": list(RULES), "sentences": [asdict(s) for s in self.sentences],
                "removed": [asdict(s) for s in self.removed], "notices": self.notices}


@lru_cache(maxsize=8192)
def normalise(text: str) -> str:
    """Unicode variants folded, reference markers ("[7]", "relapse.1") removed, whitespace collapsed."""
    text = text.replace("\u00a0", " ").replace("²", "2").replace("’", "'").replace("–", "-")
    text = re.sub(r" ?\[\d+(?:\s*[,\-]\s*\d+)*\]", "", text)
    text = re.sub(r"(?<=[A-Za-z)®])\.\d{1,2}(?=\s|$)", ".", text)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    return re.sub(r"\s*\n\s*", "\n", text).strip()  # line breaks kept: they separate list items


# ----- sentence rules ------------------------------------------------------------------------------

def check_citation(stmt: Statement, cited: dict[int, CitedText]) -> RuleResult:
    if not stmt.cites:
        return RuleResult("citation", False, "no citation marker")
    bad = [n for n in stmt.cites if n not in cited]
    if bad:
        return RuleResult("citation", False, f"marker(s) {bad} do not resolve to a passage")
    return RuleResult("citation", True)


def support_coverage(sentence: str, cited: str) -> tuple[float, list[str]]:
    words = [t for t in tokenize(normalise(sentence)) if len(t) > 1]
    if not words:
        return 1.0, []
    have, stems = _words_and_stems(normalise(cited))
    missing = [w for w in words if w not in have and light_stem(w) not in stems]
    return 1 - len(missing) / len(words), missing


@lru_cache(maxsize=2048)
def _words_and_stems(text: str) -> tuple[frozenset[str], frozenset[str]]:
    have = frozenset(tokenize(text))
    return have, frozenset(light_stem(t) for t in have)


def check_support(sentence: str, cited: str, threshold: float) -> RuleResult:
    cov, missing = support_coverage(sentence, cited)
    if cov < threshold:
        return RuleResult("support", False, f"only {cov:.0%} of its content words are in the cited text "
                                            f"(missing: {', '.join(missing[:6])})")
    return RuleResult("support", True, f"{cov:.0%} of content words found")


SHARE_OF = {"half": 50.0, "quarter": 25.0}  # "half of the children" is what "50%" says, exactly


def check_numbers(sentence: str, cited: str) -> RuleResult:
    s, c = normalise(sentence), normalise(cited)
    missing = [fmt(q) for q in missing_quantities(s, c)]
    have_words = set(word_numbers(c))
    values = {v for q in extract(c) for v in (q.a, q.b) if v is not None}
    shares = {q.a for q in extract(c) if q.unit == "%" and q.b is None}
    missing += [w for w in word_numbers(s) if w not in have_words and WORD_VALUES.get(w) not in values
                and SHARE_OF.get(w) not in shares]
    if missing:
        return RuleResult("numbers", False, f"not in the cited text: {', '.join(missing)}")
    return RuleResult("numbers", True)


def check_drugs(sentence: str, cited: str) -> RuleResult:
    lex = load_lexicon()
    named = lex.find(normalise(sentence), ("drug", "therapy"))
    in_cited = {g for g, _ in lex.find(normalise(cited), ("drug", "therapy"))}
    missing = [name for g, name in named if g not in in_cited]
    if missing:
        return RuleResult("drugs", False, f"not named in the cited text: {', '.join(missing)}")
    return RuleResult("drugs", True)


# Whom else a statement is about: the leukemia's lineage and the treatment setting, checked like population
# words (a statement may name one only where its cited text does).
GROUP_WORDS = {
    "T-cell ALL": re.compile(r"\bT[- ]cell\b|\bT-ALL\b|\bT-lineage\b", re.I),
    "B-cell ALL": re.compile(r"\bB[- ]cell\b|\bB-ALL\b|\bB-precursor\b|\bprecursor B\b|\bpre-B\b|\bB-lineage\b",
                             re.I),
    "newly diagnosed": re.compile(r"\bnewly diagnosed\b|\bfront-?line\b|\bfirst-line\b|\bde novo\b", re.I),
    "relapsed": re.compile(r"\brelaps\w*|\brecurr\w*|\brefractory\b|\bsalvage\b|\bcame back\b|\bcomes back\b",
                           re.I),
}


def check_population(sentence: str, cited: str) -> RuleResult:
    lex = load_lexicon()
    s, c = normalise(sentence), normalise(cited)
    in_cited = {g for g, _ in lex.find(c, ("population",))}
    missing = [name for g, name in lex.find(s, ("population",)) if g not in in_cited]
    missing += [name for name, pattern in GROUP_WORDS.items() if pattern.search(s) and not pattern.search(c)]
    if missing:
        return RuleResult("population", False, f"the cited text is not about: {', '.join(missing)}")
    return RuleResult("population", True)


@lru_cache(maxsize=8192)
def qualifiers(text: str) -> frozenset[str]:
    """Qualifier kinds present in ``text`` (cached: statements, windows and cited texts repeat).

    The longest phrase wins where matches overlap: "no more than" is "at most", not also "no" and "more"."""
    return longest_matches(text, gated=True)


def longest_matches(text: str, gated: bool = True) -> frozenset[str]:
    """The kinds of the non-overlapping qualifier matches, longest first (``gated``: skip patterns whose
    literal gates are absent, a shortcut that must not change the result)."""
    low = text.lower()
    spans = [(m.start(), m.end(), name) for name, (pattern, gates) in _QUAL.items()
             if not gated or gates is None or any(g in low for g in gates) for m in pattern.finditer(text)]
    taken: list[tuple[int, int]] = []
    kinds = set()
    for start, end, name in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
        if all(end <= a or start >= b for a, b in taken):
            taken.append((start, end))
            kinds.add(name)
    return frozenset(kinds)


def best_window(sentence: str, cited: str) -> str:
    """The sentence or clause of the cited text that shares most words with ``sentence`` (shortest on ties)."""
    sentences = [p for p in re.split(r"(?<=[.;:!?])\s+|\n+", cited) if p.strip()]
    clauses = [c for p in sentences for c in re.split(r",\s+|;\s+", p) if c.strip()]
    words = set(tokenize(sentence))
    verbatim = [p for p in sentences if sentence.rstrip(".") in p]
    if verbatim:  # a quoted sentence or list item is compared with the part that holds it
        return min(verbatim, key=len)
    parts = sentences + clauses
    return max(parts, key=lambda p: (len(words & set(tokenize(p))), -len(p))) if parts else cited


def check_qualifiers(sentence: str, cited: str) -> RuleResult:
    """The statement's qualifiers against the best matching part of its cited text: none added, none dropped
    (a model's sentence is compared by meaning: :func:`assistant.meanings.check_paraphrase_qualifiers`)."""
    s, c = normalise(sentence), normalise(cited)
    window = best_window(s, c)
    mine, theirs = qualifiers(s), qualifiers(window)
    added = mine - qualifiers(c)
    dropped = theirs - mine
    if added or dropped:
        parts = ([f"adds '{', '.join(sorted(added))}'"] if added else []) + \
                ([f"drops '{', '.join(sorted(dropped))}'"] if dropped else [])
        return RuleResult("qualifiers", False, "; ".join(parts) + " compared with the source")
    return RuleResult("qualifiers", True)


def check_statement(stmt: Statement, cited: dict[int, CitedText], support_threshold: float,
                    paraphrase: bool = False) -> SentenceVerdict:
    """All sentence rules for one statement.  ``paraphrase`` (a sentence a model wrote): the support rule reads
    the cited text with its context and forgives glue and bridged lay words; the other rules stay strict,
    against the quote alone (a hedge such as "may" may be dropped)."""
    results = [check_citation(stmt, cited)]
    if results[0].ok:
        text = normalise("\n".join(cited[n].text for n in stmt.cites))
        sent = normalise(stmt.text)
        if paraphrase:
            from .paraphrase import model_sentence_rules  # imports this module

            wide = normalise("\n".join(f"{cited[n].context}\n{cited[n].text}" for n in stmt.cites))
            results += model_sentence_rules(sent, text, wide, support_threshold)
        else:
            results += [check_support(sent, text, support_threshold), check_numbers(sent, text),
                        check_drugs(sent, text), check_qualifiers(sent, text), check_population(sent, text)]
    return SentenceVerdict(stmt.text, list(stmt.cites), all(r.ok for r in results), results)


def verify(statements: list[Statement], cited: dict[int, CitedText], support_threshold: float = 0.8) -> Verdict:
    """Check every statement; the ones that fail are listed in ``removed`` (fail-closed)."""
    checked = [check_statement(s, cited, support_threshold) for s in statements]
    return Verdict(bool(checked) and all(s.ok for s in checked), checked, [s for s in checked if not s.ok])


# ----- parsing answers written elsewhere ---------------------------------------------------------

MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


def parse_answer(markdown: str) -> list[Statement]:
    """Split a markdown answer into statements with their ``[n]`` markers (the one marker format)."""
    out: list[Statement] = []
    for line in markdown.splitlines():
        line = line.strip()
        if not line:
            continue
        bullet = bool(re.match(r"^[-*•]\s+", line))
        line = re.sub(r"^[-*•]\s+", "", line)
        leading: list[int] = []  # "[2] Second generation TKIs ...": a marker opening a line cites what follows it
        for i, sent in enumerate(re.split(r"(?<=[.!?])\s+(?=[A-Z(])|(?<=\])\s+(?=[A-Z(])", line)):
            cites = [int(n) for m in MARKER.finditer(sent) for n in m.group(1).split(",")]
            text = MARKER.sub("", sent).strip()
            if not text and i == 0:
                leading = cites
            elif text:
                out.append(Statement(re.sub(r"\s+([.,;:])", r"\1", text), cites or leading, bullet=bullet))
                leading = []
    return out
