"""The answerability decision's features of one question (``decision.FEATURES``), and the reasons behind them.

Pure: :func:`evidence` reads the resolved question, its retrieval, the composed draft and the store, plus what
the assistant found about the question's words (``unknown``: content words in neither the sources nor the
bridge; ``strangers``: drug-like names the sources do not contain).
"""

from __future__ import annotations

import math

from .answertype import asked, coverage, focus
from .compose import Draft
from .decision import Evidence
from .focus import focus_gap, value_gap
from .lexicon import load_lexicon
from .questions import Intent
from .retrieve import Retrieval, Store, light_stem, tokenize

# Words that say nothing about coverage (the asker's situation, question words).
GENERIC = frozenset("""son daughter child kid kids baby boy girl husband wife partner mom mum mother dad father brother
sister friend family parent parents teen teenager grandson granddaughter patient patients people person someone
doctor doctors team hospital nurse oncologist worried scared afraid help explain mean means meaning happen happens
next normal common usually typical thing things way ways work works used use using give given get gets got need
needs want wants like much many long old new good bad best better worse work kind type types options option
treatment treatments treat treated therapy therapies leukemia leukaemia cancer disease relapsed relapse refractory
all acute lymphoblastic lymphocytic question questions answer tell know say says said also still really okay ok
year years month months week weeks day days time times chance chances rate rates risk risks age""".split())


def evidence(q: str, kq: str, text: str, it: Intent, retrieval: Retrieval, draft: Draft, store: Store, *,
             unknown: list[str], strangers: list[str], value_coverage: float) -> Evidence:
    """The features for question ``q`` (``kq``: the clause that asks; ``text``: the resolved question)."""
    scored = draft.scored[:10]
    content = [t for t in tokenize(q) if len(t) >= 4 and t not in GENERIC and not t.isdigit()]
    gap = focus_gap(text, draft.statements, store)
    vgap = value_gap(kq, text, draft.statements, store, value_coverage)
    f = focus(kq)
    cov = max((coverage(f, f"{st.text}") for st in draft.statements), default=0.0)
    top = retrieval.passages[0] if retrieval.passages else None
    values = {
        "best_score": draft.best_score,
        "best_cosine": max((x.cosine for x in scored), default=0.0),
        "best_overlap": max((x.overlap for x in scored), default=0.0),
        "top3_score": sum(x.score for x in scored[:3]) / 3 if scored else 0.0,
        "dense_top": max((p.dense_score or 0.0 for p in retrieval.passages), default=0.0),
        "agreement": float(top is not None and top.dense_rank is not None and top.dense_rank < 3
                           and top.bm25_rank is not None and top.bm25_rank < 3),
        "unknown_share": len(unknown) / max(1, len(content)),
        "unknown_focus": len({light_stem(t, loose=True) for t in unknown} & f.words) / max(1, len(f.words)),
        "drug_named": float(bool(load_lexicon().find(text, ("drug",)))),
        "drug_gap": float(gap.startswith("no statement about")),
        "dose_gap": float(gap.startswith("no dose")),
        "value_asked": float(bool(asked(kq).kind)),
        "value_gap": float(bool(vgap)),
        "focus_coverage": cov,
        "question_terms": math.log1p(len(tokenize(text))),  # the resolved question: a follow-up with its topic
    }
    reasons = tuple(r for r in (gap, vgap, f"not in the sources: {', '.join(unknown)}" if unknown else "") if r)
    hard = (f"no drug named {', '.join(strangers)} in the sources" if strangers else "") or \
        ("the question is about another disease" if it.other_disease else "")
    missing = ("dose" if values["dose_gap"] else asked(kq).kind if vgap else
               "drug" if values["drug_gap"] else "")
    return Evidence(values, reasons, hard, missing, it.personal or it.stop_change)
