"""Pure rendering for the chat UI: answers, citation cards, lookup results (HTML/markdown strings)."""

from __future__ import annotations

import html
import re
from typing import Any

from . import phrases

# Symbols that plain system fonts carry (DejaVu has them; colour emoji fonts are often missing on Linux).
NOTICE_LABELS = {"urgent": "⚠ **Urgent**", "safety": "ℹ **General information only**",
                 "population": "ℹ **Different population**", "conflict": "⚖ **Sources differ**",
                 "outdated": "⚖ **Sources differ, newest first**", "injection": "⚠ **Instructions ignored**",
                 "support": "♡ **You are not alone in this**"}
CONTEXT_CHARS = 400
TARGET = re.compile(r"^src-(\d+)-(r?)(\d+)(?:\|\d+)?$")
MARKER = re.compile(r"\[(\d+)\]")
CARD_CSS = """
.card { font-size: 0.92rem; line-height: 1.5; }
.card h4 { margin: 0 0 4px 0; font-size: 1rem; }
.card .meta { color: var(--body-text-color-subdued); font-size: 0.85rem; margin-bottom: 6px; }
.card .passage { white-space: pre-wrap; border-left: 3px solid var(--border-color-primary);
  padding: 6px 10px; max-height: 520px; overflow-y: auto; background: var(--background-fill-secondary); }
.card mark { background: #ffe58a; color: #111; padding: 1px 2px; border-radius: 2px; }
.card .ids { color: var(--body-text-color-subdued); font-size: 0.8rem; margin-top: 6px; }
.card .hint { color: var(--body-text-color-subdued); }
.card .hit { margin-bottom: 10px; }
"""
PANEL_EMPTY = ('<div class="card hint">Click a citation such as [1] in an answer to see the sentence '
               'in its source.</div>')


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=False)


# ----- pure rendering ----------------------------------------------------------------------------
def render_answer(ans: dict[str, Any], idx: int) -> str:
    """The bot message: notices, the answer with [n] links, the sources, and the verdict at a glance."""
    parts: list[str] = []
    by_kind: dict[str, list[str]] = {}
    for notice in ans.get("notices", []):
        texts = by_kind.setdefault(notice["kind"], [])
        if notice["text"] not in texts:
            texts.append(notice["text"])
    for kind, texts in by_kind.items():
        label = NOTICE_LABELS.get(kind, "ℹ **Note**")
        if len(texts) == 1:
            parts.append(f"> {label}: {_esc(texts[0])}")
        else:
            parts.append(f"> {label}\n>\n" + "\n".join(f"> - {_esc(t)}" for t in texts))
    numbers = {c["n"] for c in ans.get("citations", [])}

    def link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return f"[[{n}]](#src-{idx}-{n})" if n in numbers else m.group(0)

    parts.append(MARKER.sub(link, _esc(ans["answer"])))
    if ans.get("citations"):
        parts.append("**Sources**\n\n" + sources_list(ans["citations"], idx))
    elif ans.get("related"):
        seen: set[tuple[str, str]] = set()
        lines = []
        for k, r in enumerate(ans["related"], 1):
            if (r["doc_id"], r["section"]) not in seen:
                seen.add((r["doc_id"], r["section"]))
                lines.append(f"- [{_esc(r['title'])}](#src-{idx}-r{k})"
                             + (f" — {_esc(_last(r['section']))}" if r.get("section") else ""))
        parts.append("**Closest sources**\n\n" + "\n".join(lines))
    verdict = ans.get("verdict") or {}
    if verdict.get("checked"):
        removed = verdict.get("removed") or []
        parts.append("  \n".join(badge(verdict, ans.get("status", ""))))
        if removed:
            items = "".join(
                f"<li>“{_esc(r['sentence'])}” — "
                + "; ".join(_esc(f"{x['rule']}: {x.get('reason') or 'failed'}") for x in r["results"] if not x["ok"])
                + "</li>" for r in removed)
            word = "statement" if len(removed) == 1 else "statements"
            parts.append(f"<details><summary>{len(removed)} {word} removed because a check failed</summary>"
                         f"<ul>{items}</ul></details>")
    return "\n\n".join(parts)


def badge(verdict: dict[str, Any], status: str) -> list[str]:
    """Two lines: what was checked (the quotes match their sources) and, apart, how well the answer covers
    the question (the answerability decision).  A ✓ only for a strong answer with nothing removed."""
    removed = bool(verdict.get("removed"))
    strength = "weak" if status == "partial" else (verdict.get("decision") or {}).get("strength", "fair")
    checked = phrases.VERDICT_SUMMARY.format(passed=verdict.get("passed", 0), total=verdict.get("checked", 0))
    mark = "⚠" if removed or strength == "weak" else ("✓" if strength == "strong" else "◐")
    return [f"{'⚠ ' if removed else ''}Checked: {checked}.", f"{mark} {phrases.COVERAGE[strength]}"]


def _last(section: str) -> str:
    return section.rsplit(" > ", 1)[-1]


def sources_list(citations: list[dict[str, Any]], idx: int) -> str:
    """One line per document: its title, then each cited section with its [n] links."""
    docs: dict[str, tuple[str, dict[str, list[int]]]] = {}
    for c in citations:
        title, sections = docs.setdefault(c["doc_id"], (c["title"], {}))
        sections.setdefault(_last(c.get("section") or ""), []).append(c["n"])
    lines = []
    for title, sections in docs.values():
        cites = " · ".join(" ".join(f"[[{n}]](#src-{idx}-{n})" for n in ns) + (f" {_esc(sec)}" if sec else "")
                           for sec, ns in sections.items())
        lines.append(f"- *{_esc(title)}*: {cites}")
    return "\n".join(lines)


def _doc_meta(doc: Any) -> str:
    bits = [doc.publisher, f"for {doc.audience_age} ({doc.audience_role})", doc.date_label]
    return " · ".join(_esc(b) for b in bits if b)


def _context(raw: str, start: int, end: int, chars: int = CONTEXT_CHARS) -> str:
    """``raw[start:end]`` inside a <mark> with up to ``chars`` characters either side, cut at word breaks."""
    lo, hi = max(0, start - chars), min(len(raw), end + chars)
    before, after = raw[lo:start], raw[end:hi]
    if lo > 0 and " " in before:
        before = "…" + before[before.index(" ") + 1:]
    if hi < len(raw) and " " in after:
        after = after[:after.rindex(" ")] + "…"

    def tidy(text: str) -> str:
        return _esc(re.sub(r"\n\s*\n\s*", "\n\n", text))

    return f'{tidy(before)}<mark class="cited" id="cited-mark">{tidy(raw[start:end])}</mark>{tidy(after)}'


def render_citation(store: Any, c: dict[str, Any], label: str) -> str:
    """The side panel for one citation: document facts and the quote highlighted in its passage."""
    doc = store.docs[c["doc_id"]]
    section = f'<div class="meta">Section: {_esc(c["section"])}</div>' if c.get("section") else ""
    return (f'<div class="card" data-cite="{_esc(label)}"><h4>{_esc(label)} <span class="title">{_esc(doc.title)}'
            f'</span></h4><div class="meta">{_doc_meta(doc)}</div>{section}'
            f'<div class="passage">{_context(doc.raw, c["start"], c["end"])}</div>'
            f'<div class="ids">document {_esc(doc.id)} · passage {_esc(c["chunk_id"])} · characters '
            f'{c["start"]}–{c["end"]}</div></div>')


def render_lookup(out: dict[str, Any], store: Any) -> str:
    """One result of ``Assistant.cite`` as HTML."""
    doc = store.docs[out["doc"]["id"]]
    head = f'<h4>{_esc(doc.title)}</h4><div class="meta">{_doc_meta(doc)}</div>'
    kind = out["kind"]
    if kind == "passage":
        body = f'<div class="passage">{_context(doc.raw, out["start"], out["end"], 300)}</div>'
        ids = f'passage {_esc(out["chunk_id"])} · {_esc(out["section"])}'
    elif kind == "sentence":
        body = f'<div class="passage">{_context(doc.raw, out["start"], out["end"])}</div>'
        ids = f'sentence {_esc(out["unit_id"])} · {_esc(out["section"])} · references {out["refs"] or "none"}'
    elif kind == "reference":
        body = f'<div class="passage">Reference {out["n"]}: <mark class="cited">{_esc(out["text"])}</mark></div>'
        ids = f'cited by sentences: {_esc(", ".join(out["cited_by"]) or "none")}'
    else:
        body = f'<div class="passage">{out["references"]} numbered references.</div>'
        ids = f"document {_esc(doc.id)} · {_esc(doc.file)}"
    return f'<div class="card">{head}{body}<div class="ids">{ids}</div></div>'


def render_hits(hits: list[dict[str, Any]]) -> str:
    """Search hits with the matched words in <mark>."""
    if not hits:
        return '<div class="card hint">No sentence contains all of those words.</div>'
    out = []
    for h in hits:
        text, pos, pieces = h["text"], 0, []
        for s, e in h["matches"]:
            if s < pos:
                s = pos
            if e <= s:
                continue
            pieces.append(_esc(text[pos:s]) + f"<mark>{_esc(text[s:e])}</mark>")
            pos = e
        pieces.append(_esc(text[pos:]))
        out.append(f'<div class="hit"><div class="meta">{_esc(h["title"])} [{_esc(h["doc_id"])}] · '
                   f'{_esc(h["section"])} · {_esc(h["unit_id"])}</div>{"".join(pieces)}</div>')
    return f'<div class="card">{"".join(out)}</div>'


def word_chunks(text: str, size: int = 6) -> list[str]:
    """Growing prefixes of ``text``, ``size`` words more each time (for streaming)."""
    words = text.split(" ")
    return [" ".join(words[:i]) for i in range(size, len(words), size)] + [text]


def _card(text: str) -> str:
    return f'<div class="card hint">{_esc(text)}</div>'
