"""The Lookup tab: word search over sentences and reference lists, references with their citing sentences.

Pure tests on a literal store first, then the real corpus (hash embedder), then the tab in headless Chromium
(screenshots in the test's temp folder, or in $LOOKUP_SCREENSHOTS when set).
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from assistant import phrases
from assistant.errors import InputError
from assistant.lookup import lookup, search
from assistant.render import render_hits, render_lookup
from assistant.types import Document, Reference, Unit

# ----- a literal store ---------------------------------------------------------------------------
SENTENCES = [
    ("s1", "Clofarabine 52 mg/m2 daily is the dose for children.", ()),
    ("s2", "Clofarabine is also used in adults.", ()),
    ("s3", "Children in second remission receive maintenance.", ()),
    ("s4", "Most children are cured.", ()),
    ("s5", "Children who relapse late do better.", ()),
    ("s6", "Measurable residual disease is measured after induction.", ()),
    ("s7", "The disease that is residual after induction predicts relapse.", ()),
    ("s8", "Brexucabtagene autoleucel gave 56 percent CR in 71 adults.", (36,)),
    ("s9", "Doses of <script>alert(1)</script> vary.", ()),
]
REFS = [(36, "Shah BD, Gökbuget N, et al. KTE-X19 for adult B-cell ALL: the ZUMA-3 study. Lancet 2021."),
        (37, "Topp MS. A reference that no sentence cites. Blood 2015.")]


def _store() -> Any:
    raw = " ".join(t for _, t, _ in SENTENCES) + "\n\nReferences\n" + "\n".join(f"{n}. {t}" for n, t in REFS)
    units, pos = {}, 0
    for k, (uid, text, refs) in enumerate(SENTENCES):
        start = raw.index(text, pos)
        units[uid] = Unit(uid, "900", start, start + len(text), text, "Treatment > Salvage", refs=refs, position=k)
        pos = start + len(text)
    refs = tuple(Reference("900", n, t, raw.index(t), raw.index(t) + len(t)) for n, t in REFS)
    doc = Document("900", "900_x.txt", "A test review", "Test Press", "adults", "clinicians", "2024-01-01",
                   "2024", raw, references=refs)
    return SimpleNamespace(docs={"900": doc}, units=units, chunks={}, chunk_of=lambda uid: None)


def _marked(hit: dict[str, Any]) -> list[str]:
    return [hit["text"][s:e] for s, e in hit["matches"]]


def test_partial_matches_are_ranked_by_idf_weighted_share() -> None:
    hits = search(_store(), "clofarabine dose children", limit=20)
    ids = [h["id"] for h in hits]
    assert ids[0] == "s1" and hits[0]["matched"] == ["clofarabine", "dose", "children"]
    # one rare word (clofarabine, in 2 sentences) outranks one common word (children, in 4)
    assert ids.index("s2") < min(ids.index(u) for u in ("s3", "s4", "s5"))
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert hits[1]["matched"] == ["clofarabine"] and 0 < hits[1]["score"] < hits[0]["score"]
    assert "s9" in ids  # "Doses" matches "dose": a partial match is kept, not dropped


def test_exact_phrase_gets_a_bonus_and_is_highlighted() -> None:
    hits = search(_store(), "residual disease")
    assert [h["id"] for h in hits[:2]] == ["s6", "s7"]
    assert hits[0]["phrase"] and not hits[1]["phrase"]
    assert _marked(hits[0]) == ["residual disease"]
    assert _marked(hits[1]) == ["disease", "residual"]


def test_inflections_prefixes_and_accents_match() -> None:
    store = _store()
    assert _marked(search(store, "clofar")[0]) == ["Clofarabine"]
    assert "Doses" in _marked(next(h for h in search(store, "dose") if h["id"] == "s9"))
    ref = search(store, "Gokbuget")[0]
    assert ref["kind"] == "reference" and _marked(ref) == ["Gökbuget"]


def test_reference_entries_are_searched_and_carry_their_citing_sentences() -> None:
    hits = search(_store(), "ZUMA-3")
    assert [(h["kind"], h["id"]) for h in hits] == [("reference", "900:36")]
    assert hits[0]["cited_by"] == [{"unit_id": "s8", "section": "Treatment > Salvage", "text": SENTENCES[7][1]}]
    assert _marked(hits[0]) == ["ZUMA-3"]
    assert search(_store(), "Topp")[0]["cited_by"] == []


def test_no_match_is_empty_and_no_words_is_an_input_error() -> None:
    assert search(_store(), "xyzzy plugh") == []
    for words in ("", "   ", "the of and", "a"):
        with pytest.raises(InputError):
            search(_store(), words)


def test_render_hits_escapes_highlights_and_links() -> None:
    store = _store()
    out = render_hits(search(store, "dose vary ZUMA-3"), "dose vary ZUMA-3")
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "<mark>Doses</mark>" in out and "<mark>vary</mark>" in out and "<mark>ZUMA-3</mark>" in out
    assert 'data-lookup="s9"' in out and 'data-lookup="900:36"' in out
    assert f'data-lookup="s8">{SENTENCES[7][1]}</a>' in out  # the citing sentence: a link with its text
    assert "matches 2 of 3 words: dose, vary" in out


def test_render_no_match_names_the_words_escaped() -> None:
    out = render_hits([], "<img src=x onerror=alert(1)>")
    assert "<img" not in out and "&lt;img src=x onerror=alert(1)&gt;" in out
    assert phrases.LOOKUP_NO_MATCH.split("{words}")[1][:40] in out


def test_reference_lookup_lists_citing_sentences_as_links_with_text() -> None:
    store = _store()
    out = lookup(store, "900:36")
    assert out["cited_by"] == [{"unit_id": "s8", "section": "Treatment > Salvage", "text": SENTENCES[7][1]}]
    shown = render_lookup(out, store)
    assert f'data-lookup="s8">{SENTENCES[7][1]}</a>' in shown and "This sentence cites it" in shown
    assert "No sentence in this copy" in render_lookup(lookup(store, "reference 37 of 900"), store)


def test_sentence_lookup_links_its_references() -> None:
    store = _store()
    out = lookup(store, "s8")
    assert out["references"] == [{"n": 36, "id": "900:36", "text": REFS[0][1]}]
    assert 'data-lookup="900:36">Reference 36</a>' in render_lookup(out, store)


# ----- the real corpus ---------------------------------------------------------------------------
CAR_T = "Brexucabtagene autoleucel (KTE-X19) was associated with 56 percent CR"
PHASE_1 = "A phase 1 study reported higher rates of CRS and ICANs with larger doses."


@pytest.mark.parametrize(("words", "refs", "citing"), [
    ("ZUMA-3", {"004:36", "004:37"}, [CAR_T, PHASE_1]),
    ("ALCANTARA", {"004:18"}, ["Similar outcomes were demonstrated in other trials of blinatumomab"]),
    ("BIOV-111", {"000:5"}, ["Clolar is a new drug"]),
])
def test_trial_named_only_in_a_reference_finds_the_citing_sentences(fake_assistant: Any, words: str,
                                                                    refs: set[str], citing: list[str]) -> None:
    store = fake_assistant.store
    assert not any(words.lower() in u.text.lower() for u in store.units.values())  # only in references
    hits = search(store, words)
    assert {h["id"] for h in hits} == refs and all(h["kind"] == "reference" for h in hits)
    texts = [c["text"] for h in hits for c in h["cited_by"]]
    for start in citing:
        assert any(t.startswith(start) for t in texts), (start, texts)


def test_first_author_finds_references_and_their_sentences(fake_assistant: Any) -> None:
    hits = search(fake_assistant.store, "Zugmaier", limit=20)
    assert {h["id"] for h in hits} == {"004:8", "004:9", "004:17"}
    assert all(h["cited_by"] and all(c["text"] for c in h["cited_by"]) for h in hits)


def test_several_words_rank_sentences_and_references_together(fake_assistant: Any) -> None:
    hits = search(fake_assistant.store, "blinatumomab Kantarjian", limit=20)
    assert hits[0]["id"] == "004:7" and hits[0]["matched"] == ["blinatumomab", "kantarjian"]
    assert {h["kind"] for h in hits} == {"sentence", "reference"}  # partial matches of either kind follow


def test_handlers_search_and_lookup_render_links(fake_assistant: Any, tmp_path: Path) -> None:
    from assistant.app import Handlers
    from assistant.feedback import FeedbackStore

    h = Handlers(fake_assistant, FeedbackStore(tmp_path / "fb.sqlite3"), delay=0)
    out = h.search("ZUMA-3")
    sentence = next(u for u in fake_assistant.store.units.values() if u.text.startswith(CAR_T))
    assert f'data-lookup="{sentence.id}">' in out and CAR_T in out and "<mark>ZUMA-3</mark>" in out
    opened = h.lookup(sentence.id)
    assert 'mark class="cited"' in opened and 'data-lookup="004:36">Reference 36</a>' in opened
    assert "sentence cites it" in h.lookup("004:36")
    assert "Nothing in the sources matches “xyzzy”" in h.search("xyzzy")
    assert "Type one or more words" in h.search("  ")


# ----- the tab in headless Chromium --------------------------------------------------------------
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
SEARCH_BOX = "#search-words textarea, #search-words input"


@pytest.fixture(scope="module")
def lookup_app(fake_assistant: Any, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium (make chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    from assistant.app import build_app

    demo = build_app(fake_assistant)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True, share=False)
    shots = Path(os.environ.get("LOOKUP_SCREENSHOTS") or tmp_path_factory.mktemp("lookup-shots"))
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser, f"http://127.0.0.1:{port}/", shots
        browser.close()
    demo.close()


def _open_lookup(browser: Any, url: str, viewport: dict[str, int]) -> Any:
    page = browser.new_context(viewport=viewport).new_page()
    page.set_default_timeout(30_000)
    page.goto(url, wait_until="load")
    page.get_by_role("tab", name="Lookup").click()
    return page


def _search(page: Any, words: str) -> None:
    page.fill(SEARCH_BOX, words)
    page.press(SEARCH_BOX, "Enter")


@pytest.mark.browser
@pytest.mark.parametrize(("name", "viewport"), [("desktop", {"width": 1280, "height": 900}),
                                                ("phone", {"width": 390, "height": 844})])
def test_lookup_tab_trial_to_citing_sentence_and_back(lookup_app: Any, fake_assistant: Any, name: str,
                                                      viewport: dict[str, int]) -> None:
    browser, url, shots = lookup_app
    page = _open_lookup(browser, url, viewport)
    _search(page, "ZUMA-3")
    page.locator('#search-result .hit[data-id="004:36"]').wait_for()
    assert page.locator("#search-result mark").first.inner_text() == "ZUMA-3"
    page.screenshot(path=str(shots / f"lookup-search-{name}.png"), full_page=True)

    link = page.locator("#search-result .cited-by a.lookup-link", has_text="Brexucabtagene autoleucel")
    link.click()
    mark = page.locator("#lookup-result mark.cited")
    mark.wait_for()
    assert re.sub(r"\s+", " ", mark.inner_text()).startswith(CAR_T)
    sentence = next(u for u in fake_assistant.store.units.values() if u.text.startswith(CAR_T))
    assert page.locator("#lookup-ref textarea, #lookup-ref input").input_value() == sentence.id
    assert page.url == url  # the link did not navigate
    top = page.locator("#lookup-result").bounding_box()["y"]
    assert -2 <= top < viewport["height"] - 80, f"the opened sentence is out of sight (top at {top}px)"
    page.screenshot(path=str(shots / f"lookup-{name}.png"))

    page.locator("#lookup-result a.lookup-link", has_text="Reference 36").click()
    page.wait_for_function("() => document.querySelector('#lookup-result')?.innerText.includes('sentence cites it')")
    assert "ZUMA-3 study" in page.locator("#lookup-result").inner_text()
    page.context.close()


@pytest.mark.browser
def test_lookup_tab_no_match_message_and_html_in_query(lookup_app: Any) -> None:
    browser, url, shots = lookup_app
    page = _open_lookup(browser, url, {"width": 1280, "height": 900})
    _search(page, "<img src=x onerror=alert(1)> xyzzy")
    page.wait_for_function("() => document.querySelector('#search-result')?.innerText.includes('Nothing in')")
    assert page.locator("#search-result img").count() == 0
    assert "<img src=x onerror=alert(1)> xyzzy" in page.locator("#search-result").inner_text()
    page.screenshot(path=str(shots / "lookup-no-match.png"))
    page.context.close()
