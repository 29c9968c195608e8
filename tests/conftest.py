"""Shared fixtures: offline guard, a fast fake-embedder assistant, and one real-model assistant per session."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_loopback(address: object) -> bool:
    if isinstance(address, (str, bytes)):
        return True  # AF_UNIX path
    host = address[0] if isinstance(address, tuple) else ""
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded(real):  # noqa: ANN001, ANN202
    def connect(self, address):  # noqa: ANN001, ANN202
        if not _is_loopback(address):
            raise RuntimeError(f"test tried to open a network connection to {address!r}")
        return real(self, address)
    return connect


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any socket connection outside loopback."""
    monkeypatch.setattr(socket.socket, "connect", _guarded(_real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded(_real_connect_ex))


def make_settings(tmp: Path, preset: str = "fast", corpus: Path | None = None, **sections):  # noqa: ANN003, ANN201
    from assistant.config import Settings

    overrides = {"index": {"dir": tmp / "index"}, "server": {"feedback_db": tmp / "feedback.sqlite3"}}
    if corpus is not None:
        overrides["corpus"] = {"dir": corpus}
    for k, v in sections.items():
        overrides.setdefault(k, {}).update(v)
    return Settings.load(preset, env={}, **overrides)


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", dst)
    return dst


@pytest.fixture(scope="session")
def fake_assistant(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """The real pipeline on the real corpus and a real Chroma index, with the hash embedder (fast)."""
    from assistant.pipeline import Assistant

    tmp = tmp_path_factory.mktemp("fake")
    a = Assistant(make_settings(tmp, "fast"))
    a.build_index(progress=False)
    return a


@pytest.fixture(scope="session")
def real_assistant(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """The product: the packaged MiniLM model and a persisted Chroma index (built once per session)."""
    from assistant.pipeline import Assistant

    tmp = tmp_path_factory.mktemp("real")
    a = Assistant(make_settings(tmp, "default"))
    a.build_index(progress=False)
    return a
