"""The Gradio chat UI: wiring only; every answer comes from ``Assistant.ask``.

    Chat tab    chatbot (answers streamed, then shown from their start with notices, [n] links, sources,
                verdict, and Helpful / Not helpful under each) + citation panel (the cited sentence <mark>ed
                inside its passage; a drawer over the chat on a phone) + example chips that ask at once
    Lookup tab  a passage / sentence / reference ("004:7") by id, and a word search
    API         /ask (question, history_json) -> the answer JSON

Gradio is imported inside the functions, so ``import assistant.app`` stays cheap.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import socket
import sys
import time
from functools import partial
from typing import Any

from . import phrases
from .errors import AssistantError, ConfigError, InputError
from .feedback import FeedbackStore
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
VOTE = re.compile(r"^(\d+)\|(-?1)(?:\|\d+)?$")  # "<answer idx>|<+1 or -1>|<click counter>" from #vote-target
EMPTY_WARNING = "⚠ " + _esc(phrases.ERROR_EMPTY)

def vote_bar(idx: int) -> str:
    """The Helpful / Not helpful buttons under answer ``idx`` (links that UI_JS turns into votes)."""
    return (f'<span class="vote-prompt">{_esc(phrases.VOTE_PROMPT)}</span> '
            f"[{phrases.VOTE_LABELS[1]}](#vote-{idx}-up) [{phrases.VOTE_LABELS[-1]}](#vote-{idx}-down)")


def _text(message: Any) -> str:
    """A chat message's text, whether Gradio sends its content as a string or as [{"type": "text", ...}]."""
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


# ----- event handlers (plain methods: the UI wires them, the tests call them) -----------------------


class Handlers:
    """What each UI event does; ``session`` is the per-browser State {"id": ..., "turns": [...],
    "answers": {idx: dict}} (``id``, made on the first question, keys each answer's feedback row)."""

    def __init__(self, assistant: Any, feedback: FeedbackStore, delay: float = 0.02) -> None:
        self.assistant, self.feedback, self.delay = assistant, feedback, delay

    def respond(self, message: str, chat: list[dict[str, Any]], session: dict[str, Any]):  # noqa: ANN201
        """Stream one answer into the chat: a placeholder, growing text, then the formatted message with the
        vote buttons under it.  An earlier "please type a question" warning is dropped (one at most)."""
        chat = [m for m in chat or [] if _text(m) != EMPTY_WARNING]
        session = {"id": session.get("id") or secrets.token_hex(8), "turns": list(session.get("turns", [])),
                   "answers": dict(session.get("answers", {}))}
        question = message or ""
        if question.strip():
            chat.append({"role": "user", "content": _esc(question)})
        chat.append({"role": "assistant", "content": "_Looking in the sources…_"})
        yield "", chat, session
        idx = len(session["answers"])
        try:
            ans = None
            for step in self._answers(question, session["turns"], session.get("reader", "patient")):
                ans = step.to_dict()
                if ans.get("verdict", {}).get("streaming"):  # a checked sentence more from the language model
                    chat[-1] = {"role": "assistant", "content": render_answer(ans, idx) + " …"}
                    yield "", chat, session
            assert ans is not None
        except AssistantError as exc:  # the message is safe to show; keep a too-long question for editing
            chat[-1] = {"role": "assistant", "content": "⚠ " + _esc(exc.user_message())}
            yield (question if isinstance(exc, InputError) and question.strip() else ""), chat, session
            return
        except Exception:
            log.exception("answering failed")
            chat[-1] = {"role": "assistant", "content": "⚠ " + phrases.ERROR_INTERNAL}
            yield question, chat, session
            return
        session["answers"][idx] = ans
        session["turns"] += [{"role": "user", "content": question}, {"role": "assistant", "content": ans["answer"]}]
        for growing in word_chunks(ans["answer"])[:-1]:
            chat[-1] = {"role": "assistant", "content": _esc(growing) + " …"}
            yield "", chat, session
            time.sleep(self.delay)
        chat[-1] = {"role": "assistant", "content": render_answer(ans, idx) + "\n\n" + vote_bar(idx)}
        yield "", chat, session

    def _answers(self, question: str, turns: list[dict[str, str]], reader: str) -> Any:
        """The answer, as a stream of checked partial answers when a language model writes it."""
        stream = getattr(self.assistant, "ask_stream", None)
        if stream is not None and self.assistant.uses_llm():
            yield from stream(question, turns, reader=reader)
        else:
            yield self.assistant.ask(question, turns, reader=reader) if stream is not None else \
                self.assistant.ask(question, turns)

    def documents(self) -> str:
        """The Documents tab: one row per document of the live index, with its metadata and counts."""
        try:
            store = self.assistant.store
        except AssistantError as exc:
            return "⚠ " + _esc(exc.user_message())
        chunks: dict[str, int] = {}
        for c in store.chunks.values():
            chunks[c.doc_id] = chunks.get(c.doc_id, 0) + 1
        sections: dict[str, set[str]] = {}
        for u in store.units.values():
            sections.setdefault(u.doc_id, set()).add(u.section)
        rows = ["| id | title | publisher | written for | date | pages | sections | passages | references |",
                "|---|---|---|---|---|---|---|---|---|"]
        for d in sorted(store.docs.values(), key=lambda d: d.id):
            rows.append(f"| {_esc(d.id)} | {_esc(d.title)} | {_esc(d.publisher)} | {_esc(d.audience_age)}, "
                        f"{_esc(d.audience_role)} | {_esc(d.date_label)} | {len(d.page_starts) or ''} | "
                        f"{len(sections.get(d.id, ()))} | {chunks.get(d.id, 0)} | {len(d.references)} |")
        return "\n".join(rows)

    @staticmethod
    def set_reader(reader: str, session: dict[str, Any]) -> dict[str, Any]:
        """The "Patients and families / Clinicians" switch: kept in the session, used by the next answers."""
        return {**(session or {}), "reader": reader if reader in ("patient", "clinician") else "patient"}

    def example(self, question: str, chat: list[dict[str, Any]], session: dict[str, Any]):  # noqa: ANN201
        """An example chip: ask its question at once (what is in the question box stays there)."""
        for _box, shown, state in self.respond(question, chat, session):
            yield shown, state

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

    def rate(self, rating: int, comment: str, session: dict[str, Any], idx: int | None = None,
             old: int | None = None) -> tuple[str, str]:
        """Store a vote on answer ``idx`` (the latest when None): one row per answer, so a second vote
        updates that row; ``old`` is the vote it replaces.  Returns (comment box, the line saying what
        was stored)."""
        box, line, _ok = self._rate(rating, comment, session, idx, old)
        return box, line

    def vote(self, target: str, comment: str, session: dict[str, Any], votes: str) -> tuple[str, str, str]:
        """A click on Helpful / Not helpful under an answer: ``target`` is "<answer idx>|<+1 or -1>|<counter>";
        ``votes`` is the JSON {idx: vote} of this chat's stored votes, returned updated (the pressed buttons)."""
        try:
            shown = {str(k): int(v) for k, v in json.loads(votes or "{}").items()}
        except (ValueError, TypeError, AttributeError):
            shown = {}
        m = VOTE.match((target or "").strip())
        if not m:
            return comment, phrases.FEEDBACK_GONE, json.dumps(shown)
        idx, rating = int(m.group(1)), int(m.group(2))
        box, line, ok = self._rate(rating, comment, session, idx, shown.get(str(idx)))
        if ok:
            shown[str(idx)] = rating
        return box, line, json.dumps(shown)

    def _rate(self, rating: int, comment: str, session: dict[str, Any], idx: int | None,
              old: int | None) -> tuple[str, str, bool]:
        answers = session.get("answers") or {}
        if not answers:
            return comment, phrases.FEEDBACK_FIRST, False
        idx = max(answers) if idx is None else idx
        ans = answers.get(idx)
        if ans is None:
            return comment, phrases.FEEDBACK_GONE, False
        key = f"{session['id']}:{idx}" if session.get("id") else None
        comment = (comment or "")[:4000]
        try:
            self.feedback.add(ans["question"], ans, rating, comment, key=key)
        except Exception:
            log.exception("storing feedback failed")
            return comment, phrases.FEEDBACK_FAILED, False
        question = _esc(ans["question"] if len(ans["question"]) <= 80 else ans["question"][:79] + "…")
        vote = phrases.VOTE_LABELS[rating]
        saved = (phrases.FEEDBACK_CHANGED.format(question=question, old=phrases.VOTE_LABELS[old], vote=vote)
                 if old in phrases.VOTE_LABELS and old != rating
                 else phrases.FEEDBACK_SAVED.format(question=question, vote=vote))
        stored = phrases.FEEDBACK_STORED.format(comment=phrases.FEEDBACK_WITH_COMMENT if comment.strip() else "")
        return "", f"{saved} {stored}", True

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
            return render_hits(search(self.assistant.store, words, limit=20), words)
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
            The answer JSON: answer (markdown with [n] markers), status (answered | partial | abstained |
            refused), citations (n, chunk_id, doc_id, title, section, start, end, quote), notices, verdict,
            related, composer.
        """
        return self._api(question, history_json, None)

    def ask_for(self, question: str, history_json: str = "[]", reader: str = "patient") -> dict[str, Any]:
        """Answer a question strictly from the source documents, every statement cited and checked.

        Args:
            question: the question, in plain text.
            history_json: earlier turns as a JSON list of {"role": "user" | "assistant", "content": "..."}.
            reader: "patient" (plain words) or "clinician" (clinical detail), for a language model's answer.
        Returns:
            The answer JSON, as /ask returns it.
        """
        return self._api(question, history_json, reader)

    def _api(self, question: str, history_json: str, reader: str | None) -> dict[str, Any]:
        import gradio as gr

        try:
            history = json.loads(history_json or "[]")
        except ValueError:
            history = None
        if not isinstance(history, list):
            raise gr.Error("history_json must be a JSON list of {role, content} turns.")
        try:
            if reader is None:
                return self.assistant.ask(question, history).to_dict()
            return self.assistant.ask(question, history,
                                      reader=reader if reader in ("patient", "clinician") else "patient").to_dict()
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
