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


def _answers(s, questions):
    from assistant.pipeline import Assistant

    a = Assistant(s, embedder=HashEmbedder())
    out = []
    for q in questions:
        ans = a.ask(q)
        out.append((ans.status, ans.answer, [(c.doc_id, c.start, c.end) for c in ans.citations]))
    return out


QUESTIONS = ["What is blinatumomab?", "What dose of clofarabine is used in children?",
             "Which factors predicted inferior survival after second rescue therapy?"]


def _forget_clients():
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def test_truncated_database_is_detected_and_the_next_index_run_repairs_it(tmp_path):
    s = make_settings(tmp_path)
    build_index(s, HashEmbedder(), progress=False)
    before = _answers(s, QUESTIONS)
    _forget_clients()
    db = tmp_path / "index" / "chroma" / "chroma.sqlite3"
    db.write_bytes(db.read_bytes()[: db.stat().st_size // 2])
    with pytest.raises(IndexDamagedError, match="damaged|integrity") as err:
        Store.open(s, HashEmbedder())
    assert "assistant index --rebuild" in err.value.user_message()
    report = build_index(s, HashEmbedder(), progress=False)  # what `assistant index` / `make run` do at start
    assert report.changed and "damaged" in report.repaired
    assert _answers(s, QUESTIONS) == before


def test_missing_segment_folders_never_give_silently_different_answers(tmp_path):
    """Small collections are replayed from Chroma's log; either way the answers must not change quietly."""
    import shutil

    s = make_settings(tmp_path)
    build_index(s, HashEmbedder(), progress=False)
    before = _answers(s, QUESTIONS)
    _forget_clients()
    folders = [d for d in (tmp_path / "index" / "chroma").iterdir() if d.is_dir()]
    assert folders
    for d in folders:
        shutil.rmtree(d)
    try:
        Store.open(s, HashEmbedder())
    except IndexDamagedError:
        assert build_index(s, HashEmbedder(), progress=False).repaired
    assert _answers(s, QUESTIONS) == before


@pytest.fixture
def big_collection(tmp_path):
    """A real persisted Chroma collection large enough that Chroma flushes its log into the HNSW segment."""
    import chromadb
    import numpy as np
    from chromadb.config import Settings as CS

    path = tmp_path / "big"
    client = chromadb.PersistentClient(path=str(path), settings=CS(anonymized_telemetry=False))
    col = client.create_collection("big", embedding_function=None, metadata={"hnsw:space": "cosine"})
    vecs = np.random.default_rng(0).normal(size=(3000, 16)).astype(np.float32)
    for b in range(0, 3000, 1000):
        col.add(ids=[f"v{i}" for i in range(b, b + 1000)], embeddings=vecs[b:b + 1000])
    del col, client
    _forget_clients()
    return path


def _reopen(path):
    import chromadb
    from chromadb.config import Settings as CS

    _forget_clients()
    return chromadb.PersistentClient(path=str(path), settings=CS(anonymized_telemetry=False)).get_collection(
        "big", embedding_function=None)


def test_probe_passes_a_healthy_collection(big_collection):
    from assistant.index import check_collection

    check_collection(_reopen(big_collection), 3000)


@pytest.mark.parametrize("damage", ["delete", "truncate"])
def test_probe_catches_a_damaged_segment_folder(big_collection, damage):
    import shutil

    from assistant.index import check_collection

    folders = [d for d in big_collection.iterdir() if d.is_dir()]
    assert folders
    for d in folders:
        if damage == "delete":
            shutil.rmtree(d)
        else:
            for f in d.iterdir():
                f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    with pytest.raises(IndexDamagedError, match="probe|cannot be read"):
        check_collection(_reopen(big_collection), 3000)


def test_each_build_keeps_the_source_texts_its_spans_point_into(tmp_path, corpus_copy):
    import shutil

    from assistant.index import read_pointer, sources_dir

    s = make_settings(tmp_path, corpus=corpus_copy)
    first = build_index(s, HashEmbedder(), progress=False)
    path = next(corpus_copy.glob("001_*.txt"))
    original = path.read_text(encoding="utf-8")
    path.write_text("A different first line.\n" + original, encoding="utf-8")
    store = Store.open(s, HashEmbedder())  # the open build still quotes the texts it was built from
    assert store.build == first.build
    assert store.docs["001"].raw == original
    unit = next(u for u in store.units.values() if u.doc_id == "001" and u.start > 0)
    assert original[unit.start:unit.end].split()[:3] == unit.text.split()[:3]
    second = build_index(s, HashEmbedder(), progress=False)  # and the index is stale: rebuilt
    assert second.changed and Store.open(s, HashEmbedder()).docs["001"].raw.startswith("A different")
    snap = sources_dir(tmp_path / "index", second.build)
    (snap / path.name).write_text(original, encoding="utf-8")  # a copy tampered with
    with pytest.raises(IndexDamagedError, match="does not match"):
        Store.open(s, HashEmbedder())
    shutil.rmtree(snap)  # a build without its copy falls back to corpus/, which must then match
    assert Store.open(s, HashEmbedder()).build == read_pointer(tmp_path / "index")["build"]
    path.write_text(original, encoding="utf-8")
    with pytest.raises(IndexError_, match="out of date") as err:
        Store.open(s, HashEmbedder())
    assert "assistant index" in err.value.user_message()
    assert [d.name for d in (tmp_path / "index" / "sources").iterdir()] == [first.build]


def test_old_build_cleanup_leaves_other_deployments_alone(tmp_path):
    from assistant.index import _drop_old_builds, chroma_client, collection_names

    s = make_settings(tmp_path)
    client = chroma_client(s)
    for prefix, build in [("all", "1"), ("all", "2"), ("all", "3"), ("all-x", "1"), ("all-x", "2")]:
        for name in collection_names(prefix, build):
            client.create_collection(name, embedding_function=None)
    _drop_old_builds(client, "all", "3", keep=1)
    names = {c.name for c in client.list_collections()}
    assert "all-1-chunks" not in names and {"all-2-chunks", "all-3-units", "all-x-1-chunks", "all-x-2-units"} <= names
