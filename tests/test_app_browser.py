"""The chat UI in headless Chromium, against the real model and a real persisted index.

Also writes docs/screenshots/chat.png and docs/screenshots/citation-panel.png (1280x900).
"""

from __future__ import annotations

import re
import socket
import sqlite3
import struct
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration]

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
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def app_url(real_assistant, chromium):  # noqa: ANN001, ANN201
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


def test_answer_citation_panel_and_screenshots(page: Any, real_assistant: Any) -> None:
    expected = real_assistant.ask(DOSE_Q).to_dict()
    dose = next(c for c in expected["citations"] if "52 mg/m2/day" in c["quote"])
    doc = real_assistant.store.docs[dose["doc_id"]]

    msg = ask(page, DOSE_Q)
    assert "52 mg/m2/day" in msg.inner_text()
    assert "statements checked against the sources" in msg.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
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


def test_html_in_question_is_not_rendered(page: Any) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    question = "<img src=x onerror=alert(1)>What is blinatumomab?"
    ask(page, question)
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("#chat img").count() == 0
    assert question in page.locator('[data-testid="user"]').last.inner_text()
    assert dialogs == []


def test_empty_and_uncovered_questions(page: Any) -> None:
    from assistant import phrases

    page.click("#question + button, button:has-text('Ask')")
    page.locator(BOT, has_text=phrases.ERROR_EMPTY).wait_for()
    msg = ask(page, "Is hydroxychloroquine used in relapsed ALL?")
    text = msg.inner_text()
    assert _norm(phrases.NOT_COVERED) in _norm(text)
    assert "Closest sources" in text
    msg.locator('a[href^="#src-"]').first.click()
    page.locator("#citation-panel mark.cited").wait_for()


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
