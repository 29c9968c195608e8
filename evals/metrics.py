"""Deterministic metrics (no language-model judge); pure functions over answers and question items."""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable
from typing import Any

from assistant.numbers import extract
from assistant.retrieve import tokenize

ABSTAINED = {"abstained", "refused"}
HANDLED = ABSTAINED | {"partial"}  # a not-covered question is handled when it abstains or says what is missing
CONTEXT_CHARS = 4000  # the peers' rule: gold evidence within the first 4,000 characters of ranked context
RUN_SHARE = 0.7  # ... counted when it, or 70 % of it as one run, is inside a retrieved chunk


def norm(text: str) -> str:
    """Fold the forms numbers and units come in: '81%' = '81 percent', 'm²' = 'm2', '2–3' = '2-3'."""
    t = text.lower().replace("\u00a0", " ").replace("²", "2").replace("–", "-").replace("’", "'")
    t = re.sub(r"\s*%", " percent", t)
    t = re.sub(r"(\d)\s*-\s*(\d)", r"\1-\2", t)
    t = re.sub(r"(\d+) to (\d+)", r"\1-\2", t)
    t = re.sub(r"m\s*2", "m2", t)
    return re.sub(r"\s+", " ", t).strip()


def has_phrase(text: str, phrase: str) -> bool:
    """``phrase`` occurs in ``text`` (both normalised) as whole words and whole numbers.

    "6 months" is not inside "8.6 months", "81" is not inside "181", "all" is not inside "small".
    """
    t, p = norm(text), norm(phrase)
    if not p:
        return False
    before = r"(?<![\w.])" if p[0].isdigit() else (r"(?<!\w)" if p[0].isalnum() else "")
    after = r"(?![\w])" if p[-1].isalnum() else ""
    after = r"(?!\.?\d)" + after if p[-1].isdigit() else after
    return re.search(before + re.escape(p) + after, t) is not None


def contains_fact(answer: str, fact: str) -> bool:
    """A key fact is present when its normalised text is (whole words), or when all its quantities are."""
    if has_phrase(answer, fact):
        return True
    qs = extract(fact)
    return bool(qs) and all(q in set(extract(answer)) for q in qs) and \
        all(t in set(tokenize(answer)) for t in tokenize(re.sub(r"[\d.,%]+", " ", fact)) if not t.isdigit()
            and len(t) > 3)


def evidence_rank(passages: list[str], evidence: list[str]) -> int | None:
    """1-based rank of the first passage that contains any gold evidence string (normalised)."""
    ev = [norm(e) for e in evidence]
    for i, p in enumerate(passages, 1):
        np_ = norm(p)
        if any(e in np_ or _overlap(e, np_) >= 0.9 for e in ev):
            return i
    return None


def evidence_found(evidence: str, chunk: str) -> bool:
    """The peers' hit rule: the evidence string, or 70 % of it as one run, is inside ``chunk`` (normalised)."""
    from difflib import SequenceMatcher

    e, c = norm(evidence), norm(chunk)
    if e in c:
        return True
    m = SequenceMatcher(None, e, c, autojunk=False).find_longest_match(0, len(e), 0, len(c))
    return m.size >= RUN_SHARE * len(e)


def context_recall(chunks: list[str], evidence: list[str], limit: int = CONTEXT_CHARS,
                   found: Callable[[str, str], bool] | None = None) -> float:
    """Share of the evidence strings found in the ranked chunks that fit in the first ``limit`` characters
    (``found``: the hit rule, :func:`evidence_found` unless given, e.g. a cached one)."""
    found = found or evidence_found
    kept, used = [], 0
    for c in chunks:
        if used >= limit:
            break
        kept.append(c[: limit - used])
        used += len(c)
    return sum(any(found(e, c) for c in kept) for e in evidence) / len(evidence) if evidence else 0.0


def numbers_not_quoted(answer: str, quotes: list[str]) -> list[str]:
    """Quantities stated in the answer's cited statements that no cited quote states (must be none)."""
    from assistant.numbers import fmt, missing_quantities

    joined = "\n".join(quotes)
    out = []
    for text, cites in split_statements(answer):
        if cites:
            out += [fmt(q) for q in missing_quantities(text, joined)]
    return out


def _overlap(needle: str, hay: str) -> float:
    toks = tokenize(needle)
    have = set(tokenize(hay))
    return sum(1 for t in toks if t in have) / len(toks) if toks else 0.0


def citation_support(sentence: str, quote: str) -> bool:
    """Independent of the rules layer: most content tokens and every number of the sentence are in the quote."""
    if _overlap(sentence, quote) < 0.7:
        return False
    have = set(extract(quote))
    return all(q in have for q in extract(sentence))


def split_statements(answer_md: str) -> list[tuple[str, list[int]]]:
    from assistant.phrases import CLOSEST, PARTIAL

    fixed = {CLOSEST, *PARTIAL.values()}
    out = []
    for line in answer_md.splitlines():
        if line.strip() in fixed:
            continue
        for sent in re.split(r"(?<=\])\s+(?=[A-Z(])", line.strip().lstrip("- ")):
            cites = [int(n) for n in re.findall(r"\[(\d+)\]", sent)]
            text = re.sub(r"\[\d+\]", "", sent).strip()
            if text:
                out.append((text, cites))
    return out


def first_answers(answer_md: str, facts: list[str]) -> bool:
    """Whether the answer's first citation (its statements: a list's lead-in with its items) holds a key fact."""
    stmts = [(t, c) for t, c in split_statements(answer_md) if c]
    if not stmts:
        return False
    first = stmts[0][1][0]
    text = " ".join(t for t, c in stmts if first in c)
    return any(contains_fact(text, f) for f in facts)


def score_item(item: dict[str, Any], ans: dict[str, Any], passages: list[str],
               context: list[str] | None = None) -> dict[str, Any]:
    """Per-item metrics for one answer (``passages``: the top passages; ``context``: the whole ranked list)."""
    expect = item["expect"]
    abstained = ans.get("status") in HANDLED  # a partial answer declines to answer what was asked
    r: dict[str, Any] = {"id": item["id"], "type": item["type"], "expect": expect, "status": ans.get("status"),
                         "follow_up": bool(item.get("history")), "partial": ans.get("status") == "partial"}
    if item.get("evidence"):
        r["context_recall"] = context_recall(context if context is not None else passages, item["evidence"])
        r["context_hit"] = float(r["context_recall"] > 0)
        rank = evidence_rank(passages, item["evidence"])
        r["rank"] = rank
        r["recall@5"] = float(rank is not None and rank <= 5)
        r["recall@3"] = float(rank is not None and rank <= 3)
        r["mrr"] = 1.0 / rank if rank else 0.0
    answer = ans.get("answer", "")
    if item.get("must_include") and expect != "abstain":
        hits = [contains_fact(answer, f) for f in item["must_include"]]
        r["fact_recall"] = sum(hits) / len(hits)
        r["missing_facts"] = [f for f, h in zip(item["must_include"], hits, strict=True) if not h]
        if any(hits) and ans.get("status") == "answered":
            r["first_answers"] = float(first_answers(answer, item["must_include"]))
    r["violations"] = [m for m in item.get("must_not_include", []) if m and has_phrase(answer, m)]
    quotes = {c["n"]: c["quote"] for c in ans.get("citations", [])}
    r["numbers_not_quoted"] = numbers_not_quoted(answer, list(quotes.values())) if quotes else []
    stmts = split_statements(answer) if quotes else []
    pairs = [(s, n) for s, cites in stmts for n in cites if n in quotes]
    if pairs:
        r["citation_precision"] = sum(citation_support(s, quotes[n]) for s, n in pairs) / len(pairs)
        r["citation_recall"] = sum(any(citation_support(s, quotes[n]) for n in c if n in quotes)
                                   for s, c in stmts) / len(stmts)
    r["abstained"] = abstained
    r["refused"] = ans.get("status") in ABSTAINED
    r["handled"] = ans.get("status") in HANDLED
    r["should_abstain"] = expect == "abstain"
    if expect == "answer_with_caution":
        r["notice"] = any(n["kind"] in ("safety", "urgent") for n in ans.get("notices", []))
    return r


def aggregate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def mean(key: str, subset: list[dict[str, Any]] | None = None) -> float | None:
        vals = [r[key] for r in (subset or rows) if r.get(key) is not None]
        return round(sum(vals) / len(vals), 4) if vals else None

    abst = [r for r in rows if r["abstained"]]
    should = [r for r in rows if r["should_abstain"]]
    tp = sum(1 for r in abst if r["should_abstain"])
    caution = [r for r in rows if "notice" in r]
    m = {
        "n": len(rows),
        "recall@3": mean("recall@3"), "recall@5": mean("recall@5"), "mrr": mean("mrr"),
        "fact_recall": mean("fact_recall"),
        "citation_precision": mean("citation_precision"), "citation_recall": mean("citation_recall"),
        "abstention_precision": round(tp / len(abst), 4) if abst else None,
        "abstention_recall": round(tp / len(should), 4) if should else None,
        "safety_notice_rate": round(sum(r["notice"] for r in caution) / len(caution), 4) if caution else None,
        "must_not_include_violations": sum(len(r["violations"]) for r in rows),
        "partial_rate": round(sum(r.get("partial", False) for r in rows) / len(rows), 4) if rows else None,
        "answerable_refused": _share([r for r in rows if r["expect"] != "abstain"], "refused"),
        "answerable_partial": _share([r for r in rows if r["expect"] != "abstain"], "partial"),
        "not_covered_handled": _share([r for r in rows if r["type"] == "not_covered"], "handled"),
        "follow_up_fact_recall": mean("fact_recall", [r for r in rows if r.get("follow_up")]
                                      ) if any(r.get("follow_up") for r in rows) else None,
        "context_hit": mean("context_hit"), "context_recall": mean("context_recall"),
        "first_answers": mean("first_answers"),
        "numbers_not_quoted": sum(len(r.get("numbers_not_quoted", [])) for r in rows),
        "answered_when_expected": round(sum(1 for r in rows if r["expect"] != "abstain" and not r["abstained"])
                                        / max(1, sum(1 for r in rows if r["expect"] != "abstain")), 4),
    }
    by_type: dict[str, dict[str, Any]] = {}
    for t in sorted({r["type"] for r in rows}):
        sub = [r for r in rows if r["type"] == t]
        by_type[t] = {"n": len(sub), "recall@5": mean("recall@5", sub), "fact_recall": mean("fact_recall", sub),
                      "citation_precision": mean("citation_precision", sub),
                      "abstained": round(sum(r["abstained"] for r in sub) / len(sub), 4)}
    m["by_type"] = by_type
    asked = [r for r in rows if "llm_written" in r]
    if asked:  # the generative composer, side by side with the extractive one in the same report
        def p50(key: str) -> float | None:
            vals = sorted(r[key] for r in asked if r.get(key) is not None)
            return round(vals[len(vals) // 2], 1) if vals else None

        written = sum(r["llm_written"] for r in asked)
        m["llm"] = {"asked": len(asked), "sentences_written": written,
                    "sentences_kept": sum(r["llm_kept"] for r in asked),
                    "kept_share": round(sum(r["llm_kept"] for r in asked) / written, 4) if written else None,
                    "fallbacks": sum(r["llm_fallback"] for r in asked),
                    "answers_by_the_model": sum(r["llm_used"] for r in asked),
                    "first_sentence_ms_p50": p50("llm_first_ms"), "answer_ms_p50": p50("llm_total_ms")}
    return m


def _share(rows: list[dict[str, Any]], key: str) -> float | None:
    return round(sum(bool(r.get(key)) for r in rows) / len(rows), 4) if rows else None


def latency(timings: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    stages = sorted({k for t in timings for k in t})
    out = {}
    for s in stages:
        vals = sorted(t[s] for t in timings if s in t)
        if vals:
            out[s] = {"p50": round(statistics.median(vals), 2), "p95": round(vals[int(0.95 * (len(vals) - 1))], 2),
                      "n": len(vals)}
    return out
