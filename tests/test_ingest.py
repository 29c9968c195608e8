"""`assistant add / sources / remove` with real files made here: a PDF printed by headless Chromium, an HTML page
with navigation, banners and a footer, a Markdown file; and every bad input leaving the corpus and index as before."""

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT, make_settings

from assistant import ingest
from assistant.embedders import HashEmbedder
from assistant.errors import CorpusError, InputError
from assistant.index import POINTER, chroma_client
from assistant.parsers import parse, reflow_pages
from assistant.pipeline import Assistant

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

LEAFLET_HTML = """<!doctype html><html><head><meta charset="utf-8">
<title>Blinatumomab at home: a leaflet for families</title>
<style>body{font-size:14pt} .next{page-break-before:always}</style></head><body>
<h1>Blinatumomab at home</h1>
<p>This leaflet explains how blinatumomab is given by a small pump that your child carries in a shoulder bag.
The pump runs day and night for four weeks.</p>
<h2>Changing the bag</h2>
<p>A nurse from the day unit changes the blinatumomab bag every 96 hours, either at home or in the clinic.
Never disconnect the line yourself.</p>
<p>If the pump alarms, check that the line is not kinked and call the ward on the number printed on the pump.</p>
<h2 class="next">Tremor and sleepiness</h2>
<p>Tremor, headache, dizziness and unusual sleepiness can be signs of a nervous system reaction to blinatumomab.</p>
<p>Call the ward the same day; the team may pause the infusion for a day and restart it at a lower rate.</p>
</body></html>
"""

PAGE_HTML = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>CAR T-cell therapy for relapsed ALL | City Children's Hospital</title>
<meta property="og:site_name" content="City Children's Hospital">
<meta property="article:published_time" content="2024-03-15"></head><body>
<div class="cookie-banner" role="banner">We use cookies to improve your experience. Accept all cookies</div>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/services">Services</a></li>
<li><a href="/contact">Contact us</a></li><li><a href="/donate">Donate now</a></li></ul></nav></header>
<main><article>
<h1>CAR T-cell therapy for relapsed ALL</h1>
<p>CAR T-cell therapy uses your child's own immune cells, changed in a laboratory so that they find and attack
leukemia cells. It is offered when leukemia has come back after a transplant or after two or more treatments.</p>
<h2>How the cells are collected</h2>
<p>White blood cells are collected through a line in a vein, in a process called apheresis that takes about three
hours. The cells are sent to a laboratory and come back after three to four weeks.</p>
<h2>Staying near the hospital</h2>
<p>Families stay within two hours of the hospital for at least four weeks after the infusion.</p>
</article></main>
<footer><p>© 2024 City Children's Hospital. All rights reserved.</p>
<p><a href="/privacy">Privacy policy</a> | <a href="/terms">Terms of use</a></p></footer>
</body></html>
"""

NAV_HTML = """<!doctype html><html><head><title>Site map</title></head><body><header><nav><ul>
<li><a href="/">Home</a></li><li><a href="/a">About us</a></li><li><a href="/b">Services</a></li></ul></nav></header>
<footer><a href="/privacy">Privacy</a> | <a href="/terms">Terms</a></footer></body></html>
"""

GUIDE_MD = """---
title: Mouth care during reinduction chemotherapy
publisher: Northfield Children's Cancer Unit
date: 2025-09-01
---

# Mouth care during reinduction chemotherapy

Chemotherapy for relapsed leukemia often makes the mouth sore. Good **mouth care** lowers the risk of infection [1].

## Brushing and rinsing

Brush the teeth gently twice a day with a soft toothbrush and a fluoride toothpaste.
Rinse the mouth with a salt water solution after meals [2].

## When to call the unit

Call the unit the same day if your child:

- cannot drink or swallow
- has white patches or bleeding gums

## References

1. Smith A, Jones B. Oral mucositis in children with leukaemia. J Paediatr Oncol 2019; 12:101.
2. Brown C. Saline rinses in oral care. Support Care Cancer 2020; 28:455.
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("files")
    (d / "leaflet.html").write_text(LEAFLET_HTML, encoding="utf-8")
    (d / "page.html").write_text(PAGE_HTML, encoding="utf-8")
    (d / "nav.html").write_text(NAV_HTML, encoding="utf-8")
    (d / "guide.md").write_text(GUIDE_MD, encoding="utf-8")
    if CHROMIUM:
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={d / 'prof'}",
                        f"--print-to-pdf={d / 'leaflet.pdf'}", str(d / "leaflet.html")], capture_output=True,
                       timeout=120, check=False)
    return d


@pytest.fixture
def pdf(files):
    if not (files / "leaflet.pdf").is_file():
        pytest.skip("headless Chromium is needed to print the test PDF")
    return files / "leaflet.pdf"


@pytest.fixture
def live(tmp_path, corpus_copy):
    """Settings on a copy of the corpus, and an assistant with its index built."""
    s = make_settings(tmp_path, "fast", corpus=corpus_copy)
    a = Assistant(s)
    a.build_index(progress=False)
    return s, a


def state(s) -> dict:
    """Everything an add must not change on a bad input: each corpus file's bytes, the pointer, the collections."""
    corpus = Path(s.corpus.dir)
    files = {p.name: p.read_bytes() for p in sorted(corpus.iterdir())}
    pointer = (Path(s.index.dir) / POINTER).read_text(encoding="utf-8")
    cols = sorted(c.name for c in chroma_client(s).list_collections())
    return {"files": files, "pointer": pointer, "collections": cols,
            "sources": sorted(p.name for p in (Path(s.index.dir) / "sources").iterdir())}


def stored(s, doc_id: str) -> tuple[dict, str]:
    entry = next(e for e in tomllib.loads((Path(s.corpus.dir) / "sources.toml").read_text(encoding="utf-8"))
                 ["document"] if e["id"] == doc_id)
    return entry, (Path(s.corpus.dir) / entry["file"]).read_text(encoding="utf-8")


def cited_from(a, question: str, doc_id: str) -> list[dict]:
    ans = a.ask(question).to_dict()
    return [c for c in ans["citations"] if c["doc_id"] == doc_id]


def answers(a, questions) -> list:
    out = []
    for q in questions:
        d = a.ask(q).to_dict()
        out.append((d["answer"], d["status"], [(c["doc_id"], c["start"], c["end"]) for c in d["citations"]]))
    return out


DEFAULT_QUESTIONS = ["What is blinatumomab?", "What is refractory ALL?", "How is relapsed ALL treated in adults?"]


# ----- real files: added, answered from, cited exactly, removed --------------------------------
def test_pdf_is_added_answered_from_cited_by_page_and_removed(live, pdf):
    s, a = live
    before, ids_before, answers_before = state(s), set(a.store.chunks), answers(a, DEFAULT_QUESTIONS)
    units_before = len(a.store.units)
    r = ingest.add(s, [pdf], a.embedder, audience="patients", population="children")
    d = r.docs[0]
    assert (d.id, d.format, d.pages) == ("005", "pdf", 2) and d.sections >= 2 and d.chunks >= 2
    # incremental: only the new document is embedded, every vector of the five is reused
    assert (r.build.embedded, r.build.reused) == (d.chunks + d.units, len(ids_before) + units_before)
    entry, text = stored(s, "005")
    assert entry["title"] == "Blinatumomab at home: a leaflet for families"  # from the PDF's info
    assert entry["content_hash"] == ingest.sha256(pdf.read_bytes()) and entry["page_starts"][0] == 0
    assert "file://" not in text and "1/2" not in text  # Chromium's running header and footer are gone
    page2 = entry["page_starts"][1]
    assert text[page2:].startswith("Tremor and sleepiness")

    c1 = cited_from(a, "How often does a nurse change the blinatumomab bag?", "005")
    assert c1 and all(c["quote"] == text[c["start"]:c["end"]] for c in c1)
    assert any("96 hours" in c["quote"] and c["page"] == 1 for c in c1)
    c2 = cited_from(a, "Can blinatumomab cause tremor, dizziness or sleepiness?", "005")
    assert c2 and all(c["quote"] == text[c["start"]:c["end"]] for c in c2)
    assert all(c["page"] == (2 if c["start"] >= page2 else 1) for c in c2) and any(c["page"] == 2 for c in c2)
    assert {"page"} | {"n", "chunk_id", "doc_id", "title", "section", "start", "end", "quote"} == c2[0].keys()
    on2 = next(c for c in c2 if c["page"] == 2)
    assert a.cite(on2["chunk_id"])["page"] == 2  # `assistant cite --json` shows it too

    ingest.remove(s, "005", a.embedder)
    after = state(s)
    assert after["files"] == before["files"]  # the five documents and the manifest, byte for byte
    assert set(a.store.chunks) == ids_before and "005" not in a.store.docs
    assert answers(a, DEFAULT_QUESTIONS) == answers_before


def test_html_page_keeps_main_content_and_headings_only(live, files):
    s, a = live
    before = state(s)["files"]
    d = ingest.add(s, [files / "page.html"], a.embedder).docs[0]
    entry, text = stored(s, d.id)
    for furniture in ("cookies", "Donate", "Privacy policy", "Contact us", "All rights reserved"):
        assert furniture not in text
    assert entry["title"] == "CAR T-cell therapy for relapsed ALL" and entry["date"] == "2024-03-15"
    assert entry["publisher"] == "City Children's Hospital"
    sections = {u.section for u in a.store.units.values() if u.doc_id == d.id}
    assert {"How the cells are collected", "Staying near the hospital"} <= sections
    cites = cited_from(a, "How are white blood cells collected for CAR T-cell therapy?", d.id)
    assert cites and all(c["quote"] == text[c["start"]:c["end"]] and "page" not in c for c in cites)
    assert any("apheresis" in c["quote"] and c["section"] == "How the cells are collected" for c in cites)
    ingest.remove(s, d.id, a.embedder)
    assert state(s)["files"] == before


def test_markdown_headings_become_sections_and_its_reference_list_is_read(live, files):
    s, a = live
    d = ingest.add(s, [files / "guide.md"], a.embedder, audience="patients", population="children").docs[0]
    entry, text = stored(s, d.id)
    assert (entry["title"], entry["publisher"], entry["date"]) == (
        "Mouth care during reinduction chemotherapy", "Northfield Children's Cancer Unit", "2025-09-01")
    assert "---" not in text and "**" not in text and "• cannot drink or swallow" in text
    doc = a.store.docs[d.id]
    assert [r.n for r in doc.references] == [1, 2] and d.references == 2
    units = [u for u in a.store.units.values() if u.doc_id == d.id]
    assert {"Brushing and rinsing", "When to call the unit"} <= {u.section for u in units}
    assert not any("Oral mucositis" in u.text for u in units)  # the list is references, not content
    assert any(u.refs == (2,) and "salt water" in u.text for u in units)
    cites = cited_from(a, "Does chemotherapy make the mouth sore?", d.id)
    assert any("mouth sore" in c["quote"] and c["quote"] == text[c["start"]:c["end"]] for c in cites)
    assert a.cite(f"{d.id}:2")["text"].startswith("Brown C. Saline rinses")
    ingest.remove(s, d.id, a.embedder)
    assert not (Path(s.corpus.dir) / entry["file"]).exists()


def test_several_files_in_one_add_then_sources_lists_them(live, files):
    s, a = live
    r = ingest.add(s, [files / "page.html", files / "guide.md"], a.embedder)
    assert [d.id for d in r.docs] == ["005", "006"]
    rows = {row["id"]: row for row in ingest.sources(s)}
    assert len(rows) == 7 and rows["006"]["format"] == "markdown" and rows["005"]["chunks"] >= 2
    assert rows["004"]["references"] > 0 and rows["003"]["format"] == "text"


# ----- bad input: one-line error, nothing changed ----------------------------------------------
def scanned_pdf(d: Path) -> Path:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (800, 1000), "white")
    ImageDraw.Draw(img).text((50, 50), "Blinatumomab is given by a pump for four weeks.", fill="black")
    img.save(d / "scan.pdf")
    return d / "scan.pdf"


def encrypted_pdf(d: Path) -> Path:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(612, 792)
    w.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    with open(d / "locked.pdf", "wb") as f:
        w.write(f)
    return d / "locked.pdf"


def oversized(d: Path) -> Path:
    p = d / "huge.txt"
    with open(p, "wb") as f:
        f.truncate(ingest.MAX_BYTES + 1)  # sparse: nothing is read before the size check
    return p


BAD = {
    "scanned": (scanned_pdf, "scan.pdf: no text layer: run OCR first."),
    "encrypted": (encrypted_pdf, "locked.pdf: the PDF is encrypted"),
    "too large": (oversized, "huge.txt: the file is 26,214,401 bytes, over the limit"),
    "navigation only": (lambda d: _write(d / "nav.html", NAV_HTML.encode()), "nav.html: the page has no main content"),
    "unknown format": (lambda d: _write(d / "notes.docx", b"PK\x03\x04"), "notes.docx: unknown format '.docx'"),
    "duplicate": (lambda d: _write(d / "copy.txt", next((ROOT / "corpus").glob("003_*.txt")).read_bytes()),
                  "copy.txt: already indexed as 003"),
    "not utf-8": (lambda d: _write(d / "latin.txt", "Fièvre après la chimiothérapie.".encode("latin-1")),
                  "latin.txt: not UTF-8 text (byte 0xe8 at offset 2)"),
    "not a pdf": (lambda d: _write(d / "fake.pdf", b"hello"), "fake.pdf: not a readable PDF"),
    "missing": (lambda d: d / "nowhere.md", "nowhere.md: no such file"),
}


def _write(p: Path, data: bytes) -> Path:
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_clear_error_and_changes_nothing(live, tmp_path, files, case):
    s, a = live
    make, message = BAD[case]
    bad = make(tmp_path)
    before = state(s)
    with pytest.raises((CorpusError, InputError)) as err:
        ingest.add(s, [files / "guide.md", bad], a.embedder)  # all or nothing: the good file is not added either
    assert message in err.value.user_message() and "\n" not in err.value.user_message()
    assert state(s) == before


def test_the_same_file_twice_is_a_duplicate(live, files):
    s, a = live
    d = ingest.add(s, [files / "guide.md"], a.embedder).docs[0]
    before = state(s)
    with pytest.raises(CorpusError, match=f"already indexed as {d.id}"):
        ingest.add(s, [files / "guide.md"], a.embedder)
    assert state(s) == before


def test_bad_flags_and_unknown_ids_are_refused(live, files):
    s, a = live
    before = state(s)
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        ingest.add(s, [files / "guide.md"], a.embedder, date="2024-13-01")
    with pytest.raises(InputError, match="one PATH"):
        ingest.add(s, [files / "guide.md", files / "page.html"], a.embedder, title="Both")
    with pytest.raises(InputError, match="no document 042"):
        ingest.remove(s, "042", a.embedder)
    assert state(s) == before


# ----- interruptions ---------------------------------------------------------------------------
class Interrupting(HashEmbedder):
    def embed(self, texts):
        raise KeyboardInterrupt


def test_an_add_interrupted_while_embedding_rolls_back(live, files):
    s, a = live
    before = state(s)
    with pytest.raises(KeyboardInterrupt):
        ingest.add(s, [files / "guide.md"], Interrupting())
    assert state(s) == before
    assert a.ask("What is blinatumomab?").status == "answered"


def test_an_add_killed_while_embedding_keeps_the_live_build_and_the_next_index_completes(live, files,
                                                                                          monkeypatch):
    s, a = live
    ptr = (Path(s.index.dir) / POINTER).read_text(encoding="utf-8")
    monkeypatch.setattr(ingest, "_roll_back", lambda *args: None)  # a killed process cleans nothing up
    with pytest.raises(KeyboardInterrupt):
        ingest.add(s, [files / "guide.md"], Interrupting())
    assert (Path(s.index.dir) / POINTER).read_text(encoding="utf-8") == ptr
    assert "005" not in a.store.docs and a.ask("What is blinatumomab?").status == "answered"  # old build serves
    report = a.build_index(progress=False)
    assert report.changed and "005" in a.store.docs


# ----- the command line ------------------------------------------------------------------------
def run_cli(tmp_path, corpus, *args):
    env = dict(os.environ, ASSISTANT_INDEX__DIR=str(tmp_path / "index"), ASSISTANT_CORPUS__DIR=str(corpus),
               HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", "assistant", "--preset", "fast", *args], capture_output=True,
                          text=True, env=env, timeout=180)


def test_cli_add_sources_remove(tmp_path, corpus_copy, files):
    r = run_cli(tmp_path, corpus_copy, "add", str(files / "guide.md"), "--audience", "patients",
                "--population", "children", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "added 005: Mouth care during reinduction chemotherapy — markdown" in r.stdout and "chunks" in r.stdout
    r = run_cli(tmp_path, corpus_copy, "sources", "--json")
    rows = json.loads(r.stdout)
    assert [x["id"] for x in rows] == ["000", "001", "002", "003", "004", "005"]
    assert rows[-1]["population"] == "children" and rows[-1]["audience"] == "patients"
    r = run_cli(tmp_path, corpus_copy, "add", str(files / "guide.md"))
    assert r.returncode == 2 and r.stderr.strip() == ("error: guide.md: already indexed as 005 (Mouth care during "
                                                      "reinduction chemotherapy).")
    r = run_cli(tmp_path, corpus_copy, "add", str(files / "nav.html"))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    r = run_cli(tmp_path, corpus_copy, "remove", "005", "--quiet")
    assert r.returncode == 0 and "removed 005" in r.stdout
    r = run_cli(tmp_path, corpus_copy, "sources")
    assert r.returncode == 0 and "005" not in r.stdout and r.stdout.startswith("000  Refractory ALL")
    for p in (ROOT / "corpus").iterdir():
        assert (corpus_copy / p.name).read_bytes() == p.read_bytes()


# ----- pure parts ------------------------------------------------------------------------------
def test_reflow_joins_wrapped_lines_drops_running_lines_and_maps_pages():
    head, foot = "12/1/26, 5:35 PM A leaflet", "file:///x/leaflet.html {}/2"
    page1 = [head, "Title of the leaflet", "A first paragraph that is long enough to wrap onto the next",
             "line of the page.", "A paragraph that runs over the page break and keeps on going for a",
             foot.format(1)]
    page2 = [head, "while here it ends.", "• a list item", "• another item", foot.format(2)]
    text, starts = reflow_pages([page1, page2])
    assert text == ("Title of the leaflet\n\nA first paragraph that is long enough to wrap onto the next line of the "
                    "page.\n\nA paragraph that runs over the page break and keeps on going for a while here it "
                    "ends.\n\n• a list item\n• another item\n")
    assert starts[0] == 0 and text[starts[1]:].startswith("while here it ends.")


def test_manifest_entries_round_trip_and_come_out_byte_for_byte():
    original = (ROOT / "corpus" / "sources.toml").read_text(encoding="utf-8")
    entry = {"id": "005", "file": "005_x.txt", "title": 'A "quoted" title \\ with\ta tab\x7f', "page_starts": [0, 9]}
    grown = original + ingest.entry_block(entry)
    assert tomllib.loads(grown)["document"][-1] == entry
    assert ingest.without_entry(grown, "005") == original
    shrunk = ingest.without_entry(original, "002")
    assert [d["id"] for d in tomllib.loads(shrunk)["document"]] == ["000", "001", "003", "004"]


def test_text_goes_through_todays_cleaner_as_it_is(tmp_path):
    raw = "Some title\r\n\r\nSkip to main content\r\nA sentence about relapse.\r\n"
    p = _write(tmp_path / "n.txt", ("\ufeff" + raw).encode("utf-8"))
    got = parse(p, p.read_bytes(), "text")
    assert got.text == raw.replace("\r\n", "\n") and got.title == "Some title"


def test_the_documents_tab_lists_the_live_documents(fake_assistant, tmp_path) -> None:  # noqa: ANN001
    from assistant.app import Handlers
    from assistant.feedback import FeedbackStore

    md = Handlers(fake_assistant, FeedbackStore(tmp_path / "fb.sqlite3")).documents()
    lines = md.splitlines()
    assert len(lines) == 2 + len(fake_assistant.store.docs)
    assert all(f"| {d} |" in md for d in ("000", "001", "002", "003", "004"))
    assert "Treatment of relapsed or refractory acute lymphoblastic leukemia in adults" in md


def test_the_source_panel_shows_a_pdf_citations_page() -> None:
    from types import SimpleNamespace

    from assistant.render import render_citation
    from assistant.types import Document

    raw = "Page one text. " * 3 + "Page two: the dose is 52 mg."
    doc = Document("005", "005.txt", "Leaflet", "Clinic", "children", "patients", "2026", "2026", raw,
                   page_starts=(0, 45))
    start = raw.index("the dose")
    c = {"n": 1, "doc_id": "005", "title": "Leaflet", "section": "", "start": start, "end": len(raw),
         "quote": raw[start:], "page": doc.page_of(start), "chunk_id": "x"}
    html_out = render_citation(SimpleNamespace(docs={"005": doc}), c, "[1]")
    assert c["page"] == 2 and "Page 2" in html_out
