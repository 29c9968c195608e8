"""One typed Settings object for the whole assistant.

Sections nest (``settings.retrieval.top_k``); every field carries a
description; unknown keys are rejected.  Environment variables override
defaults as ``ASSISTANT_<SECTION>__<FIELD>`` (for example
``ASSISTANT_RETRIEVAL__TOP_K=8``); ``ASSISTANT_CHROMA_URL`` is a shortcut for
``ASSISTANT_INDEX__CHROMA_URL``.  A TOML settings file (``assistant.toml`` in the working folder, or
the path in ``ASSISTANT_CONFIG``) sits between the preset and the environment.  A wrong key or value is a
ConfigError naming it and the valid keys.  Presets (``fast`` for unit tests) swap the
embedder for the deterministic fake.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError

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
    concept_weight: float = Field(1.0, description="Weight of a third ranking fused in (hybrid; 0: off): chunks "
                                  "by the rare clinical terms they share with the question through the vocabulary "
                                  "bridge (``concepts``).", ge=0)
    audience_weight: float = Field(0.25, description="Weight of a ranking fused in (hybrid; 0: off) that puts "
                                   "the chunks of documents written about the group a question asks about "
                                   "(children, adults) first. 0.25 of 0, 0.25, 0.5, 1, chosen in every fold of "
                                   "a leave-one-set-out run over the nine tuning sets (python -m "
                                   "evals.fit_audience): held-out key facts 0.7995 -> 0.8045 (session 16).", ge=0)
    sentence_rank: bool = Field(False, description="Fuse a third ranking: chunks by their best sentence's cosine "
                                "to the question (sentence-level dense retrieval mapped to chunks).")
    rerank_depth: int = Field(0, description="Fused passages reordered by their best sentence's composer score "
                              "(hybrid strategy; 0: off). 40 with k 5 and weight 2, chosen by leave-one-set-out "
                              "cross-validation over the tuning sets (evals/fit_rerank.py), raises context hit "
                              "0.903 -> 0.949 pooled, but not-covered questions handled fall 0.803 -> 0.77 and key "
                              "facts stay 0.783 (session 12): off by default.", ge=0, le=100)
    rerank_k: float = Field(5.0, description="Reciprocal-rank constant of that second fusion.", gt=0)
    rerank_weight: float = Field(2.0, description="Weight of the best-sentence ranking against the fused one.",
                                 ge=0)


class ComposeSettings(_Section):
    max_sentences: int = Field(6, description="Most sentences in an extractive answer (6 and 1300 characters: "
                               "measured best on dev, train, heldout and fresh1; 4 and 900 before).", ge=1)
    max_chars: int = Field(1300, description="Soft cap on answer length in characters.", ge=100)
    min_sentence_score: float = Field(0.34, description="Sentences scoring below this are not used.")
    relative_floor: float = Field(0.8, description="Sentences scoring below this share of the best sentence's "
                                  "score are not used (0.7 and 0.75 raised key-fact recall by up to 0.04 on the "
                                  "tuning sets and must-not-include hits with it; 0.8 kept).", ge=0, le=1)
    passage_floor: float = Field(0.7, description="The same share for sentences of the best sentence's own "
                                 "passage, whose neighbours often carry the rest of the answer (0.7: key-fact "
                                 "recall +0.02 to +0.04 on train, fresh4 and fresh5, must-not-include hits "
                                 "unchanged; 0.8 before).", ge=0, le=1)
    dedup_jaccard: float = Field(0.6, description="Token Jaccard above which a sentence is a near-duplicate.")
    ranker: bool = Field(True, description="Pick sentences by the fitted sentence ranker (data/ranker.json, "
                         "`assistant fit --ranker`) instead of the score floors above; off, or with no ranker "
                         "fitted for the embedder, the floors decide.")
    deeper: int = Field(3, description="Passages ranked after the top k whose sentences the ranker also "
                        "considers (their sentences rarely win, but sometimes carry the asked value).", ge=0,
                        le=20)


class RulesSettings(_Section):
    support_threshold: float = Field(0.8, description="Share of a sentence's content words found in its cited text.")
    paraphrase_support: float = Field(0.75, description="For a sentence a language model wrote: share of its "
                                      "content words (glue words forgiven, lay words bridged) found in the cited "
                                      "text and its context.", ge=0, le=1)
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


class LLMSettings(_Section):
    provider: Literal["none", "openai", "ollama"] = Field(
        "none", description="'none': the extractive composer only (default, offline); 'openai': any "
        "OpenAI-compatible server (llama.cpp, vLLM, LM Studio, OpenAI) via langchain-openai; 'ollama': via "
        "langchain-ollama.")
    base_url: str = Field("", description="The server's URL, e.g. http://127.0.0.1:8080/v1 (openai) or "
                          "http://127.0.0.1:11434 (ollama).")
    model: str = Field("", description="The model name the server expects.")
    api_key_env: str = Field("OPENAI_API_KEY", description="Environment variable holding the API key (a local "
                             "server needs none).")
    temperature: float = Field(0.0, description="Sampling temperature.", ge=0, le=2)
    timeout_s: float = Field(30.0, description="Seconds to wait for the model before the extractive answer is "
                             "shown instead.", gt=0)
    max_tokens: int = Field(400, description="Longest answer the model may write.", ge=16)
    passages: int = Field(6, description="Cited passages given to the model.", ge=1, le=20)
    min_kept: float = Field(0.5, description="Share of the model's sentences that must pass the rules; below it "
                            "the extractive answer is shown instead.", ge=0, le=1)


class Settings(_Section):
    corpus: CorpusSettings = Field(default_factory=CorpusSettings, description="Source documents.")
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings, description="Embedding model.")
    index: IndexSettings = Field(default_factory=IndexSettings, description="Vector store.")
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings, description="Retrieval.")
    compose: ComposeSettings = Field(default_factory=ComposeSettings, description="Answer composer.")
    rules: RulesSettings = Field(default_factory=RulesSettings, description="Rules layer.")
    input: InputSettings = Field(default_factory=InputSettings, description="Input limits.")
    server: ServerSettings = Field(default_factory=ServerSettings, description="Chat UI server.")
    llm: LLMSettings = Field(default_factory=LLMSettings, description="Optional language model that writes the "
                             "answer (every sentence checked).")

    @classmethod
    def load(cls, preset: str | None = None, env: dict[str, str] | None = None, **overrides: Any) -> "Settings":
        """Defaults, then a preset, then environment variables, then keyword overrides."""
        data: dict[str, dict[str, Any]] = {}
        for section, values in PRESETS.get(preset or "", {}).items():
            data.setdefault(section, {}).update(values)
        environ = os.environ if env is None else env
        for section, values in file_settings(environ).items():
            if not isinstance(values, dict):
                raise ConfigError(f"setting {section} in {config_path(environ)} must be a [{section}] table")
            data.setdefault(section, {}).update(values)
        for section, values in env_overrides(environ).items():
            data.setdefault(section, {}).update(values)
        for section, values in overrides.items():
            data.setdefault(section, {}).update(values)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    """One line per wrong setting: the key, as a file and as an environment variable, and the valid keys."""
    lines = []
    for err in exc.errors():
        loc = [str(x) for x in err["loc"]]
        key, env = ".".join(loc), "ASSISTANT_" + "__".join(x.upper() for x in loc)
        if err["type"] == "extra_forbidden":
            section = Settings.model_fields.get(loc[0]) if len(loc) > 1 else None
            model = section.annotation if section is not None else Settings
            valid = ", ".join(getattr(model, "model_fields", {}))
            where = f"[{loc[0]}]" if len(loc) > 1 else "the top level"
            lines.append(f"unknown setting {key} ({env}); valid keys in {where}: {valid}")
        else:
            got = err.get("input")
            lines.append(f"setting {key} ({env}) = {got!r}: {err['msg']}")
    return "; ".join(lines)


PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "default": {},
    "fast": {"embedding": {"kind": "hash"}},
}


def config_path(env: dict[str, str] | os._Environ[str]) -> Path | None:
    """``ASSISTANT_CONFIG`` when set, else ``assistant.toml`` in the working folder when it exists."""
    if env.get("ASSISTANT_CONFIG"):
        return Path(env["ASSISTANT_CONFIG"])
    local = Path("assistant.toml")
    return local if local.is_file() else None


def file_settings(env: dict[str, str] | os._Environ[str]) -> dict[str, Any]:
    """The settings file's tables ({} without a file); a missing or unreadable file is a ConfigError."""
    path = config_path(env)
    if path is None:
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the settings file {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"the settings file {path} is not valid TOML: {exc}") from None


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
