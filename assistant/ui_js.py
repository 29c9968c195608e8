"""The chat page's own script and the question box's counter (kept out of app.py, which wires the UI)."""

from __future__ import annotations

import json

from . import phrases
from .render import APP_CSS, NOTICE_LABELS

COUNTER_FROM = 0.8  # the question box's counter shows from this share of input.max_question_chars

# Loaded once with the citation panel:
# - the page's CSS (render.APP_CSS) goes into <head>;
# - a click on a "#src-..." link in the chat writes its id (plus a counter, so a second click on the same link
#   is still a change) into the hidden #citation-target, and one on a "#vote-<idx>-up|down" link under an answer
#   writes "<idx>|<+1|-1>|<counter>" into #vote-target; Gradio then fires their .change events;
# - a MutationObserver marks each notice with its kind (class notice-urgent, ...), shows the stored votes as
#   pressed buttons, and scrolls a new question, then its finished answer, to the top of the chat (the chat's
#   own autoscroll is off: it showed an answer from its end, its notices out of sight);
# - below 768 px the source column is a drawer: a new passage in the panel opens it over the chat, with the
#   cited sentence in view; its Close button, Escape or a tap outside it closes it.
UI_JS = """
const ui = window.__allUi || (window.__allUi = {clicks: 1, votes: {}, seen: 0, settled: 0, want: false,
  shown: null});
if (!ui.ready) {
  ui.ready = true;
  const css = document.createElement('style');
  css.id = 'app-css';
  css.textContent = __CSS__;
  document.head.appendChild(css);
  const KINDS = __KINDS__, PROMPT = __PROMPT__, STORED = __STORED__;
  const phone = () => window.matchMedia('(max-width: 767px)').matches;
  const drawer = () => document.getElementById('source-column');
  const scroller = (el) => {
    let box = el.parentElement;
    while (box && !(box.scrollHeight > box.clientHeight && /auto|scroll/.test(getComputedStyle(box).overflowY))) {
      box = box.parentElement;
    }
    return box;
  };
  const setBox = (id, value) => {
    const box = document.querySelector('#' + id + ' textarea, #' + id + ' input');
    if (!box) return;
    box.value = value;
    box.dispatchEvent(new Event('input', {bubbles: true}));
  };
  const showStart = (el) => {  // el's top at the top of the chat, and the chat in the window
    const box = scroller(el);
    if (box) box.scrollTop += el.getBoundingClientRect().top - box.getBoundingClientRect().top - 36;
    const chat = document.getElementById('chat').getBoundingClientRect();
    if (chat.top < 0 || (phone() && chat.bottom > window.innerHeight)) window.scrollBy(0, chat.top - 8);
  };
  ui.closeSource = () => { const d = drawer(); if (d) d.classList.remove('open'); };
  ui.openSource = () => {
    const d = drawer(), mark = d && d.querySelector('mark.cited');
    if (!d) return;
    if (phone()) d.classList.add('open');
    if (!mark) return;
    const box = phone() ? d : mark.closest('.passage');
    const b = box.getBoundingClientRect(), m = mark.getBoundingClientRect();
    if (m.top < b.top || m.bottom > b.bottom) box.scrollTop += m.top - b.top - Math.min(80, b.height / 4);
  };
  ui.decorate = () => {
    ui.pending = false;
    const chat = document.getElementById('chat');
    if (!chat) return;
    for (const q of chat.querySelectorAll('blockquote:not(.notice)')) {
      const label = q.querySelector('strong');
      q.classList.add('notice', 'notice-' + ((label && KINDS[label.textContent.trim()]) || 'note'));
    }
    for (const a of chat.querySelectorAll('a[href^="#vote-"]')) {
      const m = a.getAttribute('href').match(/^#vote-(\\d+)-(up|down)$/);
      const on = String(!!m && ui.votes[m[1]] === (m[2] === 'up' ? 1 : -1));
      if (a.getAttribute('aria-pressed') !== on) a.setAttribute('aria-pressed', on);
      a.setAttribute('role', 'button');
      const prompt = a.parentElement.querySelector('.vote-prompt');  // says what a stored vote keeps
      const said = m && ui.votes[m[1]] !== undefined ? STORED : PROMPT;
      if (prompt && prompt.textContent !== said) prompt.textContent = said;
    }
    const msgs = [...chat.querySelectorAll('[data-testid="user"], [data-testid="bot"]')];
    const done = msgs.filter((m) => m.querySelector('a[href^="#vote-"]'));
    if (msgs.length < ui.seen || done.length < ui.settled) ui.seen = ui.settled = 0;  // the chat was cleared
    if (msgs.length > ui.seen) showStart(msgs[ui.seen]);
    if (done.length > ui.settled) {  // a finished answer from its start; its question too if all fits
      const bot = done[done.length - 1], prev = msgs[msgs.indexOf(bot) - 1], box = scroller(bot);
      const notes = bot.querySelectorAll('blockquote'), last = notes.length ? notes[notes.length - 1] : bot;
      const end = notes.length ? last.getBoundingClientRect().bottom : bot.getBoundingClientRect().top + 120;
      const fits = prev && prev.dataset.testid === 'user' && box &&
        end - prev.getBoundingClientRect().top < box.clientHeight - 48;
      showStart(fits ? prev : bot);
    }
    ui.seen = msgs.length;
    ui.settled = done.length;
  };
  new MutationObserver(() => {
    if (!ui.pending) { ui.pending = true; requestAnimationFrame(ui.decorate); }
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
  document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') ui.closeSource(); });
  document.addEventListener('click', (ev) => {
    const t = ev.target instanceof Element ? ev.target : null;
    const d = drawer();
    if (d && t && d.classList.contains('open') && !d.contains(t)) ui.closeSource();
    const link = t ? t.closest('a[href^="#src-"], a[href^="#vote-"]') : null;
    if (!link) return;
    ev.preventDefault();
    ev.stopPropagation();
    const href = link.getAttribute('href').slice(1), n = ui.clicks++;
    const vote = href.match(/^vote-(\\d+)-(up|down)$/);
    if (vote) {
      setBox('vote-target', vote[1] + '|' + (vote[2] === 'up' ? '1' : '-1') + '|' + n);
    } else {  // opened when the panel's new content is in; at once when it already holds this citation
      ui.want = href;
      setBox('citation-target', href + '|' + n);
      if (ui.shown === href) ui.openSource();
    }
  }, true);
}
watch('value', () => {
  ui.shown = ui.want || null;
  if (ui.want) { ui.want = false; ui.openSource(); }
});
""".replace("__CSS__", json.dumps(APP_CSS)).replace("__PROMPT__", json.dumps(phrases.VOTE_PROMPT)).replace(
    "__STORED__", json.dumps(phrases.VOTE_STORED)).replace(
    "__KINDS__", json.dumps({label.split("**")[1]: kind for kind, label in NOTICE_LABELS.items()}))
# The question box's counter (no server round trip): from COUNTER_FROM of the limit, red past it.
COUNTER_JS = """(v) => {
  const n = (v || '').length, limit = __LIMIT__;
  if (n < limit * __FROM__) return '';
  const fmt = (x) => x.toLocaleString('en-US');
  const text = (n > limit ? __OVER__ : __COUNT__).replace('{length}', fmt(n)).replace('{limit}', fmt(limit));
  return '<div class="counter' + (n > limit ? ' over' : '') + '" aria-live="polite">' + text + '</div>';
}"""
VOTE_STATE_JS = "(v) => { const ui = window.__allUi; if (ui) { ui.votes = JSON.parse(v || '{}'); ui.decorate(); } }"
CLOSE_JS = "() => { if (window.__allUi) window.__allUi.closeSource(); }"
