"""Which candidate sentences answer the question: a fitted sentence ranker.

Every sentence of the retrieved passages (and of a few passages ranked after them) gets the named features of
:data:`FEATURES`: its composer score and the parts it is made of (embedding cosine, idf-weighted concept overlap
through the vocabulary bridge, the passage's fused rank), how far it sits below the best candidate, whether it
gives the kind of value the question asks for (a dose, a duration, a rate ...), names the drug asked about, is
about another population, sits in the best sentence's passage, and whether dense and BM25 retrieval agree on its
passage.  A standardised logistic regression over them, fitted on the dev and training sets with the gold
evidence as labels (``assistant fit --ranker``; weights, scaling and the selection rule in
``data/ranker.json``), gives the probability that the sentence carries the answer.  The composer picks the
most probable sentences: the best one, then every other whose probability reaches both an absolute ``floor``
and a ``ratio`` of the best one's (both chosen on the out-of-fold probabilities of the fitting sets).

Pure: :func:`cues` reads a question, :func:`features` one candidate against the best of its pool
(:func:`top_of`), :class:`Ranker` maps feature rows to probabilities and :func:`select` picks.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .answertype import Focus, asked, carries, coverage, focus_about
from .context import asked_groups, groups_in
from .lexicon import named

if TYPE_CHECKING:
    from .compose import Scored

FEATURES = (
    "score",           # the composer's hand-weighted score (0.6 cosine + 0.4 overlap + rank and cue bonuses)
    "cosine",          # embedding cosine of the sentence (with the sentence it refers back to) to the question
    "overlap",         # idf-weighted share of the question's concepts (through the bridge) in the sentence
    "score_gap",       # score minus the best candidate's score
    "cosine_gap",      # cosine minus the best candidate's cosine
    "overlap_gap",     # overlap minus the best candidate's overlap
    "passage_rank",    # 1 / (1 + rank of its passage in the fused retrieval)
    "deeper",          # 1 when its passage is ranked after the top k handed to the composer
    "agreement",       # 1 when its passage is in both the dense and the BM25 top 5
    "best_passage",    # 1 when it sits in the best candidate's passage
    "dose_unit",       # a dose question and the sentence states a drug dose (mg, mcg, g/m2, cGy)
    "value_given",     # the question asks for a value (duration, rate, age ...) and the sentence states one
    "value_missing",   # the question asks for a value and the sentence states none
    "number",          # the sentence states a number
    "drug_named",      # the question names a drug or therapy and the sentence (or its section) names it too
    "drug_other",      # the question names a drug or therapy and the sentence names only others
    "population_other",  # the question names a group (children, adults ...) and the sentence is about another
    "list_part",       # a list's lead-in or item
    "length",          # log of the sentence's length in characters
    "adjacent",        # it is the sentence just before or after the best candidate in its document
    "list_wanted",     # the question asks for several things (a plural after what / which, "list", "include")
                       # and the sentence is a list's lead-in or item
    "focus",           # share of what the asking clause is about (its words and terms, less cue words and
                       # setting: "supportive care" in "what supportive care might my kid get") in the sentence
)
DATA = "data/ranker.json"  # fitted with the real embedder; "data/ranker-<kind>.json" for another one
DOSE_UNIT = re.compile(r"\d\s*(mg|mcg|µg|g/m|gm/sq|cGy|Gy\b|cells/kg|units?/m)", re.I)
NUMBER = re.compile(r"\d")
DOSE_ASKED = re.compile(r"\b(dose|doses|dosage|dosing|how much(?!\s+(more|less|\w{3,}er)\b)|mg|mcg)\b", re.I)


@dataclass(frozen=True)
class Cues:
    """What ranking needs to know about the question (the resolved text and the clause that asks)."""

    dose: bool
    kind: str
    unit: str
    treatments: frozenset[str]
    groups: frozenset[str]
    several: bool = False
    focus: Focus | None = None


NOT_PLURAL = frozenset("does is was has this his its us yes less plus process status always perhaps".split())
# plurals that ask for one value, not a list ("what are his chances", "what are the odds")
VALUE_PLURALS = frozenset("chances odds rates percentages years months weeks days hours times".split())


def asks_several(text: str) -> bool:
    """Whether a question asks for several things: a plural within three words after "what" / "which" ("what
    tests", "which other drugs", "what are the options"), or "list" / "include"."""
    words = re.findall(r"[a-z]+", text.lower())
    if "list" in words or "include" in words or "includes" in words:
        return True
    return any(w.endswith("s") and not w.endswith("ss") and len(w) > 3 and w not in NOT_PLURAL
               and w not in VALUE_PLURALS
               for i, q in enumerate(words) if q in ("what", "which") for w in words[i + 1:i + 4])


def cues(text: str, asking: str) -> Cues:
    ask = asked(asking)
    return Cues(bool(DOSE_ASKED.search(text)), ask.kind, ask.unit, frozenset(named(text, ("drug", "therapy"))),
                frozenset(asked_groups(text)), asks_several(asking), focus_about(asking, text))


class Top(NamedTuple):
    """The best of a pool of candidates: what each candidate is measured against."""

    score: float
    cosine: float
    overlap: float
    passage: str  # the best-scoring candidate's passage
    doc: str = ""  # ... its document
    position: int = -1  # ... and its place there


def top_of(pool: Sequence[Scored]) -> Top:
    best = max(pool, key=lambda x: x.score)
    return Top(best.score, max(x.cosine for x in pool), max(x.overlap for x in pool), best.passage.chunk.id,
               best.unit.doc_id, best.unit.position)


def features(s: Scored, top: Top, q: Cues, ranks: dict[str, int], top_k: int, about: str = "") -> dict[str, float]:
    """The features of candidate ``s`` in a pool whose best is ``top`` (``ranks``: each passage's fused rank,
    from 0; ``about``: whom the sentence is about, from its words, context, section or document, when known)."""
    text = s.unit.text
    leaf = s.unit.section.split(" > ")[-1]
    rank = ranks.get(s.passage.chunk.id, len(ranks))
    p = s.passage
    names = named(f"{leaf} {text}", ("drug", "therapy")) if q.treatments else set()
    pops = ({about} if about else groups_in(text)) if q.groups else set()
    given = bool(q.kind) and carries(q.kind, text, q.unit)
    return {
        "score": s.score,
        "cosine": s.cosine,
        "overlap": s.overlap,
        "score_gap": s.score - top.score,
        "cosine_gap": s.cosine - top.cosine,
        "overlap_gap": s.overlap - top.overlap,
        "passage_rank": 1.0 / (1 + rank),
        "deeper": float(rank >= top_k),
        "agreement": float(p.dense_rank is not None and p.dense_rank < 5 and p.bm25_rank is not None
                           and p.bm25_rank < 5),
        "best_passage": float(p.chunk.id == top.passage),
        "dose_unit": float(q.dose and bool(DOSE_UNIT.search(text))),
        "value_given": float(given),
        "value_missing": float(bool(q.kind) and not given),
        "number": float(bool(NUMBER.search(text))),
        "drug_named": float(bool(names & q.treatments)),
        "drug_other": float(bool(names) and not (names & q.treatments)),
        "population_other": float(bool(pops) and not (pops & q.groups)),
        "list_part": float(s.unit.kind in ("lead", "item")),
        "length": math.log1p(len(text)),
        "adjacent": float(s.unit.doc_id == top.doc and abs(s.unit.position - top.position) == 1),
        "list_wanted": float(q.several and s.unit.kind in ("lead", "item")),
        "focus": coverage(q.focus, f"{leaf} {text}", synonyms=True) if q.focus is not None else 0.0,
    }


@dataclass(frozen=True)
class Ranker:
    """A fitted standardised logistic regression over :data:`FEATURES`, and the selection rule."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    floor: float      # no sentence but the best is picked below this probability
    ratio: float      # ... nor below this share of the best sentence's probability
    meta: dict[str, Any]

    def probability(self, row: dict[str, float]) -> float:
        z = self.intercept + sum(c * (row[f] - m) / (sd or 1.0)
                                 for f, m, sd, c in zip(FEATURES, self.mean, self.scale, self.coef, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(FEATURES), "mean": list(self.mean), "scale": list(self.scale),
                "coef": list(self.coef), "intercept": self.intercept, "floor": self.floor, "ratio": self.ratio,
                "meta": self.meta}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Ranker:
        if tuple(d["features"]) != FEATURES:
            raise ValueError("the ranker was fitted on other features: run `assistant fit --ranker`")
        return cls(tuple(d["mean"]), tuple(d["scale"]), tuple(d["coef"]), float(d["intercept"]),
                   float(d["floor"]), float(d["ratio"]), d.get("meta", {}))


def select(probs: Sequence[float], floor: float, ratio: float) -> list[int]:
    """Indices of the candidates to use, most probable first: the best, then each that reaches ``floor`` and
    ``ratio`` of the best's probability (the composer still applies its length cap and near-duplicate rule)."""
    order = sorted(range(len(probs)), key=lambda i: -probs[i])
    if not order:
        return []
    top = probs[order[0]]
    return [order[0]] + [i for i in order[1:] if probs[i] >= floor and probs[i] >= ratio * top]


@lru_cache(maxsize=4)
def load_ranker(kind: str = "minilm", path: str | None = None) -> Ranker | None:
    """The packaged ranker for the embedder ``kind`` (None when none was fitted for it)."""
    if path is not None:
        return Ranker.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    name = DATA if kind == "minilm" else DATA.replace(".json", f"-{kind}.json")
    res = files("assistant").joinpath(name)
    if not res.is_file():
        return None
    return Ranker.from_dict(json.loads(res.read_text(encoding="utf-8")))
