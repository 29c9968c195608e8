"""The chat's handlers: what each event of the Gradio app does (answers, citations, votes, lookup, the API).

Plain methods over an ``Assistant``; ``app.build_app`` wires them to the components.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from typing import Any

from . import phrases
from .errors import AssistantError, InputError
from .feedback import FeedbackStore
from .render import TARGET, _card, _esc, render_answer, render_citation, render_hits, render_lookup, word_chunks

log = logging.getLogger("assistant.app")

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
        if getattr(self.assistant, "uses_llm", lambda: False)():
            yield from self.assistant.ask_stream(question, turns, reader=reader)
        else:
            yield self.assistant.ask(question, turns, reader=reader)

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
            kw = {} if reader is None else {"reader": reader if reader in ("patient", "clinician") else "patient"}
            return self.assistant.ask(question, history, **kw).to_dict()
        except AssistantError as exc:
            raise gr.Error(exc.user_message()) from None
        except Exception:
            log.exception("answering failed (API)")
            raise gr.Error(phrases.ERROR_INTERNAL) from None
