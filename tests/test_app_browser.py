"""The chat UI in headless Chromium, against the real model and a real persisted index.

Also writes docs/screenshots/chat.png and docs/screenshots/citation-panel.png (1280x900).
The fast tests at the end check the app's handlers and rendering without a browser or a model.
"""

from __future__ import annotations

import re
import socket
import sqlite3
import struct
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 900}
QUESTION_BOX = '#question textarea[data-testid="textbox"]'
BOT = '[data-testid="bot"]'
DOSE_Q = "What dose of clofarabine is used in children?"
TIMEOUT_MS = 30_000
# Scroll the chat so that the latest question is at its top (the chat autoscrolls to the bottom).
SCROLL_TO_QUESTION = """() => {
  const q = [...document.querySelectorAll('#chat [data-testid="user"]')].pop();
  let box = q.parentElement;
  while (box && !(box.scrollHeight > box.clientHeight && /auto|scroll/.test(getComputedStyle(box).overflowY))) {
    box = box.parentElement;
  }
  if (box) box.scrollTop += q.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
}"""


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


@pytest.fixture(scope="module")
def chromium():  # noqa: ANN201
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium (make chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    sync_playwright = sync_api.sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def app_url(real_assistant):  # noqa: ANN001, ANN201
    from assistant.app import build_app

    real_assistant.warm_up()
    demo = build_app(real_assistant)
    port = _free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True, share=False)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture
def page(chromium, app_url):  # noqa: ANN001, ANN201
    context = chromium.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    pg.goto(app_url, wait_until="load")
    pg.wait_for_selector('textarea[data-testid="textbox"]')
    yield pg
    context.close()


def ask(page: Any, question: str, final: str = 'a[href^="#src-"]') -> Any:
    """Type ``question``, press Enter, and return the last bot message once it holds ``final``."""
    before = page.locator(BOT).count()
    page.fill(QUESTION_BOX, question)
    page.press(QUESTION_BOX, "Enter")
    page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length > n", arg=[BOT, before])
    last = page.locator(BOT).last
    last.locator(final).first.wait_for()
    return last


@pytest.mark.browser
@pytest.mark.integration
def test_answer_citation_panel_and_screenshots(page: Any, real_assistant: Any) -> None:
    expected = real_assistant.ask(DOSE_Q).to_dict()
    doses = [c for c in expected["citations"] if "52 mg/m2/day" in c["quote"]]
    assert doses, f"the pipeline's answer no longer cites the 52 mg/m2/day sentence: {expected['answer']!r}"
    dose = doses[0]
    doc = real_assistant.store.docs[dose["doc_id"]]

    msg = ask(page, DOSE_Q)
    assert "52 mg/m2/day" in msg.inner_text()
    assert "quoted statements match their sources" in msg.inner_text()
    from assistant import phrases

    assert any(f"{m} {phrases.COVERAGE[s]}" in msg.inner_text() for m, s in (("✓", "strong"), ("◐", "fair")))
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate(SCROLL_TO_QUESTION)
    page.screenshot(path=str(SHOTS / "chat.png"))

    # the [n] link right after the 52 mg/m2/day sentence (the first link with that href is in the answer text)
    msg.locator(f'a[href="#src-0-{dose["n"]}"]').first.click()
    mark = page.locator("#citation-panel mark.cited")
    mark.wait_for()
    assert _norm(mark.inner_text()) == _norm(dose["quote"])
    panel = page.locator("#citation-panel").inner_text()
    assert doc.title in panel
    assert doc.publisher in panel
    assert page.url.endswith("/")  # the click did not navigate
    page.screenshot(path=str(SHOTS / "citation-panel.png"))
    for name in ("chat.png", "citation-panel.png"):
        assert _png_size(SHOTS / name) == (1280, 900)

    # another citation replaces the panel's content; clicking the first again brings it back
    other = next(c for c in expected["citations"] if c["n"] != dose["n"])
    msg.locator(f'a[href="#src-0-{other["n"]}"]').first.click()
    page.wait_for_function("(q) => document.querySelector('#citation-panel mark.cited')?.innerText"
                           ".replace(/\\s+/g, ' ').trim() === q", arg=_norm(other["quote"]))
    msg.locator(f'a[href="#src-0-{dose["n"]}"]').first.click()
    page.wait_for_function("(q) => document.querySelector('#citation-panel mark.cited')?.innerText"
                           ".replace(/\\s+/g, ' ').trim() === q", arg=_norm(dose["quote"]))


@pytest.mark.browser
@pytest.mark.integration
def test_thumbs_down_with_comment_is_stored(page: Any, real_assistant: Any) -> None:
    ask(page, "What is blinatumomab?")
    comment = "Too technical for me'); DROP TABLE feedback; --"
    page.fill('#feedback-comment textarea', comment)
    page.click("#thumbs-down")
    page.locator("#feedback-status", has_text="saved").wait_for()
    con = sqlite3.connect(real_assistant.settings.server.feedback_db)
    rows = con.execute("SELECT question, rating, comment, status FROM feedback").fetchall()
    con.close()
    assert ("What is blinatumomab?", -1, comment, "answered") in rows


@pytest.mark.browser
@pytest.mark.integration
def test_html_in_question_is_not_rendered(page: Any) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    question = "<img src=x onerror=alert(1)>What is blinatumomab?"
    ask(page, question)
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("#chat img").count() == 0
    assert question in page.locator('[data-testid="user"]').last.inner_text()
    assert dialogs == []


@pytest.mark.browser
@pytest.mark.integration
def test_empty_and_uncovered_questions(page: Any) -> None:
    from assistant import phrases

    page.click("#ask-button")
    page.locator(BOT, has_text=phrases.ERROR_EMPTY).wait_for()
    msg = ask(page, "Is hydroxychloroquine used in relapsed ALL?")
    text = msg.inner_text()
    assert _norm(phrases.NOT_COVERED) in _norm(text)
    assert "Closest sources" in text
    msg.locator('a[href^="#src-"]').first.click()
    page.locator("#citation-panel mark.cited").wait_for()


@pytest.mark.browser
@pytest.mark.integration
def test_api_ask_with_gradio_client(app_url: str) -> None:
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    out = client.predict("What is blinatumomab?", "[]", api_name="/ask")
    assert isinstance(out, dict)
    assert out["status"] == "answered"
    assert out["citations"] and all({"n", "doc_id", "start", "end", "quote"} <= set(c) for c in out["citations"])
    follow = client.predict("Who can get it?", '[{"role": "user", "content": "What is blinatumomab?"}]',
                            api_name="/ask")
    assert follow["status"] in ("answered", "abstained")


# ----- fast: handlers and rendering with stand-ins (no browser, no model) ------------------------
def _answer(**kw: Any) -> Any:
    from assistant.types import Answer, Citation, Notice

    base = dict(question="q", answer="Dose is <b>52</b> mg. [1] Not a cite [9].", status="answered",
                citations=[Citation(1, "c1", "002", "Doc <T>", "A > B", 10, 20, "Dose is 52 mg.")],
                notices=[Notice("population", "Adults <only>."), Notice("population", "Adults <only>."),
                         Notice("population", "Also adults."), Notice("urgent", "Call now.")],
                verdict={"ok": False, "checked": 2, "passed": 1, "removed": [
                    {"sentence": "Bad <i>x</i>", "cites": [1], "ok": False,
                     "results": [{"rule": "numbers", "ok": False, "reason": "7 not in source"}]}]},
                related=[])
    base.update(kw)
    return Answer(**base)


class StubAssistant:
    def __init__(self, result: Any) -> None:
        self.result, self.calls = result, []

    def ask(self, question: str, history: list[dict[str, Any]] | None = None) -> Any:
        self.calls.append((question, list(history or [])))
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result


def _handlers(result: Any, tmp_path: Path) -> Any:
    from assistant.app import Handlers
    from assistant.feedback import FeedbackStore

    return Handlers(StubAssistant(result), FeedbackStore(tmp_path / "fb.sqlite3"), delay=0)


def test_render_answer_escapes_links_and_groups() -> None:
    from assistant import phrases
    from assistant.app import render_answer

    md = render_answer(_answer().to_dict(), 3)
    assert "<b>" not in md and "&lt;b&gt;52&lt;/b&gt;" in md
    assert "[[1]](#src-3-1)" in md and "[9]" in md and "#src-3-9" not in md
    assert md.count("Adults &lt;only&gt;.") == 1 and "Also adults." in md
    assert md.index("Urgent") < md.index("Dose is")  # notices come first
    assert "Doc &lt;T&gt;" in md and "<T>" not in md
    assert phrases.VERDICT_SUMMARY.format(passed=1, total=2) in md
    assert "<details>" in md and "Bad &lt;i&gt;x&lt;/i&gt;" in md and "7 not in source" in md


def test_render_abstained_lists_closest_sources() -> None:
    from assistant import phrases
    from assistant.app import render_answer

    related = [{"chunk_id": "a", "doc_id": "001", "title": "T1", "section": "S"},
               {"chunk_id": "b", "doc_id": "001", "title": "T1", "section": "S"},
               {"chunk_id": "c", "doc_id": "004", "title": "T4", "section": "X > Y"}]
    ans = _answer(answer=phrases.NOT_COVERED, status="abstained", citations=[], notices=[],
                  verdict={"ok": True, "checked": 0, "passed": 0}, related=related)
    md = render_answer(ans.to_dict(), 0)
    assert md.startswith(phrases.NOT_COVERED)
    assert "Closest sources" in md and "(#src-0-r1)" in md and "(#src-0-r3)" in md and "(#src-0-r2)" not in md
    assert "statements checked" not in md


def test_respond_streams_then_formats(tmp_path: Path) -> None:
    h = _handlers(_answer(), tmp_path)
    steps = list(h.respond("<img src=x onerror=alert(1)>dose?", [], {"turns": [], "answers": {}}))
    box, chat, session = steps[-1]
    assert box == ""
    assert chat[0] == {"role": "user", "content": "&lt;img src=x onerror=alert(1)&gt;dose?"}
    assert "(#src-0-1)" in chat[-1]["content"]
    assert len(steps) >= 3  # placeholder, growing text, final
    assert session["answers"][0]["status"] == "answered"
    assert session["turns"][0] == {"role": "user", "content": "<img src=x onerror=alert(1)>dose?"}
    # the next question gets the earlier turns as plain-string history
    list(h.respond("and in kids?", chat, session))
    assert h.assistant.calls[-1][1] == session["turns"]


def test_respond_shows_safe_errors_and_keeps_serving(tmp_path: Path) -> None:
    from assistant import phrases
    from assistant.errors import InputError

    h = _handlers(InputError(phrases.ERROR_EMPTY), tmp_path)
    box, chat, _ = list(h.respond("   ", [], {}))[-1]
    assert box == "" and [m["role"] for m in chat] == ["assistant"] and phrases.ERROR_EMPTY in chat[-1]["content"]

    h = _handlers(RuntimeError("secret traceback detail"), tmp_path)
    box, chat, session = list(h.respond("What is blinatumomab?", [], {}))[-1]
    assert phrases.ERROR_INTERNAL in chat[-1]["content"] and "secret" not in chat[-1]["content"]
    assert box == "What is blinatumomab?"  # the question was not lost
    assert session["answers"] == {}


def test_show_citation_marks_the_quote_in_context(tmp_path: Path) -> None:
    from assistant.types import Document

    raw = "Intro <script>x</script>. " * 30 + "Dose is 52 mg." + " Later text & more." * 40
    start = raw.index("Dose is")
    doc = Document("002", "f.txt", "Title <T>", "Pub", "adults", "clinicians", "2021", "Jul 2021", raw)
    h = _handlers(None, tmp_path)
    h.assistant.store = type("S", (), {"docs": {"002": doc}})()
    cit = {"n": 1, "chunk_id": "c1", "doc_id": "002", "title": "Title <T>", "section": "A > B", "start": start,
           "end": start + 14, "quote": "Dose is 52 mg."}
    session = {"answers": {0: {"citations": [cit], "related": []}}}
    out = h.show_citation("src-0-1|7", session)
    assert '<mark class="cited" id="cited-mark">Dose is 52 mg.</mark>' in out
    assert "<script>" not in out and "&lt;script&gt;" in out and "Title &lt;T&gt;" in out
    assert "Pub" in out and "adults" in out and "Jul 2021" in out and "A &gt; B" in out
    assert len(out) < 2 * 400 + 1500
    assert "not available" in h.show_citation("src-5-1", session)
    assert "not available" in h.show_citation("javascript:alert(1)", session)
    assert "could not be found" in h.show_citation("src-0-9", session)


def test_feedback_handler_applies_to_latest_answer(tmp_path: Path) -> None:
    h = _handlers(_answer(), tmp_path)
    assert "Ask a question first" in h.rate(-1, "hm", {"answers": {}})[1]
    session = {"answers": {0: _answer(question="first").to_dict(), 1: _answer(question="second").to_dict()}}
    box, msg = h.rate(-1, "unclear", session)
    assert box == "" and "saved" in msg
    rows = h.feedback.rows()
    assert [(r["question"], r["rating"], r["comment"]) for r in rows] == [("second", -1, "unclear")]


def test_api_rejects_bad_history(tmp_path: Path) -> None:
    import gradio as gr

    from assistant.errors import InputError

    h = _handlers(_answer(), tmp_path)
    assert h.ask("q", "[]")["status"] == "answered"
    with pytest.raises(gr.Error):
        h.ask("q", "{not json")
    with pytest.raises(gr.Error):
        h.ask("q", '{"role": "user"}')
    h.assistant.result = InputError("Please type a question.")
    with pytest.raises(gr.Error, match="Please type a question"):
        h.ask("", "[]")


def test_port_in_use_and_auth() -> None:
    from assistant.app import check_port, parse_auth
    from assistant.errors import ConfigError

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(ConfigError, match=f"Port {port} on 127.0.0.1 is already in use; pass --port"):
            check_port("127.0.0.1", port)
    check_port("127.0.0.1", _free_port())
    assert parse_auth("ann:se:cret") == ("ann", "se:cret")
    assert parse_auth(None) is None
    for bad in ("ann", ":pw", "ann:"):
        with pytest.raises(ConfigError):
            parse_auth(bad)
