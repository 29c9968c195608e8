"""The generative composer: a chat model reached through LangChain writes the answer from numbered passages,
and every sentence it writes is checked by the rules against the passages it cites before anyone sees it.

    passages (the extractive draft's citations, exact spans)  ->  messages (phrases.LLM_*)  ->  chat model
             ->  sentences as they complete  ->  rules.check_statement (paraphrase-aware support)  ->  kept / removed

The model never decides whether to answer: the answerability decision runs first, and an abstention stays an
abstention.  Any fault of the model (a server that is down, slow past ``timeout_s``, an error, garbage, no
citations, citations to passages it was not given, too few sentences surviving the checks) gives ``Generated``
with ``fallback`` set: the caller shows the extractive answer with a notice instead, never an unchecked sentence.
``langchain_openai`` / ``langchain_ollama`` are imported only when a model is configured.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from . import phrases
from .compose import render, renumber
from .config import LLMSettings
from .rules import CitedText, SentenceVerdict, check_statement, normalise, parse_answer
from .types import Answer, Citation, Notice, Statement

SENTENCE_END = re.compile(r"(?<=[.!?])(\s*\[\d+(?:\s*,\s*\d+)*\])*\s+(?=[A-Z(\-*•])|\n+")


@dataclass
class Generated:
    """What the model wrote, after the checks."""

    model: str
    kept: list[Statement] = field(default_factory=list)
    removed: list[SentenceVerdict] = field(default_factory=list)
    checked: list[SentenceVerdict] = field(default_factory=list)
    written: int = 0
    fallback: str = ""  # why the extractive answer is shown instead ("" when the model's answer is used)
    first_ms: float | None = None  # time to the first verified sentence
    total_ms: float = 0.0
    raw: str = ""


def chat_model(cfg: LLMSettings) -> Any:
    """The LangChain chat model the settings name (imported here: the default needs neither package)."""
    key = os.environ.get(cfg.api_key_env, "") if cfg.api_key_env else ""
    if cfg.provider == "openai":
        from langchain_openai import ChatOpenAI

        # langchain-openai sends the limit as "max_completion_tokens", which servers such as llama.cpp's ignore
        # (a 135M model then writes until its context is full): a server of one's own also gets "max_tokens"
        extra = {"max_tokens": cfg.max_tokens} if cfg.base_url and cfg.max_tokens else None
        return ChatOpenAI(base_url=cfg.base_url or None, model=cfg.model or "default", api_key=key or "none",
                          temperature=cfg.temperature, timeout=cfg.timeout_s, max_tokens=cfg.max_tokens,
                          max_retries=0, extra_body=extra)
    if cfg.provider == "ollama":
        from langchain_ollama import ChatOllama

        return ChatOllama(base_url=cfg.base_url or None, model=cfg.model, temperature=cfg.temperature,
                          num_predict=cfg.max_tokens, client_kwargs={"timeout": cfg.timeout_s})
    raise ValueError(f"no language model configured (llm.provider = {cfg.provider!r})")


def messages(question: str, history: list[dict[str, str]], citations: list[Citation], reader: str) -> list[Any]:
    """System prompt, the conversation as chat messages, then the numbered passages and the question."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    out: list[Any] = [SystemMessage(phrases.LLM_SYSTEM + " " + phrases.LLM_READER.get(reader, ""))]
    for turn in history:
        cls = HumanMessage if turn["role"] == "user" else AIMessage
        out.append(cls(turn["content"]))
    blocks = "\n\n".join(f"[{c.n}] {normalise(c.quote)}" for c in citations)  # the sources' own markers out
    out.append(HumanMessage(phrases.LLM_USER.format(passages=blocks, question=question,
                                                    not_covered=phrases.NOT_COVERED)))
    return out


def sentences(chunks: Iterable[str]) -> Iterator[str]:
    """Complete sentences (with their trailing [n] markers) as the chunks of a stream arrive."""
    buf = ""
    for chunk in chunks:
        buf += chunk
        while True:
            m = SENTENCE_END.search(buf)
            if not m:
                break
            head, buf = buf[:m.end()], buf[m.end():]
            if head.strip():
                yield head.strip()
    if buf.strip():
        yield buf.strip()


def _text(chunk: Any) -> str:
    content = getattr(chunk, "content", chunk)
    if isinstance(content, list):  # content parts
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return content if isinstance(content, str) else ""


def write(model: Any, msgs: list[Any], cited: dict[int, CitedText], support_threshold: float, min_kept: float,
          name: str, stream: bool = True) -> Iterator[tuple[Statement | None, Generated]]:
    """Run the model; yield (statement, state) for each sentence that passes as it completes, then (None, final).

    Only sentences that passed are ever yielded; ``state.fallback`` in the last item says when the caller must
    show the extractive answer instead (then nothing yielded before it should stay on screen)."""
    g = Generated(name)
    seen: set[str] = set()
    t0 = time.perf_counter()
    try:
        chunks = (_text(c) for c in model.stream(msgs)) if stream else iter([_text(model.invoke(msgs))])
        for sent in sentences(chunks):
            g.raw += sent + " "
            if phrases.NOT_COVERED[:40] in sent:  # the phrase, or its start
                g.fallback = "the model found that the passages do not answer the question"
                break
            for st in claims(parse_answer(sent), seen):
                g.written += 1
                verdict = check_statement(st, cited, support_threshold, paraphrase=True)
                g.checked.append(verdict)
                if verdict.ok:
                    g.kept.append(st)
                    if g.first_ms is None:
                        g.first_ms = (time.perf_counter() - t0) * 1000
                    yield st, g
                else:
                    g.removed.append(verdict)
    except Exception as exc:  # noqa: BLE001 - any fault of the model or its server: the extractive answer
        g.fallback = f"the language model failed ({type(exc).__name__}: {str(exc)[:160]})"
    g.total_ms = (time.perf_counter() - t0) * 1000
    if not g.fallback:
        g.fallback = judge(g, min_kept)
    yield None, g


LABEL = re.compile(r"^(?:answer|response)\s*:\s*", re.I)


def claims(statements: list[Statement], seen: set[str]) -> Iterator[Statement]:
    """The statements that claim something, each once: a label ("Answer:") taken off; a lead-in ("The passage
    is:"), a question (the model echoing one) and a sentence it already wrote are no claims and never shown.
    ``seen`` collects the sentences written so far."""
    for st in statements:
        text = LABEL.sub("", st.text).strip()
        key = " ".join(text.lower().split())
        if not text or text.endswith((":", "?")) or key in seen:
            continue
        seen.add(key)
        yield replace(st, text=text) if text != st.text else st


def judge(g: Generated, min_kept: float) -> str:
    """Why the model's answer cannot be used ("" when it can)."""
    if not g.written:
        return "the language model wrote no sentence"
    if not g.kept:
        return "none of the language model's sentences passed the checks"
    if len(g.kept) < min_kept * g.written:
        return f"only {len(g.kept)} of the language model's {g.written} sentences passed the checks"
    return ""


def _about_doc(audience: str) -> str:
    return f"This source is written about {audience}." if audience in ("children", "adults") else ""


def model_passages(shown: list[Citation], candidates: list[Citation], store: Any,
                   k: int) -> tuple[list[Citation], dict[int, CitedText]]:
    """The passages the model is given, numbered 1..k: the extractive answer's citations, then the draft's next
    candidates; each with its context (section, whom its document is about) for the paraphrase rule."""
    seen = {(c.doc_id, c.start, c.end) for c in shown}
    pool = list(shown) + [c for c in candidates if (c.doc_id, c.start, c.end) not in seen]
    out = [replace(c, n=i) for i, c in enumerate(pool[:k], 1)]
    cited = {c.n: CitedText(c.n, c.quote, c.doc_id, store.docs[c.doc_id].audience_age,
                            f"{c.section.replace(' > ', '. ')}. {_about_doc(store.docs[c.doc_id].audience_age)}")
             for c in out}
    return out, cited


def finish(ans: Answer, g: Generated, citations: list[Citation]) -> Answer:
    """The model's answer when enough of it passed the checks, else the quoted ``ans`` with a notice why."""
    llm_verdict = {"model": g.model, "written": g.written, "kept": len(g.kept), "fallback": g.fallback,
                   "removed": [asdict(v) for v in g.removed], "first_ms": g.first_ms, "total_ms": g.total_ms}
    if g.fallback:
        out = replace(ans, notices=[*ans.notices, Notice("fallback", phrases.LLM_FALLBACK.format(
            reason=g.fallback))], verdict={**ans.verdict, "llm": llm_verdict})
        out.timings_ms = {**ans.timings_ms, "llm": g.total_ms}
        return out
    statements, cits = renumber(g.kept, citations)
    verdict = {**ans.verdict, "ok": True, "checked": len(g.checked), "passed": len(g.kept),
               "sentences": [asdict(v) for v in g.checked], "removed": [asdict(v) for v in g.removed],
               "llm": llm_verdict}
    return replace(ans, answer=render(statements), citations=cits, verdict=verdict,
                   timings_ms={**ans.timings_ms, "llm": g.total_ms}, composer=g.model)
