"""Cited answers about relapsed or refractory ALL, strictly from the source documents.

    from assistant import Assistant
    Assistant.from_settings().ask("What dose of clofarabine is used in children?")

Nothing heavy is imported here: ``Assistant`` loads on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Assistant", "Settings", "__version__"]

if TYPE_CHECKING:
    from .config import Settings
    from .pipeline import Assistant


def __getattr__(name: str) -> Any:
    if name == "Assistant":
        from .pipeline import Assistant

        return Assistant
    if name == "Settings":
        from .config import Settings

        return Settings
    raise AttributeError(name)
