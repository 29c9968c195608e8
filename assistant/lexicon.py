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


@dataclass(frozen=True, eq=False)  # identity hash: the method cache must not hash every group on each call
class Lexicon:
    groups: tuple[Group, ...]

    @lru_cache(maxsize=8192)  # noqa: B019 - the lexicon is immutable and lives for the process
    def find(self, text: str, kinds: tuple[str, ...] = ()) -> tuple[tuple[Group, str], ...]:
        """Groups named in ``text`` (longest name wins, no overlaps), with the name as found.

        Only the names whose first word occurs in ``text`` are tried, each with its own pattern; the
        matches are then taken left to right, longest first at one position (as one big alternation
        would, but about ten times faster on sentences that name nothing).
        """
        exact, folded, by_first = _compiled(self, kinds)
        names = {n for tok in set(_WORD.findall(text.lower())) for n in by_first.get(tok, ())}
        spans = sorted({(m.start(), m.end()) for n in names for m in _pattern(n).finditer(text)},
                       key=lambda se: (se[0], se[0] - se[1]))
        out, end = [], 0
        for start, stop in spans:
            if start < end:
                continue
            name = text[start:stop]
            group = exact.get(name) or folded.get(name.lower())
            if group is not None:
                out.append((group, name))
                end = stop
        return tuple(out)

    def expand(self, text: str) -> list[str]:
        """Every other name of every group named in ``text`` (for query expansion)."""
        extra: list[str] = []
        for group, name in self.find(text):
            extra.extend(n for n in group.names if n.lower() != name.lower() and n not in extra)
        return extra


_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=32)
def _compiled(lex: Lexicon, kinds: tuple[str, ...]) -> tuple[dict[str, Group], dict[str, Group],
                                                           dict[str, tuple[str, ...]]]:
    """Name -> group maps (case-sensitive abbreviations, the rest case-folded) and names by their first word."""
    exact: dict[str, Group] = {}
    folded: dict[str, Group] = {}
    by_first: dict[str, list[str]] = {}
    names = sorted(((n, g) for g in lex.groups if not kinds or g.kind in kinds for n in g.names),
                   key=lambda x: -len(x[0]))
    for name, group in names:
        if _case_sensitive(name):
            exact.setdefault(name, group)
        else:
            folded.setdefault(name.lower(), group)
        words = _WORD.findall(name.lower())
        if words and name not in by_first.setdefault(words[0], []):
            by_first[words[0]].append(name)
    return exact, folded, {k: tuple(v) for k, v in by_first.items()}


def _case_sensitive(name: str) -> bool:
    return (name.isupper() and len(name) <= 4) or name in {"InO", "Ph+", "Ph-"}


@lru_cache(maxsize=None)
def _pattern(name: str) -> re.Pattern[str]:
    escaped = re.escape(name)
    # Short all-caps abbreviations ("ALL", "CR", "OS") match case-sensitively; words do not.
    flags = 0 if _case_sensitive(name) else re.IGNORECASE
    tail = r"(?![\w+])" if not name.endswith(("+", "-")) else r"(?!\w)"
    return re.compile(r"(?<![\w-])" + escaped + tail, flags)


def named(text: str, kinds: tuple[str, ...] = ()) -> set[str]:
    """The canonical names of the groups of these kinds that ``text`` names."""
    return {g.canonical for g, _ in load_lexicon().find(text, kinds)}


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    data = tomllib.loads(files("assistant").joinpath("data/lexicon.toml").read_text(encoding="utf-8"))
    return Lexicon(tuple(Group(g["kind"], tuple(g["names"])) for g in data["group"]))
