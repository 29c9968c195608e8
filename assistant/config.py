"""One typed Settings object for the whole assistant.

Sections nest (``settings.retrieval.top_k``); every field carries a
description; unknown keys are rejected.  Environment variables override
defaults as ``ASSISTANT_<SECTION>__<FIELD>`` (for example
``ASSISTANT_RETRIEVAL__TOP_K=8``); ``ASSISTANT_CHROMA_URL`` is a shortcut for
``ASSISTANT_INDEX__CHROMA_URL``.  Presets (``fast`` for unit tests) swap the
embedder for the deterministic fake.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ROOT = Path(__file__).resolve().parent.parent


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class CorpusSettings(_Section):
    dir: Path = Field(ROOT / "corpus", description="Folder holding the source files and sources.toml.")
    manifest: str = Field("sources.toml", description="Manifest file name inside the corpus folder.")


class EmbeddingSettings(_Section):
    kind: Literal["minilm", "hash"] = Field(
        "minilm", description="'minilm': the packaged all-MiniLM-L6-v2 model; 'hash': deterministic fake for tests."
    )
    batch_size: int = Field(32, description="Sentences per embedding batch.", ge=1)
    threads: int = Field(0, description="torch threads for inference (0 = torch default).", ge=0)


class IndexSettings(_Section):
    dir: Path = Field(ROOT / "index", description="Where the persisted Chroma store and its manifest live.")
    chroma_url: str = Field(
        "", description="http://host:port of a Chroma server; empty = embedded PersistentClient under index.dir."
    )
    collection_prefix: str = Field("all", description="Prefix of the Chroma collection names.")
    keep_builds: int = Field(2, description="How many older index builds to keep after a swap.", ge=0)


class RetrievalSettings(_Section):
    strategy: Literal["hybrid", "dense", "bm25"] = Field("hybrid", description="Which retrievers to use.")
    top_k: int = Field(5, description="Passages handed to the composer.", ge=1, le=50)
    candidates: int = Field(20, description="Candidates taken from each retriever before fusion.", ge=1)
    rrf_k: int = Field(60, description="Reciprocal-rank-fusion constant.", ge=1)
    expand_query: bool = Field(True, description="Add brand/generic names and abbreviations to the query.")


class ComposeSettings(_Section):
    max_sentences: int = Field(4, description="Most sentences in an extractive answer.", ge=1)
    max_chars: int = Field(900, description="Soft cap on answer length in characters.", ge=100)
    min_sentence_score: float = Field(0.34, description="Sentences scoring below this are not used.")
    dedup_jaccard: float = Field(0.6, description="Token Jaccard above which a sentence is a near-duplicate.")


class RulesSettings(_Section):
    support_threshold: float = Field(0.8, description="Share of a sentence's content words found in its cited text.")
    abstain_threshold: float = Field(0.38, description="Best sentence relevance below which the assistant abstains.")
    value_coverage: float = Field(0.25, description="For a question asking for a value (how long, how often, ...): "
                                  "share of the asking clause's words a statement giving that value must contain.",
                                  ge=0, le=1)


class InputSettings(_Section):
    max_question_chars: int = Field(2000, description="Longest question accepted.", ge=10)
    max_history_turns: int = Field(12, description="Earlier turns kept for follow-ups.", ge=0)
    max_history_chars: int = Field(4000, description="Characters of history kept per turn.", ge=0)


class ServerSettings(_Section):
    host: str = Field("127.0.0.1", description="Address the chat UI binds to.")
    port: int = Field(7860, description="Port of the chat UI.", ge=1, le=65535)
    concurrency: int = Field(2, description="Answers computed at once (chat and /ask share it); measured best on "
                             "2 cores, see README 'Load and concurrency'.", ge=1)
    max_queue: int = Field(100, description="Requests allowed to wait in Gradio's queue; more are refused at once "
                           "(about 7 s of waiting at the measured 15 answers/s).", ge=1)
    feedback_db: Path = Field(ROOT / "var" / "feedback.sqlite3", description="SQLite file for feedback.")
    log_questions: bool = Field(False, description="Log question text (off by default for privacy).")


class Settings(_Section):
    corpus: CorpusSettings = Field(default_factory=CorpusSettings, description="Source documents.")
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings, description="Embedding model.")
    index: IndexSettings = Field(default_factory=IndexSettings, description="Vector store.")
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings, description="Retrieval.")
    compose: ComposeSettings = Field(default_factory=ComposeSettings, description="Answer composer.")
    rules: RulesSettings = Field(default_factory=RulesSettings, description="Rules layer.")
    input: InputSettings = Field(default_factory=InputSettings, description="Input limits.")
    server: ServerSettings = Field(default_factory=ServerSettings, description="Chat UI server.")

    @classmethod
    def load(cls, preset: str | None = None, env: dict[str, str] | None = None, **overrides: Any) -> "Settings":
        """Defaults, then a preset, then environment variables, then keyword overrides."""
        data: dict[str, dict[str, Any]] = {}
        for section, values in PRESETS.get(preset or "", {}).items():
            data.setdefault(section, {}).update(values)
        for section, values in env_overrides(os.environ if env is None else env).items():
            data.setdefault(section, {}).update(values)
        for section, values in overrides.items():
            data.setdefault(section, {}).update(values)
        return cls.model_validate(data)


PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "default": {},
    "fast": {"embedding": {"kind": "hash"}},
}


def env_overrides(env: dict[str, str] | os._Environ[str]) -> dict[str, dict[str, Any]]:
    """``ASSISTANT_SECTION__FIELD=value`` pairs as nested dicts (unknown ones fail validation)."""
    out: dict[str, dict[str, Any]] = {}
    if env.get("ASSISTANT_CHROMA_URL"):
        out.setdefault("index", {})["chroma_url"] = env["ASSISTANT_CHROMA_URL"]
    for key, value in env.items():
        if not key.startswith("ASSISTANT_") or "__" not in key:
            continue
        section, _, field = key[len("ASSISTANT_"):].lower().partition("__")
        out.setdefault(section, {})[field] = value
    return out
