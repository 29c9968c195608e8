"""The answerability decision: answer, partial ("the sources do not say ...") or abstain.

One place decides whether the retrieved sentences answer the (resolved) question.  It reads a dozen named
features of the question and of its best candidate sentences (:data:`FEATURES`), scores them with a logistic
regression fitted on the dev and training sets (``assistant fit``; weights, scaling and thresholds in
``data/decision.json``) and returns

- ``partial`` or ``abstain`` when the answer type's deterministic check finds nothing that gives what was
  asked (``Evidence.missing``: the dose of the drug named, the value asked for, a statement about the drug):
  ``partial`` when the sources discuss the topic, as below;
- ``answer`` when the fitted probability that the sources answer reaches the threshold chosen from the
  cross-validated precision/recall curve;
- ``partial`` when they do not, but the sources discuss what the question is about (the best sentence is at
  least as close as ``topic_floor``, fitted as well; or, for a general question asking a dose they do not give,
  a statement is about the drug it names): the answer says what is missing, then shows the closest statements;
- ``abstain`` otherwise, and always for the two hard reasons no score may override: a drug-like name the
  sources do not contain (a swapped drug is the worst error) and a question about another disease.

Pure: :func:`decide` maps a :class:`Evidence` and a :class:`Model` to a :class:`Decision`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

FEATURES = (
    "best_score",      # composer score of the best candidate sentence (cosine, idf concept overlap, rank)
    "best_cosine",     # embedding cosine of the best sentence to the question
    "best_overlap",    # idf-weighted share of the question's concepts (through the bridge) in that sentence
    "top3_score",      # mean composer score of the three best sentences
    "dense_top",       # cosine of the best passage (dense retriever)
    "agreement",       # 1 when the best passage is in both the dense and the BM25 top 3
    "unknown_share",   # share of the question's content words found nowhere in the sources or the bridge
    "unknown_focus",   # share of the asking clause's focus words that are such unknown words
    "drug_named",      # the question names a drug
    "drug_gap",        # ... and no drafted statement is about it
    "dose_gap",        # a dose question with no dose of the drug in the statements
    "value_asked",     # the question asks for a value (duration, rate, age, count, date, cost)
    "value_gap",       # ... and no statement gives that value about the asking clause's focus
    "focus_coverage",  # best share of the asking clause's focus covered by one statement
    "question_terms",  # log(1 + content words of the question)
)
Status = Literal["answer", "partial", "abstain"]
DATA = "data/decision.json"  # fitted with the real embedder; "data/decision-<kind>.json" for another one


@dataclass(frozen=True)
class Evidence:
    """The features of one question and the reasons behind the gap features (shown in the verdict)."""

    values: dict[str, float]
    reasons: tuple[str, ...] = ()
    hard: str = ""      # a reason no score overrides ("" when none)
    missing: str = ""   # what the sources do not give: "figure", "dose", "drug", "" (a fixed phrase is chosen)
    personal: bool = False  # about the asker's own (or their person's) treatment: no look-alike figures shown


@dataclass(frozen=True)
class Model:
    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    threshold: float
    topic_floor: float
    features: tuple[str, ...] = FEATURES
    meta: dict[str, Any] = field(default_factory=dict)

    def probability(self, values: dict[str, float]) -> float:
        z = self.bias + sum(w * (values.get(f, 0.0) - m) / s
                            for f, w, m, s in zip(self.features, self.weights, self.mean, self.scale, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "weights": list(self.weights), "bias": self.bias,
                "mean": list(self.mean), "scale": list(self.scale), "threshold": self.threshold,
                "topic_floor": self.topic_floor, "meta": self.meta}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Model:
        return cls(tuple(d["weights"]), float(d["bias"]), tuple(d["mean"]), tuple(d["scale"]),
                   float(d["threshold"]), float(d["topic_floor"]), tuple(d["features"]), d.get("meta", {}))


@dataclass(frozen=True)
class Decision:
    status: Status
    probability: float
    threshold: float
    reasons: tuple[str, ...]
    missing: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "probability": round(self.probability, 3),
                "threshold": round(self.threshold, 3), "reasons": list(self.reasons), "missing": self.missing,
                "strength": self.strength}

    @property
    def strength(self) -> str:
        """How well the answer covers the question, for the badge: strong, fair, weak."""
        if self.status != "answer":
            return "weak"
        return "strong" if self.probability >= (1 + self.threshold) / 2 else "fair"


def decide(ev: Evidence, model: Model) -> Decision:
    p = model.probability(ev.values)
    if ev.hard:
        return Decision("abstain", p, model.threshold, (ev.hard, *ev.reasons))
    # the sources discuss what is asked: the best sentence is as close as the fitted floor, or (a general question
    # for a dose they do not give) a statement is about the drug the question names
    named_dose = ev.missing == "dose" and bool(ev.values.get("drug_named")) and not ev.personal
    topical = not ev.values.get("drug_gap") and (named_dose or ev.values.get("best_cosine", 0.0) >= model.topic_floor)
    if ev.missing:  # no candidate gives what the answer type needs: the sources do not say it
        return Decision("partial" if topical else "abstain", p, model.threshold, ev.reasons, ev.missing)
    if p >= model.threshold:
        return Decision("answer", p, model.threshold, ev.reasons)
    why = (f"answerability {p:.2f} below {model.threshold:.2f}", *ev.reasons)
    if topical:
        return Decision("partial", p, model.threshold, why, ev.missing)
    return Decision("abstain", p, model.threshold, why)


def data_file(embedder_kind: str = "minilm") -> str:
    """The packaged file holding the model fitted with that embedder (cosines differ between embedders)."""
    return DATA if embedder_kind == "minilm" else f"data/decision-{embedder_kind}.json"


@lru_cache(maxsize=4)
def load_model(embedder_kind: str = "minilm", path: str = "") -> Model:
    from .errors import ConfigError

    try:
        text = Path(path).read_text("utf-8") if path else files("assistant").joinpath(
            data_file(embedder_kind)).read_text("utf-8")
        return Model.from_dict(json.loads(text))
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"The answerability model {path or data_file(embedder_kind)} cannot be read ({exc}); "
                          "run 'assistant fit'.") from exc
