"""Pure checks on the question itself: clean it, and tell its intent.

``sanitize`` turns raw user text into a safe question (or raises InputError);
``intent`` flags personal advice, emergencies, prompt injection, off-topic
questions and the population asked about; ``retrieval_query`` folds earlier
turns into follow-ups ("what about in kids?").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .errors import InputError
from .lexicon import load_lexicon
from .phrases import ERROR_EMPTY, ERROR_TOO_LONG

INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\U000e0000-\U000e007f]")
CONTROL = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

PERSONAL = re.compile(
    r"\b(my|our|his|her)\s+(\d+[- ]?(year|yr|kg)[- ]?old\s+)?(son|daughter|child|kid|kids|baby|boy|girl|husband|wife|"
    r"partner|mom|mum|mother|dad|father|brother|sister|friend|grandson|granddaughter|patient|teen|teenager)\b|"
    r"\bshould (i|we|he|she|they|my)\b|\b(can|could|may) (i|we|he|she) (take|give|stop|skip|switch|double|"
    r"increase|get|have|receive|use|try|start)\b|\bi'?m \d+\b|\bi am \d+\b|"
    r"\b(i|we) (am|are|'m|'re)? ?(taking|on|getting)\b|\bfor me\b|\bmy (dose|treatment|doctor|oncologist|"
    r"chemo|leukemia|leukaemia|all|cancer|blood|counts?)\b|\b\d+(\.\d+)?\s?kg\b|\bhow much should\b|"
    r"\b(i|we) (have|was|were|got) (been )?(diagnosed|relapsed)\b|\bshould (he|she) (take|get|have|switch)\b|"
    r"\bmy \d+\s?(-?years?|-?yrs?|yo|y/o)\b|\b\d+\s?(yo|y/o)\b|\bmy (son|daughter|child|kid|husband|wife|mom|dad)s\b|"
    r"\b(his|her|my|our)\s+([\w'’-]+\s+){0,2}(leukemia|leukaemia|all|cancer|odds|chances?|dose|doses|treatment|"
    r"relapse|doctor|oncologist|counts?|marrow|transplant|chemo)\b|"
    r"\b(he|she|i|we) (has |have |had |just |)(relapsed|relapses|was diagnosed|were diagnosed)\b|"
    r"^\s*(son|daughter|dad|mom|mum|husband|wife|brother|sister)\b|"
    r"\b(he|she)(\s?'?s| is) \d+\b|\b(will|does|do|should|would|can|could) (i|he|she|we|they|my \w+) "
    r"(get|take|need|receive|be given)\b|\b(kids?|children|someone|patients?) like (him|her|me|us)\b",
    re.I)
EMERGENCY = re.compile(
    r"\bfever\b|\btemperature\b|\bchills\b|\bbleed(ing|s)?\b|\bbruis|\bconfus|\bseizure|\bconvuls|"
    r"\b(can't|cannot|trouble|difficulty|hard to|struggling to) breath|\bshort(ness)? of breath|\bchest pain\b|"
    r"\bunconscious\b|\bpassed out\b|\bfaint|\bunresponsive\b|\bnot waking\b|\bsevere (pain|headache)\b|"
    r"\bblood in (the )?(urine|stool)\b|\bvomiting blood\b|\bemergency\b|\bcan't stop\b",
    re.I)
INJECTION = re.compile(
    r"\bignore (all |any |the |your |previous |prior |above |earlier )*(instructions|rules|prompts?|directions)\b|"
    r"\b(system|hidden|initial) prompt\b|\breveal (your|the) (instructions|rules|prompt)\b|\byou are now\b|"
    r"\bDAN\b|\bjailbreak|\bdeveloper mode\b|\bwithout (any )?citations?\b|\bno citations\b|"
    r"\b(rules?|safety|filters?) (are |is )?(disabled|off|suspended)\b|\bdisregard\b|\bpretend (to be|you)\b|"
    r"\bact as\b|\bforget (all|everything|your)\b|\boverride\b|<\|im_start\|>|\[INST\]|^\s*SYSTEM\s*:|"
    r"\bprint your\b|\brepeat (the|your) (instructions|prompt)\b|\bconfirm it\b|\bsay (that|yes)\b|"
    r"\b(the|this) (assistant|chatbot|bot|model) (must|should|shall|has to|will|is required to)\b|"
    r"\byou (must|should|shall|have to) (always |now )?(recommend|answer|say|reply|tell|respond|output)\b",
    re.I | re.M)
STOP_CHANGE = re.compile(
    r"\b(stop|stopping|quit|quitting|skip|skipping|miss|missing|change|changing|switch|switching|double|doubling|"
    r"halve|lower|lowering|reduce|reducing|cut|cutting|pause|pausing|come off|go off|take a break from)\b"
    r"[^.?!]{0,60}\b(dose|doses|medicine|medicines|medication|medications|drugs?|pills?|tablets?|treatment|chemo|"
    r"infusion|bag|\w+nib|\w+mab|\w+cel|\w+ine|\w+ide|blina|tki)\b|"
    # "can I just stay on the gleevec?", "is it safe to restart it", "should we stop it or give him less"
    r"\b(can|could|should|may|might|would|want to|ok to|okay to|safe to|fine to|thinking (of|about)|"
    r"if (i|we|he|she|they))\b[^.?!]{0,40}\b(stop|stopping|quit|skip|skipping|miss|change|switch|double|halve|"
    r"lower|reduce|cut|pause|restart|resume|stay on|keep taking|come off|go off|hold off|give (him|her|me|them) less|"
    r"take less|take a break)\b[^.?!]{0,60}\b(it|them|one|rest|less|dose|doses|steroids?|the \w+|my \w+|his \w+|"
    r"her \w+|something else)\b", re.I)
DOMAIN = re.compile(
    r"leuk|leuc|lymph|\ball\b|cancer|tumou?r|oncolog|chemo|remission|relaps|refractor|marrow|transplant|"
    r"\bhct\b|\bsct\b|\bbmt\b|\bcar[- ]?t\b|blast|\bmrd\b|\bcns\b|philadelphia|\bph[+-]|tki|kinase|"
    r"\bcr\b|cytokine|dose|dosage|drug|treatment|therapy|trial|survival|prognos|relapse|cure|platelet|"
    r"intrathecal|radiation|spinal|antibod|infusion|hematolog|haematolog|oncologist|induction|salvage",
    re.I)
OTHER_DISEASE = re.compile(
    r"\b(AML|acute myeloid|acute myelogenous|CLL|chronic lymphocytic|CML|chronic myeloid|myeloma|"
    r"hodgkin|breast cancer|lung cancer|prostate|diabetes|asthma|covid(?!-19 pandemic))\b", re.I)
# ALL named beside another disease: "ALL" in capitals ("it wasnt all gone" is the word), B-ALL, lymphoblastic.
ALL_NAMED = re.compile(r"(?-i:\bALL\b)|\b[bt]-all\b|\bpre-?b all\b|lymphoblastic|acute lymphocytic", re.I)
FOLLOW_UP_START = re.compile(r"^(and|what about|how about|and what about|what if|same for|also|then|is it|are they|"
                             r"does it|do they|how about)\b", re.I)
FOLLOW_UP = re.compile(r"^(and|what about|how about|and what about|what if|in|for|same for|also|then|is it|"
                       r"are they|does it|do they|what's the|which)\b|\b(it|its|they|them|this|that|those|these|"
                       r"there|kids|children|adults)\??$", re.I)


# One particular patient, as clinicians write it ("pt of mine", "my pt", "52F", "in his case", "40 yrs old").
SOMEONE = re.compile(r"\b(my|our|a|this|the) pts?\b(?!\s+(population|group|selection))|\bpts? of mine\b|"
                     r"\b\d{1,2}\s?[MF]\b|\bin (his|her|my|their) case\b|\b\d{1,2}[- ]?(yrs?|years?)[- ]old\b",
                     re.I)
# The asker's own treatment: "do i really have to stay in for the blincyto", "can we skip the TKI"
FIRST_PERSON = re.compile(r"\b(i|i'm|im|i've|me|we|we're)\b", re.I)  # not "us": "the US market"
_TEMPERATURE = re.compile(r"\b(?:t|temp|temperature|fever)\s*(?:of|is|was|:)?\s*(\d{2}(?:\.\d)?)\s*(?:°\s*c|c\b)?|"
                          r"\b(\d{2}(?:\.\d)?)\s*°\s*c?\b", re.I)
POSSESSIVE_NAME = re.compile(r"\b(my|our|his|her)\s+[A-Z][a-z]+\b")
_BLOOD_PRESSURE = re.compile(r"\b(?:bp|blood pressure)\s*(?:of|is|was|:)?\s*(\d{2,3})\s*/\s*\d{2,3}\b", re.I)


def _named_person(question: str) -> bool:
    """A person named after a possessive ("our Noah", "my Emma"): a capitalised proper noun (by the tagger) that
    names no drug, therapy or abbreviation of the lexicon."""
    if not POSSESSIVE_NAME.search(question):
        return False
    from .grammar import tags

    words = tags(question)
    for (before, _), (word, pos) in zip(words, words[1:], strict=False):
        if before.lower() in ("my", "our", "his", "her") and pos == "PROPN" and word[:1].isupper() and \
                word[1:].islower() and not load_lexicon().find(word):
            return True
    return False


def _abnormal_vitals(question: str) -> bool:
    """A temperature of 38 °C or more, or a systolic blood pressure under 90, stated as a number ("T 39.5",
    "fever of 40", "BP 80/40"): someone needs care now, whatever words come with it."""
    temps = [float(a or b) for a, b in _TEMPERATURE.findall(question)]
    pressures = [int(x) for x in _BLOOD_PRESSURE.findall(question)]
    return any(38.0 <= t <= 43.0 for t in temps) or any(p < 90 for p in pressures)


NOT_AN_AGE = r"(?!\s*(%|kg|kilo|lb|mg|mcg|months?|mo\b|weeks?|wks?|days?|m2|m²|percent|cycles?|doses?|times|x\b))"
AGE = re.compile(
    r"\b(i'?m|i am|im|he'?s|she'?s|hes|shes|(he|she|son|daughter|dad|mom|mum|husband|wife|brother|sister|"
    r"father|mother|patient|pt) is|aged?|turned)\s+(?P<a>\d{1,2})\b" + NOT_AN_AGE + "|"
    r"\b(?P<b>\d{1,2})\s?-?\s?(yo|y/o|year[- ]olds?|yr[- ]olds?|years? old|yrs? old)\b|"
    r"\b(son|daughter|husband|wife|mom|mum|dad|brother|sister|father|mother)\s*\((?P<c>\d{1,2})\)|"
    r"\b(?P<d>\d{2})\s?[MF]\b", re.I)


def asker_age(question: str) -> int | None:
    """The age of the person asked about, when the question gives one ("my son is 6", "I'm 45", "44F")."""
    m = AGE.search(question)
    return int(next(g for g in m.group("a", "b", "c", "d") if g)) if m else None


def population_of(question: str) -> str:
    """Children or adults: from an age when one is given (under 18, over 21), else from the words used."""
    age = asker_age(question)
    if age is not None and (age < 18 or age > 21):
        return "children" if age < 18 else "adults"
    pops = {g.canonical for g, _ in load_lexicon().find(question, ("population",))}
    return "children" if "children" in pops else ("adults" if "adults" in pops else "")


FEELING = re.compile(
    r"\b(i'?m|i am|im|we'?re|we are|feel|feeling|so|really)\s+(so\s+|really\s+|very\s+)?(scared|afraid|"
    r"terrified|frightened|worried|anxious|lost|overwhelmed|devastated|heartbroken|hopeless|desperate|numb)\b|"
    r"\b(will|is|could|might)\s+(he|she|my \w+|i|they)\s+(die|be dying|going to die|not make it|survive this)\b|"
    r"\b(going to|gonna) (die|lose (him|her))\b|\bcan'?t (cope|stop crying|go on|do this)\b|"
    r"\bgrie(f|ving)\b", re.I)
GRIEF = re.compile(r"\b(passed away|has died|had died|died|we lost (him|her)|lost (my|our) (son|daughter|child|"
                   r"husband|wife|mom|mum|dad|baby|brother|sister|boy|girl))\b", re.I)
# Words that mark a question written in another language (English has none of them as words).
FOREIGN_WORDS = frozenset("""que qué cuál cual cómo como dosis leucemia hijo hija mi mis del los las para con por una
es está están puede tiene niño niña tratamiento recaída cuánto cuanto quelle quel quels comment leucémie fils fille
mon ma mes pour avec une est sont dois traitement rechute combien welche welcher wie ist mein meine sohn tochter für
mit und leukämie behandlung rückfall wieviel qual quale figlio figlia mio mia leucemia trattamento recidiva quanto
filho filha meu minha tratamento recaída quantos qual é não sim""".split())
ENGLISH_WORDS = frozenset("""the is are what which how of for and my with can does do a an in to it this that
dose""".split())
NON_LATIN = re.compile(r"[\u0400-\u04ff\u0590-\u05ff\u0600-\u06ff\u0900-\u097f\u0e00-\u0e7f\u3040-\u30ff"
                       r"\u3400-\u9fff\uac00-\ud7af]")


def foreign(question: str) -> bool:
    """True for a question written in another language than English (another script, or its words)."""
    words = re.findall(r"[^\W\d_]+", question.lower())
    # Words wholly in another script; a word mixing scripts is a look-alike spelling, not another language.
    if words and sum(all(NON_LATIN.match(ch) for ch in w) for w in words) / len(words) > 0.3:
        return True
    other = sum(w in FOREIGN_WORDS for w in words)
    return other >= 2 and other > 2 * sum(w in ENGLISH_WORDS for w in words)


@dataclass(frozen=True)
class Intent:
    personal: bool
    emergency: bool
    injection: bool
    on_topic: bool
    population: str  # "children" | "adults" | ""
    other_disease: bool = False  # asks about a disease these sources do not cover (AML, CML, ...)
    stop_change: bool = False  # asks whether to stop, skip or change a medicine
    feeling: bool = False  # fear ("I'm scared", "will my son die")
    foreign: bool = False  # written in another language than English
    grief: bool = False  # someone has died


def sanitize(text: object, max_chars: int) -> str:
    """A clean question or InputError: control and invisible characters removed, NFKC, length-capped."""
    if not isinstance(text, str):
        raise InputError(ERROR_EMPTY)
    if len(text) > max_chars * 4:
        raise InputError(ERROR_TOO_LONG.format(length=len(text), limit=max_chars))
    text = unicodedata.normalize("NFKC", text)
    text = CONTROL.sub(" ", INVISIBLE.sub("", text))
    text = re.sub(r"<[^<>]{0,300}>", " ", text)  # markup is not part of a question (the UI escapes it too)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cs", "Co", "Cn"))
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise InputError(ERROR_EMPTY)
    if len(text) > max_chars:
        raise InputError(ERROR_TOO_LONG.format(length=len(text), limit=max_chars))
    return text


def intent(question: str) -> Intent:
    lex = load_lexicon()
    population = population_of(question)
    on_topic = bool(DOMAIN.search(question) or lex.find(question, ("drug", "therapy", "abbr")))
    # about another disease: it is named more often than ALL ("AML ... for AML like there is for ALL")
    other = len(OTHER_DISEASE.findall(question)) > len(ALL_NAMED.findall(question))
    personal = bool(PERSONAL.search(question) or SOMEONE.search(question)) or _named_person(question) or \
        (bool(FIRST_PERSON.search(question)) and bool(lex.find(question, ("drug", "therapy"))))
    return Intent(personal, bool(EMERGENCY.search(question) or _abnormal_vitals(question)),
                  bool(INJECTION.search(question)), on_topic, population, other,
                  bool(STOP_CHANGE.search(question)), bool(FEELING.search(question)), foreign(question),
                  bool(GRIEF.search(question)))


def strip_injection(question: str) -> str:
    """The question without the sentences that carry an injection attempt."""
    parts = re.split(r"(?<=[.!?\n:;])\s+|(?<=[.!?][\"'”’])\s+", question)
    kept = [p for p in parts if not INJECTION.search(p)]
    return " ".join(kept).strip()


def retrieval_query(question: str, history: list[dict[str, str]]) -> str:
    """For a short follow-up, prepend the last user question so retrieval keeps the topic."""
    users = [h.get("content", "") for h in history if h.get("role") == "user" and isinstance(h.get("content"), str)]
    if not users:
        return question
    words = re.findall(r"\w+", question)
    names_topic = bool(load_lexicon().find(question, ("drug", "therapy"))) or \
        bool(re.search(r"leuk|lymphoblastic|lymphocytic", question, re.I)) or bool(re.search(r"\bALL\b", question))
    starts_as_follow_up = bool(FOLLOW_UP_START.match(question.strip()))
    if starts_as_follow_up or (not names_topic and (len(words) <= 6 or FOLLOW_UP.search(question.strip()))):
        return f"{users[-1][:500]} {question}"
    return question


def clean_history(history: object, max_turns: int, max_chars: int) -> list[dict[str, str]]:
    """Well-formed, truncated history; anything malformed is dropped rather than failing."""
    if not isinstance(history, list):
        return []
    out = []
    for turn in history[-max_turns:] if max_turns else []:
        if not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant"):
            continue
        content = turn.get("content")
        if isinstance(content, list):  # Gradio 6 message parts
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        if isinstance(content, str) and content.strip():
            out.append({"role": turn["role"], "content": CONTROL.sub(" ", INVISIBLE.sub("", content))[:max_chars]})
    return out
