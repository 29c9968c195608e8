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
_THUMB = ("url(\"data:image/svg+xml;utf8,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24'%3E"
          "%3Cpath d='{}'/%3E%3C/svg%3E\")")
_THUMB_UP = _THUMB.format("M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 "
                          "7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23"
                          ".14-.47.14-.73v-2z")
_THUMB_DOWN = _THUMB.format("M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2c0 1.1.9 2 2 2h6.31l"
                            "-.95 4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5c0-1.1-.9"
                            "-2-2-2zm4 0v12h4V3h-4z")
# The chat page's own rules (a component's css_template is scoped to it, so these go into the page once):
# notices by kind (the urgent one red, with an icon), the vote buttons under each answer, the example
# chips, the question's character counter, and below 768 px the source panel as a drawer over the chat.
APP_CSS = """
#chat .bubble-wrap, #chat .message-wrap { overflow-anchor: none; }
#chat .scroll-down-button-container { left: auto !important; right: 10px; transform: none !important; }
#chat blockquote.notice { margin: 0 0 8px 0 !important; padding: 6px 10px; border-radius: 6px;
  border-left: 5px solid #94a3b8; background: var(--background-fill-secondary); }
#chat blockquote.notice p { margin: 0 !important; }
#chat blockquote.notice-urgent { display: flex; gap: 10px; align-items: flex-start; padding: 10px 12px;
  border: 2px solid #b91c1c; border-left-width: 8px; background: #fee2e2; }
#chat blockquote.notice-urgent, #chat blockquote.notice-urgent p, #chat blockquote.notice-urgent strong,
#chat blockquote.notice-urgent a { color: #7f1d1d !important; }
#chat blockquote.notice-urgent strong { text-transform: uppercase; letter-spacing: 0.03em; }
#chat blockquote.notice-urgent::before { content: "!"; flex: none; width: 1.6em; height: 1.6em; line-height: 1.6em;
  border-radius: 50%; background: #b91c1c; color: #fff; font-weight: 800; text-align: center; }
#chat .vote-prompt { color: var(--body-text-color-subdued); font-size: 0.88rem; margin-right: 6px; }
#chat a[href^="#vote-"] { display: inline-flex; align-items: center; gap: 6px; margin: 4px 8px 0 0;
  padding: 4px 12px; border: 1px solid var(--border-color-primary); border-radius: 999px; font-size: 0.88rem;
  color: var(--body-text-color) !important; background: var(--background-fill-primary); text-decoration: none;
  cursor: pointer; }
#chat a[href^="#vote-"]::before { content: ""; width: 1.05em; height: 1.05em; background: currentColor;
  -webkit-mask: var(--thumb) center / contain no-repeat; mask: var(--thumb) center / contain no-repeat; }
#chat a[href$="-up"] { --thumb: THUMB_UP; }
#chat a[href$="-down"] { --thumb: THUMB_DOWN; }
#chat a[href^="#vote-"][aria-pressed="true"] { color: #fff !important; background: var(--color-accent);
  border-color: var(--color-accent); font-weight: 600; }
#chat a[href^="#vote-"][aria-pressed="true"]::after { content: "✓"; }
#feedback-status, #feedback-status .prose, #feedback-status p { font-size: 0.85rem !important;
  color: var(--body-text-color-subdued); }
#examples .example-row { flex-wrap: wrap; gap: 6px; }
#examples .example-chip { flex: 0 1 auto !important; min-width: 0 !important; max-width: 100%; height: auto;
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  text-align: left; justify-content: flex-start; line-height: 1.35; }
#char-counter:not(:has(.counter)) { display: none !important; }
#char-counter .counter { font-size: 0.85rem; color: var(--body-text-color-subdued); text-align: right; }
#char-counter .counter.over { color: #b91c1c; font-weight: 600; }
#close-source { display: none; }
@media (max-width: 767px) {
  #chat { height: calc(100dvh - 170px) !important; min-height: 420px; }
  #source-column { display: none !important; }
  #source-column.open { display: flex !important; flex-wrap: nowrap !important; position: fixed; z-index: 1000;
    left: 0; right: 0; bottom: 0; max-height: 72vh; overflow-y: auto; margin: 0; padding: 10px 12px 18px; gap: 8px;
    background: var(--background-fill-primary); border-top: 1px solid var(--border-color-primary);
    border-radius: 14px 14px 0 0; box-shadow: 0 -8px 28px rgba(0, 0, 0, 0.3); }
  #source-column.open #close-source { display: inline-flex; align-self: flex-end; flex: none; width: auto; }
  #source-column.open > * { flex: none !important; }
  body:has(#source-column.open) #chat .scroll-down-button-container { display: none; }
  #source-column.open .passage { max-height: none !important; }
}
""".replace("THUMB_UP", _THUMB_UP).replace("THUMB_DOWN", _THUMB_DOWN)


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
    if c.get("page"):
        section += f'<div class="meta">Page {int(c["page"])}</div>'

    return (f'<div class="card" data-cite="{_esc(label)}"><h4>{_esc(label)} <span class="title">{_esc(doc.title)}'
            f'</span></h4><div class="meta">{_doc_meta(doc)}</div>{section}'
            f'<div class="passage">{_context(doc.raw, c["start"], c["end"])}</div>'
            f'<div class="ids">document {_esc(doc.id)} · passage {_esc(c["chunk_id"])} · characters '
            f'{c["start"]}–{c["end"]}</div></div>')


# ----- the Lookup tab --------------------------------------------------------------------------
LOOKUP_CSS = CARD_CSS + """
.card a.lookup-link { cursor: pointer; padding: 0; }
.card .cited-by { margin: 6px 0 0 0; padding-left: 1.2em; }
.card .cited-by li { margin-bottom: 4px; }
.card .hit { padding-bottom: 8px; border-bottom: 1px solid var(--border-color-primary); }
.card .score { color: var(--body-text-color-subdued); font-size: 0.8rem; }
"""
# In the Lookup tab's HTML outputs: a click on a link carrying data-lookup="<id>" fires the component's
# click event with that id (gr.EventData .lookup), which opens it in the lookup panel; when the panel's
# content changes and its top is out of sight (a phone, where it stands below the search), it is scrolled to.
LOOKUP_JS = """
element.addEventListener('click', (ev) => {
  const link = ev.target instanceof Element ? ev.target.closest('a[data-lookup]') : null;
  if (!link) return;
  ev.preventDefault();
  trigger('click', {lookup: link.dataset.lookup});
});
const panel = element.closest('#lookup-result');
if (panel) {
  watch('value', () => {
    const top = panel.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight - 80) panel.scrollIntoView({block: 'start'});
  });
}
"""


def _attr(text: Any) -> str:
    return html.escape(str(text), quote=True)


def lookup_link(target: str, label: str) -> str:
    """A link that opens ``target`` (a sentence id or "004:7") in the lookup panel; ``label`` is escaped here."""
    return (f'<a class="lookup-link" href="#lookup-{_attr(target)}" data-lookup="{_attr(target)}">'
            f"{_esc(label)}</a>")


def _cited_by(cited_by: list[dict[str, Any]]) -> str:
    """The sentences citing a reference, each a link (with its text) to that sentence's lookup."""
    if not cited_by:
        return '<div class="meta">No sentence in this copy of the document cites this reference.</div>'
    head = "This sentence cites it:" if len(cited_by) == 1 else f"{len(cited_by)} sentences cite it:"
    items = "".join(f'<li>{lookup_link(c["unit_id"], c["text"])} <span class="meta">· {_esc(_last(c["section"]))}'
                    f"</span></li>" for c in cited_by)
    return f'<div class="meta">{head}</div><ul class="cited-by">{items}</ul>'


def render_lookup(out: dict[str, Any], store: Any) -> str:
    """One result of ``Assistant.cite`` as HTML; the sentences citing a reference, and a sentence's
    references, are links that open them here."""
    doc = store.docs[out["doc"]["id"]]
    head = f'<h4>{_esc(doc.title)}</h4><div class="meta">{_doc_meta(doc)}</div>'
    kind = out["kind"]
    if kind == "passage":
        body = f'<div class="passage">{_context(doc.raw, out["start"], out["end"], 300)}</div>'
        ids = f'passage {_esc(out["chunk_id"])} · {_esc(out["section"])}'
    elif kind == "sentence":
        body = f'<div class="passage">{_context(doc.raw, out["start"], out["end"])}</div>'
        refs = out.get("references") or []
        if refs:
            body += ('<div class="meta">It cites:</div><ul class="cited-by">'
                     + "".join(f'<li>{lookup_link(r["id"], "Reference " + str(r["n"]))}: {_esc(r["text"])}</li>'
                               for r in refs) + "</ul>")
        ids = f'sentence {_esc(out["unit_id"])} · {_esc(out["section"])}'
    elif kind == "reference":
        body = (f'<div class="passage">Reference {out["n"]}: <mark class="cited">{_esc(out["text"])}</mark></div>'
                + _cited_by(out["cited_by"]))
        ids = f'reference {_esc(doc.id)}:{out["n"]}'
    else:
        body = f'<div class="passage">{out["references"]} numbered references.</div>'
        ids = f"document {_esc(doc.id)} · {_esc(doc.file)}"
    return f'<div class="card">{head}{body}<div class="ids">{ids}</div></div>'


def _marked(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` escaped, with each (start, end) span in <mark>."""
    pos, pieces = 0, []
    for s, e in sorted(spans):
        s = max(s, pos)
        if e <= s:
            continue
        pieces.append(_esc(text[pos:s]) + f"<mark>{_esc(text[s:e])}</mark>")
        pos = e
    return "".join(pieces) + _esc(text[pos:])


def render_hits(hits: list[dict[str, Any]], words: str = "") -> str:
    """Search hits, best first: the matched words in <mark>, how many of the query words each holds, a link
    that opens it; a reference also lists the sentences citing it (links with their text)."""
    if not hits:
        shown = f"“{words.strip()}”" if words.strip() else "those words"
        return _card(phrases.LOOKUP_NO_MATCH.format(words=shown))
    out = []
    for h in hits:
        total, found = len(h["words"]), len(h["matched"])
        share = (f"matches “{h['matched'][0]}”" if total == 1 else f"matches all {total} words" if found == total
                 else f"matches {found} of {total} words: {', '.join(h['matched'])}")
        share += " · exact phrase" if h.get("phrase") else ""
        if h["kind"] == "reference":
            where = lookup_link(h["id"], "Reference " + str(h["n"])) + " in the reference list"
            extra = _cited_by(h["cited_by"])
        else:
            where = lookup_link(h["id"], "Sentence") + f" · {_esc(h['section'])}"
            if h.get("refs"):
                where += " · cites " + " ".join(lookup_link(f"{h['doc_id']}:{n}", f"[{n}]") for n in h["refs"])
            extra = ""
        out.append(f'<div class="hit" data-kind="{_attr(h["kind"])}" data-id="{_attr(h["id"])}">'
                   f'<div class="meta">{where} · {_esc(h["title"])} [{_esc(h["doc_id"])}] '
                   f'<span class="score">· {_esc(share)}</span></div>'
                   f'<div class="text">{_marked(h["text"], h["matches"])}</div>{extra}</div>')
    n, total = len(hits), max(len(hits), hits[0].get("total", 0))
    head = ("1 match." if total == 1 else f"{n} matches, best first." if n == total
            else f"The best {n} of {total} matches, best first.")
    head = f'<div class="meta">{head}</div>'
    return f'<div class="card">{head}{"".join(out)}</div>'


def word_chunks(text: str, size: int = 6) -> list[str]:
    """Growing prefixes of ``text``, ``size`` words more each time (for streaming)."""
    words = text.split(" ")
    return [" ".join(words[:i]) for i in range(size, len(words), size)] + [text]


def _card(text: str) -> str:
    return f'<div class="card hint">{_esc(text)}</div>'
