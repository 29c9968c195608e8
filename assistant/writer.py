"""The language model's side of :class:`~assistant.pipeline.Assistant`: its chat model, made on first use, and
the model's sentences for an answer, each checked by the rules before it is kept (see ``generate``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .config import Settings
from .errors import ConfigError
from .generate import Generated
from .questions import clean_history
from .types import Answer, Citation, Statement

if TYPE_CHECKING:
    from .pipeline import Assessment


class ModelWriter:
    """Mixed into the Assistant: ``settings`` and ``_chat`` (the chat model, None until first used) are its."""

    settings: Settings
    _chat: Any

    def chat_model(self) -> Any:
        """The configured LangChain chat model, made on first use (ConfigError when none is configured)."""
        from .generate import chat_model

        if self._chat is None:
            cfg = self.settings.llm
            if cfg.provider == "none":
                raise ConfigError("No language model is configured: set llm.provider (ASSISTANT_LLM__PROVIDER) "
                                  "to openai or ollama, with llm.base_url and llm.model.")
            try:
                self._chat = chat_model(cfg)
            except ImportError as exc:
                raise ConfigError(f"The {cfg.provider} provider needs a package that is not installed: {exc.name}. "
                                  "Run `make setup`.") from None
        return self._chat

    def generate(self, ans: Answer, a: Assessment, history: list[dict[str, Any]], reader: str = "patient",
                 stream: bool = True) -> Iterator[tuple[Statement | None, Generated, list[Citation]]]:
        """The model's checked sentences for an extractive answer ``ans``, as :func:`generate.write` yields them."""
        from .generate import Generated, messages, model_passages, write

        cfg = self.settings.llm
        assert a.store is not None and a.draft is not None
        citations, cited = model_passages(ans.citations, a.draft.citations, a.store, cfg.passages)
        try:
            model = self.chat_model()
        except ConfigError as exc:
            yield None, Generated(cfg.model, fallback=str(exc)), citations
            return
        hist = clean_history(history, self.settings.input.max_history_turns, self.settings.input.max_history_chars)
        resolved = ans.verdict.get("resolved", {}).get("resolved") or ans.question
        msgs = messages(resolved, hist, citations, reader)
        for st, g in write(model, msgs, cited, self.settings.rules.paraphrase_support, cfg.min_kept,
                           f"llm:{cfg.model or cfg.provider}", stream=stream):
            yield st, g, citations

    def _generated(self, ans: Answer, a: Assessment, history: list[dict[str, Any]], reader: str,
                   replay: Generated | None = None, replay_citations: list[Citation] | None = None) -> Answer:
        """The model's answer when enough of it passes the checks, else ``ans`` with a notice saying why
        (``replay``: a generation already run, by :meth:`ask_stream`)."""
        from .generate import finish

        final = (replay, replay_citations or []) if replay is not None else None
        if final is None:
            for st, g, citations in self.generate(ans, a, history, reader, stream=False):
                if st is None:
                    final = (g, citations)
        assert final is not None and final[0] is not None
        return finish(ans, *final)

