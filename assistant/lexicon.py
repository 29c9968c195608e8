"""The synonym lexicon (``data/lexicon.toml``): query expansion and name matching."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files


@dataclass(frozen=True)
class Group:
    kind: str
    names: tuple[str, ...]

    @property
    def canonical(self) -> str:
        return self.names[0]


@dataclass(frozen=True)
class Lexicon:
    groups: tuple[Group, ...]

    @lru_cache(maxsize=4096)  # noqa: B019 - the lexicon is immutable and lives for the process
    def find(self, text: str, kinds: tuple[str, ...] = ()) -> tuple[tuple[Group, str], ...]:
        """Groups named in ``text`` (longest names first, no overlaps), with the name as found."""
        found: list[tuple[int, int, Group, str]] = []
        taken: list[tuple[int, int]] = []
        candidates = sorted(((n, g) for g in self.groups if not kinds or g.kind in kinds for n in g.names),
                            key=lambda x: -len(x[0]))
        for name, group in candidates:
            for m in _pattern(name).finditer(text):
                if any(m.start() < e and s < m.end() for s, e in taken):
                    continue
                taken.append((m.start(), m.end()))
                found.append((m.start(), m.end(), group, m.group(0)))
        found.sort(key=lambda x: x[0])
        return tuple((g, name) for _, _, g, name in found)

    def expand(self, text: str) -> list[str]:
        """Every other name of every group named in ``text`` (for query expansion)."""
        extra: list[str] = []
        for group, name in self.find(text):
            extra.extend(n for n in group.names if n.lower() != name.lower() and n not in extra)
        return extra


@lru_cache(maxsize=None)
def _pattern(name: str) -> re.Pattern[str]:
    escaped = re.escape(name)
    # Short all-caps abbreviations ("ALL", "CR", "OS") match case-sensitively; words do not.
    flags = 0 if (name.isupper() and len(name) <= 4) or name in {"InO", "Ph+", "Ph-"} else re.IGNORECASE
    tail = r"(?![\w+])" if not name.endswith(("+", "-")) else r"(?!\w)"
    return re.compile(r"(?<![\w-])" + escaped + tail, flags)


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    data = tomllib.loads(files("assistant").joinpath("data/lexicon.toml").read_text(encoding="utf-8"))
    return Lexicon(tuple(Group(g["kind"], tuple(g["names"])) for g in data["group"]))
