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
USER = '[data-testid="user"]'
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
    """Type ``question``, press Enter, and return the last bot message once it holds ``final``.

    (A new question is counted by the user messages: it drops an earlier "please type a question" warning.)"""
    before = page.locator(USER).count()
    page.fill(QUESTION_BOX, question)
    page.press(QUESTION_BOX, "Enter")
    page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length > n", arg=[USER, before])
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
    msg = ask(page, "What is blinatumomab?")
    comment = "Too technical for me'); DROP TABLE feedback; --"
    page.fill('#feedback-comment textarea', comment)
    msg.locator('a[href$="-down"]').click()
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


# ----- the phone (390x844) and the desktop: answer start, notices, the source drawer, votes, examples -------
PHONE = {"width": 390, "height": 844}
URGENT_Q = "My son has a fever and bleeding after chemo. What dose of clofarabine should he get?"
# Where the latest answer stands: in the chat's scroll box and in the window, with its first notice.
ANSWER_GEOMETRY = """() => {
  const bot = [...document.querySelectorAll('#chat [data-testid="bot"]')].pop();
  let box = bot.parentElement;
  while (box && !(box.scrollHeight > box.clientHeight && /auto|scroll/.test(getComputedStyle(box).overflowY))) {
    box = box.parentElement;
  }
  const b = box.getBoundingClientRect(), m = bot.getBoundingClientRect();
  const n = bot.querySelector('blockquote'), r = n && n.getBoundingClientRect();
  return {boxTop: b.top, boxBottom: b.bottom, boxHeight: b.height, top: m.top, height: m.height,
          notice: r && {top: r.top, bottom: r.bottom}, vh: window.innerHeight};
}"""
NOTICE_STYLE = """(q) => { const s = getComputedStyle(q), i = getComputedStyle(q, '::before');
  return {cls: q.className, border: s.borderLeftColor, borderWidth: s.borderLeftWidth, background: s.backgroundColor,
          color: s.color, icon: i.content}; }"""
# Where the cited sentence is on screen, and whether it is the top element at its centre (not covered).
MARK_GEOMETRY = """() => {
  const m = document.querySelector('#citation-panel mark.cited'), r = m.getClientRects()[0];
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, vw: window.innerWidth, vh: window.innerHeight,
          onTop: !!hit && (hit === m || m.contains(hit)),
          position: getComputedStyle(document.getElementById('source-column')).position};
}"""


@pytest.fixture(params=["desktop", "phone"])
def screen(request, chromium, app_url):  # noqa: ANN001, ANN201
    """A page at 1280x900 or, as a touch phone, at 390x844; ``.name`` says which."""
    phone = request.param == "phone"
    context = chromium.new_context(viewport=PHONE if phone else VIEWPORT, is_mobile=phone, has_touch=phone)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    pg.goto(app_url, wait_until="load")
    pg.wait_for_selector('textarea[data-testid="textbox"]')
    pg.name = request.param
    yield pg
    context.close()


def _settled(page: Any) -> dict[str, Any]:
    """The latest answer's geometry once the page has scrolled it into place (or after 5 s, to assert on)."""
    try:
        page.wait_for_function(f"() => {{ const g = ({ANSWER_GEOMETRY})(); return g.top >= g.boxTop - 1 && "
                               "g.top < g.boxTop + 200 && g.top >= 0; }", timeout=5_000)
    except Exception:  # noqa: BLE001 - the assertions below say what is wrong
        pass
    page.wait_for_timeout(150)
    return dict(page.evaluate(ANSWER_GEOMETRY))


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    if page.name == "phone":
        page.screenshot(path=str(SHOTS / f"phone-{name}.png"))


@pytest.mark.browser
@pytest.mark.integration
def test_new_answer_from_its_start_with_the_urgent_notice_first(screen: Any) -> None:
    from assistant.render import NOTICE_LABELS

    ask(screen, "What is blinatumomab?")
    msg = ask(screen, URGENT_Q)
    screen.locator("#chat a[href^='#vote-1-']").first.wait_for()
    g = _settled(screen)
    # the answer opens at its start, not at its end: its top (and its first notice) are in the chat box
    # and in the window, though on the phone the answer is taller than the box
    assert g["boxTop"] - 1 <= g["top"] < g["boxTop"] + 200, g
    assert g["top"] >= 0 and g["boxBottom"] <= g["vh"] + 1, g
    notice = g["notice"]
    assert notice and g["boxTop"] <= notice["top"] and notice["bottom"] <= min(g["boxBottom"], g["vh"]), g
    if screen.name == "phone":
        assert g["height"] > g["boxHeight"], g
    _shot(screen, "answer")

    # the urgent notice comes first and looks unlike the info notices: red, thicker, with an icon
    notices = msg.locator("blockquote")
    assert notices.count() >= 2
    label = NOTICE_LABELS["urgent"].split("**")[1]
    assert label in (notices.first.text_content() or "")
    urgent = notices.first.evaluate(NOTICE_STYLE)
    info = notices.nth(1).evaluate(NOTICE_STYLE)
    assert "notice-urgent" in urgent["cls"] and "notice-urgent" not in info["cls"]
    assert urgent["border"] == "rgb(185, 28, 28)" and urgent["border"] != info["border"]
    assert urgent["background"] != info["background"] and urgent["color"] != info["color"]
    assert float(urgent["borderWidth"][:-2]) > float(info["borderWidth"][:-2])
    assert urgent["icon"] not in ("none", "normal", "") and info["icon"] in ("none", "normal", "")


@pytest.mark.browser
@pytest.mark.integration
def test_tapping_a_citation_shows_its_passage_in_view(screen: Any, real_assistant: Any) -> None:
    expected = real_assistant.ask(DOSE_Q).to_dict()
    msg = ask(screen, DOSE_Q)
    _settled(screen)
    first = expected["citations"][0]
    link = msg.locator(f'a[href="#src-0-{first["n"]}"]').first
    if screen.name == "phone":
        link.tap()
        screen.locator("#source-column.open").wait_for()
    else:
        link.click()
    screen.locator("#citation-panel mark.cited").wait_for()
    screen.wait_for_function("(q) => document.querySelector('#citation-panel mark.cited')?.innerText"
                             ".replace(/\\s+/g, ' ').trim() === q", arg=_norm(first["quote"]))
    screen.wait_for_timeout(200)
    g = screen.evaluate(MARK_GEOMETRY)
    assert 0 <= g["top"] and g["bottom"] <= g["vh"] and 0 <= g["left"] and g["right"] <= g["vw"], g
    assert g["onTop"], g  # nothing covers it
    assert screen.url.endswith("/")
    if screen.name == "desktop":
        assert g["position"] != "fixed"  # the desktop keeps its side panel
        return
    assert g["position"] == "fixed"
    _shot(screen, "source")
    # the drawer closes with its button (and with Escape), and the answer is where it was
    before = msg.bounding_box()
    screen.locator("#close-source").tap()
    screen.wait_for_function("() => !document.querySelector('#source-column.open')")
    assert not screen.locator("#source-column").is_visible()
    assert msg.bounding_box() == before
    link.tap()
    screen.locator("#source-column.open").wait_for()
    screen.keyboard.press("Escape")
    screen.wait_for_function("() => !document.querySelector('#source-column.open')")


@pytest.mark.browser
@pytest.mark.integration
def test_vote_on_an_earlier_answer_then_change_it(screen: Any, real_assistant: Any) -> None:
    from assistant import phrases

    question = f"What is CAR-T therapy? ({screen.name})"
    ask(screen, question)
    ask(screen, "What is blinatumomab?")
    up, down = screen.locator('#chat a[href="#vote-0-up"]'), screen.locator('#chat a[href="#vote-0-down"]')
    assert phrases.FEEDBACK_NOTE.split(";")[0] in screen.locator("#feedback-status").inner_text()
    up.click()
    screen.locator("#feedback-status", has_text="was saved").wait_for()
    screen.wait_for_function("() => document.querySelector('#chat a[href=\"#vote-0-up\"]')"
                             ".getAttribute('aria-pressed') === 'true'")
    assert down.get_attribute("aria-pressed") == "false"
    assert screen.locator('#chat a[href="#vote-1-up"]').get_attribute("aria-pressed") == "false"
    down.click()
    screen.locator("#feedback-status", has_text="changed").wait_for()
    screen.wait_for_function("() => document.querySelector('#chat a[href=\"#vote-0-down\"]')"
                             ".getAttribute('aria-pressed') === 'true'")
    assert up.get_attribute("aria-pressed") == "false"
    prompts = screen.locator("#chat .vote-prompt")
    assert _norm(prompts.nth(0).inner_text()) == phrases.VOTE_STORED  # said where the vote is, at the vote
    assert _norm(prompts.nth(1).inner_text()) == phrases.VOTE_PROMPT
    status = screen.locator("#feedback-status").inner_text()
    assert "local feedback database" in status and question in status and "Not helpful" in status
    pressed = down.evaluate("(a) => getComputedStyle(a).backgroundColor")
    assert pressed != up.evaluate("(a) => getComputedStyle(a).backgroundColor")
    con = sqlite3.connect(real_assistant.settings.server.feedback_db)
    rows = con.execute("SELECT rating, answer_key FROM feedback WHERE question = ?", (question,)).fetchall()
    con.close()
    assert len(rows) == 1 and rows[0][0] == -1 and rows[0][1].endswith(":0"), rows
    down.scroll_into_view_if_needed()
    _shot(screen, "feedback")


@pytest.mark.browser
@pytest.mark.integration
def test_example_chips_are_whole_and_ask_when_clicked(screen: Any) -> None:
    from assistant.app import CLINICIAN_EXAMPLES, PATIENT_EXAMPLES

    chips = screen.locator("#examples .example-chip")
    assert chips.count() == len(PATIENT_EXAMPLES) + len(CLINICIAN_EXAMPLES)
    width = screen.viewport_size["width"]
    for i, text in enumerate(PATIENT_EXAMPLES + CLINICIAN_EXAMPLES):
        chip = chips.nth(i)
        assert _norm(chip.inner_text()) == text
        fit = chip.evaluate("(b) => ({sw: b.scrollWidth, cw: b.clientWidth, sh: b.scrollHeight, ch: b.clientHeight, "
                            "r: b.getBoundingClientRect().right, l: b.getBoundingClientRect().left})")
        assert fit["sw"] <= fit["cw"] + 1 and fit["sh"] <= fit["ch"] + 1, (text, fit)  # nothing cut off
        assert 0 <= fit["l"] and fit["r"] <= width, (text, fit)
    chips.first.scroll_into_view_if_needed()
    _shot(screen, "examples")
    screen.fill(QUESTION_BOX, "half-typed")
    chips.first.click()
    screen.locator('[data-testid="user"]', has_text=PATIENT_EXAMPLES[0]).wait_for()
    last = screen.locator(BOT).last
    last.locator('a[href^="#src-"]').first.wait_for()
    assert screen.input_value(QUESTION_BOX) == "half-typed"
    g = _settled(screen)
    assert g["boxTop"] - 1 <= g["top"] < g["boxTop"] + 200 and g["top"] >= 0, g  # the answer is in view


@pytest.mark.browser
@pytest.mark.integration
def test_one_empty_warning_and_a_counter_before_the_limit(screen: Any, real_assistant: Any) -> None:
    from assistant import phrases

    for _ in range(3):
        screen.click("#ask-button")
        screen.locator(BOT, has_text=phrases.ERROR_EMPTY).wait_for()
        screen.wait_for_timeout(300)
    assert screen.locator(BOT, has_text=phrases.ERROR_EMPTY).count() == 1
    screen.press(QUESTION_BOX, "Enter")
    screen.wait_for_timeout(600)
    assert screen.locator(BOT, has_text=phrases.ERROR_EMPTY).count() == 1

    limit = real_assistant.settings.input.max_question_chars
    counter = screen.locator("#char-counter")
    screen.fill(QUESTION_BOX, "x" * int(limit * 0.5))
    screen.wait_for_timeout(200)
    assert not counter.is_visible()
    near = int(limit * 0.85)
    screen.fill(QUESTION_BOX, "x" * near)
    counter.locator(".counter").wait_for()
    assert counter.inner_text().strip() == phrases.CHAR_COUNT.format(length=f"{near:,}", limit=f"{limit:,}")
    assert counter.is_visible() and "over" not in counter.locator(".counter").get_attribute("class")
    screen.locator(QUESTION_BOX).scroll_into_view_if_needed()
    box, vh = counter.bounding_box(), screen.viewport_size["height"]
    assert box and 0 <= box["y"] and box["y"] + box["height"] <= vh, box  # in sight while typing
    screen.fill(QUESTION_BOX, "x" * (limit + 5))
    counter.locator(".counter.over").wait_for()
    assert f"{limit + 5:,} of {limit:,}" in counter.inner_text()
    _shot(screen, "counter")
    screen.fill(QUESTION_BOX, "")
    screen.wait_for_function("() => !document.querySelector('#char-counter .counter')")


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

    def ask(self, question: str, history: list[dict[str, Any]] | None = None, **_: Any) -> Any:
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


def test_votes_one_row_per_answer_change_and_pressed_state(tmp_path: Path) -> None:
    import json

    from assistant import phrases

    h = _handlers(_answer(question="first"), tmp_path)
    _, chat, session = list(h.respond("first", [], {"turns": [], "answers": {}}))[-1]
    assert "(#vote-0-up)" in chat[-1]["content"] and "(#vote-0-down)" in chat[-1]["content"]
    h.assistant.result = _answer(question="second")
    _, chat, session = list(h.respond("second", chat, session))[-1]
    assert "(#vote-1-up)" in chat[-1]["content"] and session["id"]

    box, line, votes = h.vote("0|1|1", "good", session, "{}")  # an earlier answer, not only the latest
    assert box == "" and json.loads(votes) == {"0": 1}
    assert phrases.FEEDBACK_SAVED.format(vote="Helpful", question="first") in line
    assert phrases.FEEDBACK_STORED.format(comment=phrases.FEEDBACK_WITH_COMMENT) in line
    box, line, votes = h.vote("0|-1|2", "", session, votes)  # a second click changes that answer's vote
    assert json.loads(votes) == {"0": -1}
    assert phrases.FEEDBACK_CHANGED.format(question="first", old="Helpful", vote="Not helpful") in line
    assert phrases.FEEDBACK_STORED.format(comment="") in line
    _, _, votes = h.vote("1|1|3", "", session, votes)
    assert json.loads(votes) == {"0": -1, "1": 1}
    rows = h.feedback.rows()
    assert [(r["question"], r["rating"], r["comment"]) for r in rows] == [("first", -1, "good"), ("second", 1, "")]
    assert [r["answer_key"] for r in rows] == [f"{session['id']}:0", f"{session['id']}:1"]

    # a new chat (cleared: a session without id) keys its answers apart from the old chat's
    _, _, fresh = list(h.respond("second", [], {"turns": [], "answers": {}}))[-1]
    assert fresh["id"] != session["id"]
    h.vote("0|1|4", "", fresh, "{}")
    assert len(h.feedback.rows()) == 3

    assert h.vote("7|1|5", "keep me", session, votes) == ("keep me", phrases.FEEDBACK_GONE, votes)
    assert h.vote("javascript:alert(1)", "", session, "not json")[1:] == (phrases.FEEDBACK_GONE, "{}")
    assert h.vote("0|1", "", {"answers": {}}, "{}")[1] == phrases.FEEDBACK_FIRST
    assert len(h.feedback.rows()) == 3


def test_empty_questions_leave_one_warning(tmp_path: Path) -> None:
    from assistant import phrases
    from assistant.app import EMPTY_WARNING
    from assistant.errors import InputError

    h = _handlers(InputError(phrases.ERROR_EMPTY), tmp_path)
    chat: list[dict[str, Any]] = []
    session: dict[str, Any] = {}
    for _ in range(3):
        _, chat, session = list(h.respond("  ", chat, session))[-1]
    assert [m["content"] for m in chat] == [EMPTY_WARNING]
    # Gradio sends the chat back with each content as a list of text parts
    back = [{"role": "assistant", "metadata": None, "content": [{"type": "text", "text": EMPTY_WARNING}]}]
    _, chat, _ = list(h.respond("", back, session))[-1]
    assert [m["content"] for m in chat] == [EMPTY_WARNING]
    # a real question drops the stale warning
    h.assistant.result = _answer()
    _, chat, _ = list(h.respond("dose?", back, session))[-1]
    assert [m["role"] for m in chat] == ["user", "assistant"] and EMPTY_WARNING not in chat[-1]["content"]


def test_example_chip_asks_and_keeps_the_box(tmp_path: Path) -> None:
    h = _handlers(_answer(), tmp_path)
    steps = list(h.example("What is CAR-T therapy and who can get it?", [], {"turns": [], "answers": {}}))
    assert all(len(step) == 2 for step in steps)  # (chat, session): what the user typed is not cleared
    chat, session = steps[-1]
    assert chat[0]["content"] == "What is CAR-T therapy and who can get it?"
    assert "(#src-0-1)" in chat[-1]["content"] and session["answers"][0]["status"] == "answered"


def test_page_script_knows_every_notice_kind_and_carries_the_css() -> None:
    import json

    from assistant.app import UI_JS
    from assistant.render import APP_CSS, NOTICE_LABELS

    for kind, label in NOTICE_LABELS.items():
        assert f'"{label.split("**")[1]}": "{kind}"' in UI_JS
    assert json.dumps(APP_CSS) in UI_JS
    assert "#chat blockquote.notice-urgent" in APP_CSS and "@media (max-width: 767px)" in APP_CSS


WALKS = {  # issue 14: a parent's, a patient's and a clinician's conversation, on desktop and on the phone
    "parent": [("My son weighs 20 kg. What dose of blinatumomab should he get?", ["General information only"],
                ["52 mg/m2/day", "1.8 mg/m"]),
               ("I'm scared", [], []),
               ("can we skip the next blina bag if he has a fever?", ["URGENT", "Do not stop, skip or change"], [])],
    "patient": [("I'm 45 and relapsed a year after diagnosis. What are my chances of a second remission?",
                 ["General information only"], []),
                ("¿Cuál es la dosis de blinatumomab?", [], [])],
    "clinician": [("InO vs standard chemo CR rate?", [], []), ("nelarabine dose?", ["1500 mg/m2"], ["52 mg/m2"]),
                  ("clofarabine response rate in children", ["Sources differ"], [])],
}


@pytest.mark.browser
@pytest.mark.integration
@pytest.mark.parametrize("who", list(WALKS))
def test_a_conversation_walk_with_screenshots(screen: Any, who: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each persona's conversation: every answer arrives with its notices, never with what it must not show;
    a screenshot of each answer is saved in the test output (``walk/<who>-<viewport>-<turn>.png``)."""
    from assistant import phrases

    out = tmp_path_factory.getbasetemp() / "walk"
    out.mkdir(exist_ok=True)
    for turn, (question, shown, never) in enumerate(WALKS[who]):
        final = 'a[href^="#vote-"]'
        msg = ask(screen, question, final=final)
        text = _norm(msg.inner_text())
        for s in shown:
            assert s in text, (who, question, s)
        for s in never:
            assert s not in text, (who, question, s)
        if question == "I'm scared":
            assert phrases.FEELING[:40] in text
        if question.startswith("¿"):
            assert phrases.ENGLISH_ONLY[:40] in text
        screen.wait_for_timeout(300)
        screen.screenshot(path=str(out / f"{who}-{screen.name}-{turn}.png"))
        assert _png_size(out / f"{who}-{screen.name}-{turn}.png")[0] in (390, 1280)
