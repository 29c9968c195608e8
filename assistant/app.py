"""The Gradio chat UI: wiring only; every answer comes from ``Assistant.ask``.

    Chat tab    chatbot (answers streamed, then shown from their start with notices, [n] links, sources,
                verdict, and Helpful / Not helpful under each) + citation panel (the cited sentence <mark>ed
                inside its passage; a drawer over the chat on a phone) + example chips that ask at once
    Documents   the indexed documents with their metadata and counts
    Lookup tab  a passage / sentence / reference ("004:7") by id, and a ranked search of sentences and references
    API         /ask (question, history_json) and /ask_for (..., reader) -> the answer JSON

What each event does lives in ``handlers.Handlers``; the page's own script in ``ui_js``.

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
from .errors import ConfigError
from .feedback import FeedbackStore
from .handlers import EMPTY_WARNING, VOTE, Handlers, vote_bar  # noqa: F401 - re-exported
from .render import (  # noqa: F401 - re-exported for callers of assistant.app
    APP_CSS,
    CARD_CSS,
    NOTICE_LABELS,
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
from .ui_js import CLOSE_JS, COUNTER_FROM, COUNTER_JS, UI_JS, VOTE_STATE_JS  # noqa: F401 - used below, re-exported

log = logging.getLogger("assistant.app")

PATIENT_EXAMPLES = ["My child's leukemia came back. What are the treatment options?",
                    "What is CAR-T therapy and who can get it?"]
CLINICIAN_EXAMPLES = ["Clofarabine dose in pediatric R/R ALL?", "InO vs standard chemo CR rate?",
                      "Is Marqibo still available?"]
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
                                         group_consecutive_messages=False, autoscroll=False)
                    counter = gr.HTML("", elem_id="char-counter", js_on_load=None)  # above: in sight while typing
                    reader = gr.Radio([("Patients and families", "patient"), ("Clinicians", "clinician")],
                                      value="patient", show_label=False, elem_id="reader", container=False)
                    with gr.Row():
                        box = gr.Textbox(show_label=False, placeholder="Type a question and press Enter",
                                         scale=5, elem_id="question", max_lines=4, container=False)
                        send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask-button")
                    comment = gr.Textbox(show_label=False, placeholder=phrases.COMMENT_PLACEHOLDER,
                                         elem_id="feedback-comment", max_lines=2, container=False)
                    thanks = gr.Markdown(phrases.FEEDBACK_NOTE, elem_id="feedback-status")
                    chips = []
                    with gr.Column(elem_id="examples"):
                        for label, texts in (("Patients and families", PATIENT_EXAMPLES),
                                             ("Clinicians", CLINICIAN_EXAMPLES)):
                            gr.Markdown(f"**{label}**", elem_classes="examples-label")
                            with gr.Row(elem_classes="example-row"):
                                chips += [(gr.Button(t, size="sm", elem_classes="example-chip"), t) for t in texts]
                with gr.Column(scale=2, elem_id="source-column"):
                    close = gr.Button(phrases.SOURCE_CLOSE, size="sm", elem_id="close-source")
                    panel = gr.HTML(PANEL_EMPTY, label="Source", elem_id="citation-panel", css_template=CARD_CSS,
                                    js_on_load=UI_JS, padding=True, container=True, show_label=True)
                    target = gr.Textbox(visible="hidden", elem_id="citation-target")
                    vote_target = gr.Textbox(visible="hidden", elem_id="vote-target")
                    votes = gr.Textbox("{}", visible="hidden", elem_id="vote-state")
        with gr.Tab("Documents"):
            gr.Markdown("The documents every answer is quoted from. Add your own with `assistant add FILE` "
                        "(PDF, HTML, Markdown or text), remove one with `assistant remove ID`.")
            docs = gr.Markdown(elem_id="documents")
            demo.load(h.documents, None, docs, api_visibility="private", queue=False)
        with gr.Tab("Lookup"):
            from .render import LOOKUP_CSS, LOOKUP_JS

            gr.Markdown("Search the sources' sentences **and their reference lists** for words, a trial name "
                        "(`ZUMA-3`) or an author (`Kantarjian`): the best matches come first, and a reference "
                        "lists the sentences that cite it. Click a sentence or a reference to open it in the "
                        "lookup panel, with its context; or look one up by id: a sentence or passage id, a "
                        "document (`004`) or a numbered reference (`004:7`, `reference 7 of 004`).")
            with gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    with gr.Row():
                        words = gr.Textbox(show_label=False, container=False, scale=4, elem_id="search-words",
                                           placeholder="Words, a trial or an author, such as: clofarabine dose")
                        words_go = gr.Button("Search", scale=1, elem_id="search-button")
                    hits_out = gr.HTML(elem_id="search-result", css_template=LOOKUP_CSS, js_on_load=LOOKUP_JS)
                with gr.Column(scale=2):
                    with gr.Row():
                        ref = gr.Textbox(show_label=False, container=False, scale=4, elem_id="lookup-ref",
                                         placeholder="004:7, reference 7 of 004, or a sentence id")
                        ref_go = gr.Button("Look up", scale=1, elem_id="lookup-button")
                    ref_out = gr.HTML(elem_id="lookup-result", css_template=LOOKUP_CSS, js_on_load=LOOKUP_JS)

            def follow(evt: gr.EventData) -> tuple[Any, Any]:
                """A click on a sentence or reference link in the Lookup tab: open it in the lookup panel."""
                key = str(getattr(evt, "lookup", "") or "")
                return (key, h.lookup(key)) if key else (gr.skip(), gr.skip())

            # Gradio spots its EventData by type hint; with postponed annotations and ``gr`` imported in this
            # function, the hint must be the class itself.
            follow.__annotations__["evt"] = gr.EventData

            for out_html in (hits_out, ref_out):
                out_html.click(follow, None, [ref, ref_out], api_visibility="private", queue=False)

        chatbot.clear(lambda: ({"turns": [], "answers": {}}, PANEL_EMPTY, "{}", phrases.FEEDBACK_NOTE), None,
                      [session, panel, votes, thanks], api_visibility="private", queue=False)
        reader.change(Handlers.set_reader, [reader, session], session, api_visibility="private", queue=False)
        for trigger in (box.submit, send.click):
            trigger(h.respond, [box, chatbot, session], [box, chatbot, session], api_visibility="private",
                    concurrency_id="answer")
        for chip, text in chips:
            chip.click(partial(h.example, text), [chatbot, session], [chatbot, session], api_visibility="private",
                       concurrency_id="answer")
        limit = assistant.settings.input.max_question_chars
        box.change(None, box, counter, api_visibility="private", js=COUNTER_JS.replace("__LIMIT__", str(int(limit)))
                   .replace("__FROM__", str(COUNTER_FROM)).replace("__COUNT__", json.dumps(phrases.CHAR_COUNT))
                   .replace("__OVER__", json.dumps(phrases.CHAR_OVER)))
        target.change(h.show_citation, [target, session], panel, api_visibility="private", queue=False)
        close.click(None, None, None, api_visibility="private", js=CLOSE_JS)
        vote_target.change(h.vote, [vote_target, comment, session, votes], [comment, thanks, votes],
                           api_visibility="private")
        votes.change(None, votes, None, api_visibility="private", js=VOTE_STATE_JS)
        for trigger in (ref.submit, ref_go.click):
            trigger(h.lookup, ref, ref_out, api_visibility="private")
        for trigger in (words.submit, words_go.click):
            trigger(h.search, words, hits_out, api_visibility="private")
        gr.api(h.ask, api_name="ask", concurrency_id="answer")
        gr.api(h.ask_for, api_name="ask_for", concurrency_id="answer")
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
