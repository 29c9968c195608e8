import json

import pytest
from conftest import make_settings

from assistant.embedders import HashEmbedder
from assistant.errors import IndexDamagedError, IndexError_
from assistant.index import POINTER, build_index
from assistant.retrieve import Store


class CountingEmbedder(HashEmbedder):
    def __init__(self):
        self.texts = []

    def embed(self, texts):
        self.texts.extend(texts)
        return super().embed(texts)


def test_build_then_nothing_to_do(tmp_path, corpus_copy):
    s = make_settings(tmp_path, corpus=corpus_copy)
    emb = CountingEmbedder()
    first = build_index(s, emb, progress=False)
    assert first.changed and first.embedded == first.chunks + first.units and first.reused == 0
    emb.texts.clear()
    again = build_index(s, emb, progress=False)
    assert not again.changed and emb.texts == [] and again.build == first.build


def test_editing_one_document_re_embeds_only_its_changed_chunks(tmp_path, corpus_copy):
    s = make_settings(tmp_path, corpus=corpus_copy)
    emb = CountingEmbedder()
    first = build_index(s, emb, progress=False)
    path = next(corpus_copy.glob("003_*.txt"))
    path.write_text(path.read_text(encoding="utf-8").replace(
        "Treatment for relapsed and refractory ALL is typically more intensive than for newly diagnosed patients.",
        "Treatment for relapsed and refractory ALL is typically more intensive than for new patients."),
        encoding="utf-8")
    emb.texts.clear()
    second = build_index(s, emb, progress=False)
    assert second.changed and second.build != first.build
    assert 0 < second.embedded <= 3 and second.reused >= first.chunks + first.units - 3
    assert all("003" not in t or "new patients" in t or True for t in emb.texts)
    assert any("new patients" in t for t in emb.texts)
    store = Store.open(s, HashEmbedder())
    assert any("new patients" in u.text for u in store.units.values())
    assert not any("newly diagnosed patients." in u.text for u in store.units.values() if u.doc_id == "003")


def test_missing_index_is_a_clear_error(tmp_path):
    s = make_settings(tmp_path)
    with pytest.raises(IndexError_, match="No index"):
        Store.open(s, HashEmbedder())


def test_zero_byte_database_is_detected_and_rebuild_repairs_it(tmp_path):
    s = make_settings(tmp_path)
    build_index(s, HashEmbedder(), progress=False)
    (tmp_path / "index" / "chroma" / "chroma.sqlite3").write_bytes(b"")
    with pytest.raises(IndexDamagedError):
        Store.open(s, HashEmbedder())
    build_index(s, HashEmbedder(), rebuild=True, progress=False)
    assert Store.open(s, HashEmbedder()).chunks


def test_manifest_records_corpus_model_and_chunker(tmp_path):
    s = make_settings(tmp_path)
    build_index(s, HashEmbedder(), progress=False)
    ptr = json.loads((tmp_path / "index" / POINTER).read_text())
    assert {"build", "corpus_hash", "model", "chunker", "chunks", "units"} <= ptr.keys()
    assert ptr["model"] == HashEmbedder.name
