"""The Gradio chat UI: wiring only; every answer comes from ``Assistant.ask``.

    Chat tab    chatbot (answers streamed, then shown with notices, [n] links, sources, verdict)
                + citation panel (the cited sentence <mark>ed inside its passage) + feedback
    Lookup tab  a passage / sentence / reference ("004:7") by id, and a word search
    API         /ask (question, history_json) -> the answer JSON

Gradio is imported inside the functions, so ``import assistant.app`` stays cheap.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import socket
import sys
import time
from functools import partial
from typing import Any

from . import phrases
from .errors import AssistantError, ConfigError, InputError
from .feedback import FeedbackStore

log = logging.getLogger("assistant.app")

PATIENT_EXAMPLES = ["My child's leukemia came back. What are the treatment options?",
                    "What is CAR-T therapy and who can get it?"]
CLINICIAN_EXAMPLES = ["Clofarabine dose in pediatric R/R ALL?", "InO vs standard chemo CR rate?",
                      "Is Marqibo still available?"]
# Symbols that plain system fonts carry (DejaVu has them; colour emoji fonts are often missing on Linux).
NOTICE_LABELS = {"urgent": "⚠ **Urgent**", "safety": "ℹ **General information only**",
                 "population": "ℹ **Different population**", "conflict": "⚖ **Sources differ**",
                 "outdated": "⚖ **Sources differ, newest first**", "injection": "⚠ **Instructions ignored**"}
_THUMB = ('data:image/svg+xml;utf8,<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">'
          '<path fill="%23666" d="{}"/></svg>')
THUMB_UP = _THUMB.format("M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 "
                         "1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c"
                         ".09-.23.14-.47.14-.73v-2z")
THUMB_DOWN = _THUMB.format("M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2c0 1.1.9 2 2 2h6.31l"
                           "-.95 4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5c0-1.1"
                           "-.9-2-2-2zm4 0v12h4V3h-4z")
CONTEXT_CHARS = 400
TARGET = re.compile(r"^src-(\d+)-(r?)(\d+)(?:\|\d+)?$")
MARKER = re.compile(r"\[(\d+)\]")

# A click on any "#src-..." link in the chat writes its id (plus a counter, so a second click on the same
# link is still a change) into the hidden #citation-target textbox; Gradio then fires its .change event.
CLICK_JS = """
if (!window.__citationClicks) {
  window.__citationClicks = 1;
  document.addEventListener('click', (ev) => {
    const link = ev.target instanceof Element ? ev.target.closest('a[href^="#src-"]') : null;
    if (!link) return;
    ev.preventDefault();
    ev.stopPropagation();
    const box = document.querySelector('#citation-target textarea, #citation-target input');
    if (!box) return;
    box.value = link.getAttribute('href').slice(1) + '|' + (window.__citationClicks++);
    box.dispatchEvent(new Event('input', {bubbles: true}));
  }, true);
}
"""
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
        mark = "✓" if not removed else "⚠"
        parts.append(f"{mark} " + phrases.VERDICT_SUMMARY.format(passed=verdict["passed"], total=verdict["checked"]))
        if removed:
            items = "".join(
                f"<li>“{_esc(r['sentence'])}” — "
                + "; ".join(_esc(f"{x['rule']}: {x.get('reason') or 'failed'}") for x in r["results"] if not x["ok"])
                + "</li>" for r in removed)
            word = "statement" if len(removed) == 1 else "statements"
            parts.append(f"<details><summary>{len(removed)} {word} removed because a check failed</summary>"
                         f"<ul>{items}</ul></details>")
    return "\n\n".join(parts)


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


# ----- event handlers (plain methods: the UI wires them, the tests call them) -----------------------
def _card(text: str) -> str:
    return f'<div class="card hint">{_esc(text)}</div>'


class Handlers:
    """What each UI event does; ``session`` is the per-browser State {"turns": [...], "answers": {idx: dict}}."""

    def __init__(self, assistant: Any, feedback: FeedbackStore, delay: float = 0.02) -> None:
        self.assistant, self.feedback, self.delay = assistant, feedback, delay

    def respond(self, message: str, chat: list[dict[str, Any]], session: dict[str, Any]):  # noqa: ANN201
        """Stream one answer into the chat: a placeholder, growing text, then the formatted message."""
        chat = list(chat or [])
        session = {"turns": list(session.get("turns", [])), "answers": dict(session.get("answers", {}))}
        question = message or ""
        if question.strip():
            chat.append({"role": "user", "content": _esc(question)})
        chat.append({"role": "assistant", "content": "_Looking in the sources…_"})
        yield "", chat, session
        try:
            ans = self.assistant.ask(question, session["turns"]).to_dict()
        except AssistantError as exc:  # the message is safe to show; keep a too-long question for editing
            chat[-1] = {"role": "assistant", "content": "⚠ " + _esc(exc.user_message())}
            yield (question if isinstance(exc, InputError) and question.strip() else ""), chat, session
            return
        except Exception:
            log.exception("answering failed")
            chat[-1] = {"role": "assistant", "content": "⚠ " + phrases.ERROR_INTERNAL}
            yield question, chat, session
            return
        idx = len(session["answers"])
        session["answers"][idx] = ans
        session["turns"] += [{"role": "user", "content": question}, {"role": "assistant", "content": ans["answer"]}]
        for growing in word_chunks(ans["answer"])[:-1]:
            chat[-1] = {"role": "assistant", "content": _esc(growing) + " …"}
            yield "", chat, session
            time.sleep(self.delay)
        chat[-1] = {"role": "assistant", "content": render_answer(ans, idx)}
        yield "", chat, session

    def show_citation(self, target: str, session: dict[str, Any]) -> str:
        """``target`` is "src-<answer idx>-<n>" (or "-r<k>" for a closest source), "|<counter>" optional."""
        m = TARGET.match((target or "").strip())
        ans = session.get("answers", {}).get(int(m.group(1))) if m else None
        if not m or ans is None:
            return _card("That citation is not available any more; ask the question again.")
        n = int(m.group(3))
        try:
            store = self.assistant.store
            if m.group(2):  # one of the closest sources of an unanswered question: show the whole passage
                related = ans["related"][n - 1]
                out = self.assistant.cite(related["chunk_id"])
                c = {"doc_id": related["doc_id"], "section": related["section"], "chunk_id": related["chunk_id"],
                     "start": out["start"], "end": out["end"]}
                return render_citation(store, c, "Closest source:")
            c = next(c for c in ans["citations"] if c["n"] == n)
            return render_citation(store, c, f"[{n}]")
        except (StopIteration, IndexError, KeyError, AssistantError):
            return _card("That citation could not be found in the current sources.")
        except Exception:
            log.exception("showing a citation failed")
            return _card(phrases.ERROR_INTERNAL)

    def rate(self, rating: int, comment: str, session: dict[str, Any]) -> tuple[str, str]:
        """Store feedback on the latest answer; returns (comment box, confirmation)."""
        answers = session.get("answers") or {}
        if not answers:
            return comment, "Ask a question first; feedback applies to the latest answer."
        ans = answers[max(answers)]
        try:
            self.feedback.add(ans["question"], ans, rating, (comment or "")[:4000])
        except Exception:
            log.exception("storing feedback failed")
            return comment, "Sorry, the feedback could not be saved."
        return "", "Thank you: your feedback on the latest answer was saved."

    def lookup(self, ref: str) -> str:
        try:
            return render_lookup(self.assistant.cite(ref), self.assistant.store)
        except AssistantError as exc:
            return _card(exc.user_message())
        except Exception:
            log.exception("lookup failed")
            return _card(phrases.ERROR_INTERNAL)

    def search(self, words: str) -> str:
        from .lookup import search

        try:
            return render_hits(search(self.assistant.store, words, limit=20))
        except AssistantError as exc:
            return _card(exc.user_message())
        except Exception:
            log.exception("search failed")
            return _card(phrases.ERROR_INTERNAL)

    def ask(self, question: str, history_json: str = "[]") -> dict[str, Any]:
        """Answer a question strictly from the source documents, every statement cited and checked.

        Args:
            question: the question, in plain text.
            history_json: earlier turns as a JSON list of {"role": "user" | "assistant", "content": "..."}.
        Returns:
            The answer JSON: answer (markdown with [n] markers), status (answered | abstained | refused),
            citations (n, chunk_id, doc_id, title, section, start, end, quote), notices, verdict, related.
        """
        import gradio as gr

        try:
            history = json.loads(history_json or "[]")
        except ValueError:
            history = None
        if not isinstance(history, list):
            raise gr.Error("history_json must be a JSON list of {role, content} turns.")
        try:
            return self.assistant.ask(question, history).to_dict()
        except AssistantError as exc:
            raise gr.Error(exc.user_message()) from None
        except Exception:
            log.exception("answering failed (API)")
            raise gr.Error(phrases.ERROR_INTERNAL) from None


# ----- the app -----------------------------------------------------------------------------------
def build_app(assistant: Any) -> Any:
    """The Gradio Blocks for ``assistant`` (queue configured from ``settings.server``; not launched)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    import gradio as gr

    server = assistant.settings.server
    h = Handlers(assistant, FeedbackStore(server.feedback_db))

    with gr.Blocks(title="Relapsed ALL: cited answers", analytics_enabled=False) as demo:
        gr.Markdown("**Relapsed or refractory ALL: answers from the sources.** Every statement is quoted from a "
                    "source document, cited and checked. General information, not medical advice: decisions "
                    "belong with the treating team.")
        session = gr.State({"turns": [], "answers": {}})
        with gr.Tab("Chat"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(label="Answers", elem_id="chat", height=540, feedback_options=None,
                                         buttons=["copy"], placeholder="Ask about relapsed or refractory ALL.",
                                         group_consecutive_messages=False)
                    with gr.Row():
                        box = gr.Textbox(show_label=False, placeholder="Type a question and press Enter",
                                         scale=5, elem_id="question", max_lines=4, container=False)
                        send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask-button")
                    with gr.Row(equal_height=True):
                        # Icons as inline SVG data: URLs (Gradio takes a FileData dict as is): thumbs that
                        # render without an emoji font, with no file to ship and nothing fetched.
                        up = gr.Button("Helpful", icon={"path": "thumb-up.svg", "url": THUMB_UP},  # type: ignore[arg-type]
                                       size="sm", elem_id="thumbs-up", min_width=60, scale=1)
                        down = gr.Button("Not helpful", icon={"path": "thumb-down.svg", "url": THUMB_DOWN},  # type: ignore[arg-type]
                                         size="sm", elem_id="thumbs-down", min_width=60, scale=1)
                        comment = gr.Textbox(show_label=False, placeholder="Optional comment on the latest answer",
                                             scale=3, elem_id="feedback-comment", max_lines=2, container=False)
                    thanks = gr.Markdown(elem_id="feedback-status")
                    with gr.Row():
                        gr.Examples(PATIENT_EXAMPLES, inputs=box, label="Patients and families")
                        gr.Examples(CLINICIAN_EXAMPLES, inputs=box, label="Clinicians")
                with gr.Column(scale=2):
                    panel = gr.HTML(PANEL_EMPTY, label="Source", elem_id="citation-panel", css_template=CARD_CSS,
                                    js_on_load=CLICK_JS, padding=True, container=True, show_label=True)
                    target = gr.Textbox(visible="hidden", elem_id="citation-target")
        with gr.Tab("Lookup"):
            gr.Markdown("Look up a passage id, a sentence id, a document id (`004`) or a numbered reference "
                        "(`004:7`, `reference 7 of 004`); or search the sources' sentences for words.")
            with gr.Row():
                ref = gr.Textbox(show_label=False, container=False, scale=4, elem_id="lookup-ref",
                                 placeholder="A reference such as 004:7 or 'reference 7 of 004', or a passage id")
                ref_go = gr.Button("Look up", scale=1)
            ref_out = gr.HTML(elem_id="lookup-result", css_template=CARD_CSS, js_on_load=None)
            with gr.Row():
                words = gr.Textbox(show_label=False, container=False, scale=4, elem_id="search-words",
                                   placeholder="Words to find in the sources, such as: clofarabine dose")
                words_go = gr.Button("Search", scale=1)
            hits_out = gr.HTML(elem_id="search-result", css_template=CARD_CSS, js_on_load=None)

        chatbot.clear(lambda: ({"turns": [], "answers": {}}, PANEL_EMPTY), None, [session, panel],
                      api_visibility="private", queue=False)
        for trigger in (box.submit, send.click):
            trigger(h.respond, [box, chatbot, session], [box, chatbot, session], api_visibility="private",
                    concurrency_id="answer")
        target.change(h.show_citation, [target, session], panel, api_visibility="private", queue=False)
        up.click(partial(h.rate, 1), [comment, session], [comment, thanks], api_visibility="private")
        down.click(partial(h.rate, -1), [comment, session], [comment, thanks], api_visibility="private")
        for trigger in (ref.submit, ref_go.click):
            trigger(h.lookup, ref, ref_out, api_visibility="private")
        for trigger in (words.submit, words_go.click):
            trigger(h.search, words, hits_out, api_visibility="private")
        gr.api(h.ask, api_name="ask", concurrency_id="answer")
    demo.queue(default_concurrency_limit=server.concurrency, max_size=server.max_queue)
    return demo


# ----- serving -----------------------------------------------------------------------------------
def check_port(host: str, port: int) -> None:
    """ConfigError unless ``host:port`` can be bound right now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is not "in use"
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
                raise ConfigError(f"Port {port} on {host} is already in use; pass --port with a free port "
                                  f"(for example --port {port + 1}).") from None
            raise ConfigError(f"Cannot listen on {host}:{port} ({exc.strerror}); check --host and --port.") from None


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    """"user:password" -> (user, password)."""
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise ConfigError("--auth must look like user:password.")
    return user, password


def serve(assistant: Any, host: str | None = None, port: int | None = None, auth: str | None = None,
          open_browser: bool = False) -> int:
    """Start the chat UI and block until Ctrl-C (loopback by default, analytics off, no share link)."""
    server = assistant.settings.server
    host, port = host or server.host, int(port or server.port)
    check_port(host, port)
    credentials = parse_auth(auth)
    demo = build_app(assistant)
    print("Loading the model and the index…", file=sys.stderr, flush=True)
    assistant.warm_up()
    demo.launch(server_name=host, server_port=port, share=False, auth=credentials, prevent_thread_lock=True,
                quiet=True, inbrowser=False, show_error=False)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}/"
    print(f"Chat UI running at {url}  (Ctrl-C to stop)", flush=True)
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopping.", file=sys.stderr)
    finally:
        demo.close()
    return 0
