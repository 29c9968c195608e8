"""The Gradio chat UI: wiring only; every answer comes from ``Assistant.ask``.

    Chat tab    chatbot (answers streamed, then shown with notices, [n] links, sources, verdict)
                + citation panel (the cited sentence <mark>ed inside its passage) + feedback
    Lookup tab  a passage / sentence / reference ("004:7") by id, and a word search
    API         /ask (question, history_json) -> the answer JSON

Gradio is imported inside the functions, so ``import assistant.app`` stays cheap.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import time
from functools import partial
from typing import Any

from . import phrases
from .errors import AssistantError, ConfigError, InputError
from .feedback import FeedbackStore
from .render import (  # noqa: F401 - re-exported for callers of assistant.app
    CARD_CSS,
    PANEL_EMPTY,
    TARGET,
    _card,
    _esc,
    render_answer,
    render_citation,
    render_hits,
    render_lookup,
    sources_list,
    word_chunks,
)

log = logging.getLogger("assistant.app")

PATIENT_EXAMPLES = ["My child's leukemia came back. What are the treatment options?",
                    "What is CAR-T therapy and who can get it?"]
CLINICIAN_EXAMPLES = ["Clofarabine dose in pediatric R/R ALL?", "InO vs standard chemo CR rate?",
                      "Is Marqibo still available?"]
_THUMB = ('data:image/svg+xml;utf8,<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">'
          '<path fill="%23666" d="{}"/></svg>')
THUMB_UP = _THUMB.format("M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 "
                         "1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c"
                         ".09-.23.14-.47.14-.73v-2z")
THUMB_DOWN = _THUMB.format("M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2c0 1.1.9 2 2 2h6.31l"
                           "-.95 4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5c0-1.1"
                           "-.9-2-2-2zm4 0v12h4V3h-4z")

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


# ----- event handlers (plain methods: the UI wires them, the tests call them) -----------------------


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
