"""Plain dataclasses passed between the pipeline's stages."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["answered", "partial", "abstained", "refused"]
UnitKind = Literal["sentence", "item", "lead"]


@dataclass(frozen=True)
class Reference:
    """One numbered entry of a document's reference list."""

    doc_id: str
    n: int
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Marker:
    """An in-text reference marker ("[7]", "[59-63]", "relapse.1") in a raw file."""

    start: int
    end: int
    numbers: tuple[int, ...]


@dataclass(frozen=True)
class Document:
    id: str
    file: str
    title: str
    publisher: str
    audience_age: str
    audience_role: str
    date: str
    date_label: str
    raw: str
    references: tuple[Reference, ...] = ()
    markers: tuple[Marker, ...] = ()
    page_starts: tuple[int, ...] = ()  # a PDF's page map: offset in ``raw`` where page 1, 2, ... begins

    def page_of(self, offset: int) -> int | None:
        """The 1-based page that ``raw[offset]`` is on (None for a document without pages)."""
        return max(1, bisect_right(self.page_starts, offset)) if self.page_starts else None

    def meta(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in
                ("id", "file", "title", "publisher", "audience_age", "audience_role", "date", "date_label")}


@dataclass(frozen=True)
class Unit:
    """A citable statement: a sentence, a list item or a list's lead-in, with its exact raw span."""

    id: str
    doc_id: str
    start: int
    end: int
    text: str  # display text: raw span with reference markers removed
    section: str
    kind: UnitKind = "sentence"
    lead: str = ""  # for items: id of the list's lead-in unit
    refs: tuple[int, ...] = ()
    position: int = 0  # order within the document


@dataclass(frozen=True)
class Chunk:
    id: str
    doc_id: str
    section: str
    start: int
    end: int
    text: str
    unit_ids: tuple[str, ...]
    position: int = 0

    def embed_text(self, title: str) -> str:
        return f"{title}. {self.section}.\n{self.text}" if self.section else f"{title}.\n{self.text}"


@dataclass
class Passage:
    """A retrieved chunk with its scores."""

    chunk: Chunk
    score: float = 0.0
    dense_rank: int | None = None
    bm25_rank: int | None = None
    dense_score: float | None = None
    fused_rank: int | None = None  # place in the fused ranking before any reordering (what ranking features read)


@dataclass
class Citation:
    n: int
    chunk_id: str
    doc_id: str
    title: str
    section: str
    start: int
    end: int
    quote: str
    unit_id: str = ""
    page: int | None = None  # for a PDF: the page the quote starts on (the key is left out when None)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("unit_id")
        if d["page"] is None:
            d.pop("page")
        return d


@dataclass
class Notice:
    kind: str
    text: str


@dataclass
class Statement:
    """One sentence of a drafted answer and the citation numbers it carries."""

    text: str
    cites: list[int]
    unit_id: str = ""
    bullet: bool = False
    label: str = ""  # shown in front: whom the statement is about when that is not the asker's group


@dataclass
class Answer:
    question: str
    answer: str
    status: Status
    citations: list[Citation] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    verdict: dict[str, Any] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    related: list[dict[str, str]] = field(default_factory=list)
    composer: str = "extractive"  # or "llm:<model>" when a language model wrote the (checked) answer

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "status": self.status,
            "citations": [c.to_dict() for c in self.citations],
            "notices": [asdict(n) for n in self.notices],
            "verdict": self.verdict,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "related": self.related,
            "composer": self.composer,
        }
