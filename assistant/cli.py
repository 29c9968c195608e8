"""The command line: ``assistant index | ask | cite | search | verify | serve | eval | feedback | bench``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from . import phrases
from .cli_corpus import cmd_add, cmd_remove, cmd_sources
from .cli_corpus import settings_of as _settings
from .errors import AssistantError, InputError
from .render import badge


def _assistant(args: argparse.Namespace, ensure: bool = True):  # noqa: ANN202
    from .pipeline import Assistant

    a = Assistant(_settings(args))
    if ensure and getattr(args, "auto_index", True):
        report = a.build_index(progress=sys.stderr.isatty())
        if report.repaired:
            print(f"index: the previous build was damaged ({report.repaired}); rebuilt it.", file=sys.stderr)
        if report.changed:
            print(f"index: built {report.chunks} chunks, {report.units} sentences "
                  f"({report.embedded} embedded, {report.reused} reused) in {report.seconds:.1f}s", file=sys.stderr)
    return a


def cmd_index(args: argparse.Namespace) -> int:
    from .pipeline import Assistant

    a = Assistant(_settings(args))
    r = a.build_index(rebuild=args.rebuild, progress=not args.quiet)
    if r.repaired:
        print(f"index: the previous build was damaged ({r.repaired}); rebuilt it from the corpus.", file=sys.stderr)
    if r.changed:
        print(f"index {r.build}: {r.chunks} chunks, {r.units} sentences; embedded {r.embedded}, "
              f"reused {r.reused}; {r.seconds:.1f}s")
    else:
        print(f"index {r.build} is up to date ({r.chunks} chunks, {r.units} sentences); nothing to do.")
    return 0


def format_answer(ans: dict[str, Any]) -> str:
    lines = []
    for n in ans["notices"]:
        lines.append(f"[{n['kind'].upper()}] {n['text']}")
    if lines:
        lines.append("")
    lines.append(ans["answer"])
    if ans["citations"]:
        lines.append("")
        lines.append("Sources:")
        for c in ans["citations"]:
            lines.append(f"  [{c['n']}] {c['title']} ({c['doc_id']}) — {c['section'] or 'top'}; "
                         + (f"page {c['page']}; " if c.get("page") else "")
                         + f"characters {c['start']}-{c['end']}; passage {c['chunk_id']}")
    elif ans.get("related"):
        lines.append("")
        lines.append("Closest sources:")
        for r in ans["related"]:
            lines.append(f"  - {r['title']} ({r['doc_id']}) — {r['section'] or 'top'}; passage {r['chunk_id']}")
    v = ans.get("verdict") or {}
    if v.get("checked"):
        lines.append("")
        lines.extend(badge(v, ans.get("status", "")))
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace) -> int:
    a = _assistant(args)
    if args.batch:
        return _batch(a, Path(args.batch), args.reader, args.llm)
    if not args.question:
        return _chat(a, args.reader, args.llm)
    try:
        ans = a.ask(" ".join(args.question), reader=args.reader, llm=args.llm).to_dict()
    except InputError as exc:
        print(f"error: {exc.user_message()}", file=sys.stderr)
        return 2
    print(json.dumps(ans, ensure_ascii=False, indent=2) if args.json else format_answer(ans))
    return 0


def _batch(a: Any, path: Path, reader: str = "patient", llm: bool | None = None) -> int:
    src = sys.stdin if str(path) == "-" else path.open(encoding="utf-8")
    for lineno, line in enumerate(src, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            out = a.ask(item["question"], item.get("history") or [], reader=item.get("reader", reader),
                        llm=llm).to_dict()
            out["id"] = item.get("id", lineno)
        except (ValueError, KeyError, TypeError) as exc:
            out = {"id": lineno, "error": f"line {lineno}: not a valid request ({exc})"}
        except AssistantError as exc:
            out = {"id": item.get("id", lineno), "error": exc.user_message()}
        print(json.dumps(out, ensure_ascii=False), flush=True)
    return 0


def _chat(a: Any, reader: str = "patient", llm: bool | None = None) -> int:
    print("Ask about relapsed or refractory ALL (empty line or Ctrl-D to quit).")
    history: list[dict[str, str]] = []
    while True:
        try:
            q = input("\n> ").strip()
        except EOFError:
            return 0
        if not q:
            return 0
        try:
            ans = a.ask(q, history, reader=reader, llm=llm).to_dict()
        except InputError as exc:
            print(exc.user_message())
            continue
        print(format_answer(ans))
        history += [{"role": "user", "content": q}, {"role": "assistant", "content": ans["answer"]}]


def cmd_cite(args: argparse.Namespace) -> int:
    a = _assistant(args)
    ref = " ".join(args.ref)
    out = a.cite(ref)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    doc = out["doc"]
    head = (f"{doc['title']} — {doc['publisher']} ({doc['date_label']}; "
            f"for {doc['audience_age']}, {doc['audience_role']})")
    if out["kind"] == "reference":
        print(f"Reference {out['n']} of document {doc['id']}: {out['text']}\n  in {head}")
    elif out["kind"] == "passage":
        page = f"Page {out['page']}\n" if out.get("page") else ""
        print(f"Passage {out['chunk_id']} — {head}\nSection: {out['section']}\n{page}"
              f"Characters {out['start']}-{out['end']}"
              f"\n\n…{out['before'][-200:]}\n>>> {out['text']} <<<\n{out['after'][:200]}…")
    elif out["kind"] == "sentence":
        page = f"Page {out['page']}\n" if out.get("page") else ""
        print(f"Sentence {out['unit_id']} — {head}\nSection: {out['section']}\n{page}"
              f"Characters {out['start']}-{out['end']}\n\n{out['quote']}")
    else:
        print(f"Document {doc['id']}: {head}; {out['references']} numbered references.")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from .lookup import search

    a = _assistant(args)
    hits = search(a.store, " ".join(args.words), limit=args.limit)
    if args.json:
        print(json.dumps(hits, ensure_ascii=False, indent=2))
        return 0
    for h in hits:
        where = f"reference {h['n']} of {h['doc_id']}" if h.get("kind") == "reference" else f"[{h['doc_id']}]"
        print(f"{where} {h['section']}: {h['text']}  ({h['id']}; {len(h['matched'])} of {len(h['words'])} words)")
        for c in h.get("cited_by") or []:
            print(f"    cited by: {c['text']}  ({c['unit_id']})")
    if not hits:
        print(phrases.LOOKUP_NO_MATCH.format(words=" ".join(args.words)))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from .verifycmd import run_verify

    return run_verify(args, _assistant)


def cmd_serve(args: argparse.Namespace) -> int:
    from .app import serve

    return serve(_assistant(args), host=args.host, port=args.port, auth=args.auth, open_browser=args.open)


def cmd_fit(args: argparse.Namespace) -> int:
    if args.ranker:
        from evals.fit_ranker import main as fit_ranker

        return fit_ranker(args)
    from evals.fit import main as fit_main

    return fit_main(args)


def cmd_eval(args: argparse.Namespace) -> int:
    from evals.harness import main as eval_main

    return eval_main(args)


def cmd_feedback(args: argparse.Namespace) -> int:
    from .feedback import FeedbackStore

    store = FeedbackStore(_settings(args).server.feedback_db)
    n = store.export(args.out)
    print(f"exported {n} feedback rows to {args.out}", file=sys.stderr)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from evals.bench import main as bench_main

    return bench_main(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="assistant", description="Cited answers about relapsed or refractory ALL, "
                                "strictly from the source documents in corpus/.")
    p.add_argument("--preset", choices=["default", "fast"], default=None,
                   help="settings preset ('fast' uses the hash embedder: tests only)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("index", help="build or update the Chroma index (only changed chunks are re-embedded)",
                       description="Build or update the persisted Chroma index from corpus/.")
    s.add_argument("--rebuild", action="store_true", help="throw the index away and build it from scratch")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_index)

    s = sub.add_parser("add", help="add documents (PDF, HTML, Markdown, text) to the corpus and index them",
                       description="Read each file, store its plain text under the corpus folder, record it in "
                       "sources.toml with its content hash, and index only its new chunks. All files or none; on "
                       "any error the corpus and the live index stay as they were (exit 2).")
    s.add_argument("paths", nargs="+", metavar="PATH", help="a .pdf, .html, .md or .txt file")
    s.add_argument("--title", help="the document's title (default: from the file)")
    s.add_argument("--publisher", help="who published it (default: from the file)")
    s.add_argument("--audience", choices=("patients", "clinicians", "general"), default="general",
                   help="whom it is written for")
    s.add_argument("--population", choices=("children", "adults", "all"), default="all",
                   help="which patients it is about")
    s.add_argument("--date", help="the date the document shows, YYYY-MM-DD (default: from the file)")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_add)

    s = sub.add_parser("sources", help="list the documents with their metadata and counts",
                       description="List every document of the corpus: metadata, pages, sections, chunks.")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_sources)

    s = sub.add_parser("remove", help="take a document out of the corpus and the index",
                       description="Remove a document from sources.toml and the index (rebuilt incrementally); "
                       "the text file of a document added with `assistant add` is deleted.")
    s.add_argument("doc_id", metavar="DOC_ID", help="the document id, e.g. 005")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_remove)

    s = sub.add_parser("ask", help="answer a question with citations", description="Answer a question from the "
                       "sources; every statement cited. With no question, start a terminal chat.")
    s.add_argument("question", nargs="*", help="the question (omit for an interactive chat)")
    s.add_argument("--json", action="store_true", help="print the answer JSON")
    s.add_argument("--batch", metavar="FILE", help="JSONL of {id, question, history?, reader?} ('-' = stdin); "
                   "prints one JSON answer per line")
    s.add_argument("--reader", choices=("patient", "clinician"), default="patient",
                   help="who reads the answer: plain words or clinical detail (the language model's prompt; of two "
                   "sources saying the same thing, the one written for that reader is kept)")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--llm", dest="llm", action="store_true", default=None,
                   help="let the configured language model write the answer (every sentence checked)")
    g.add_argument("--no-llm", dest="llm", action="store_false", help="quote the sources only (no model)")
    s.set_defaults(func=cmd_ask)

    s = sub.add_parser("cite", help="show a passage, a sentence, or a document's numbered reference",
                       description="Look up a passage id, a sentence id, a document id, or a reference such as "
                       "'004:7' or 'reference 7 of 004'.")
    s.add_argument("ref", nargs="+", help="passage id, sentence id, document id or DOC:N")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_cite)

    s = sub.add_parser("search", help="find sentences and reference entries by words", description="Search the "
                       "sources' sentences and reference lists; partial matches ranked, best first.")
    s.add_argument("words", nargs="+", help="words to find")
    s.add_argument("--limit", type=int, default=10, help="most results")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_search)

    s = sub.add_parser("verify", help="check an answer written elsewhere against the sources",
                       description="Run the rules layer on an answer with [n] markers. Exit 0 when every "
                       "statement passes, 1 otherwise.")
    s.add_argument("--question", required=True, help="the question the answer replies to")
    s.add_argument("--answer-file", required=True, help="markdown answer with [n] markers ('-' = stdin)")
    s.add_argument("--passages", help="JSON list of {n, text} or citation objects; default: retrieve for the "
                   "question")
    s.add_argument("--json", action="store_true", help="print the verdict JSON")
    s.set_defaults(func=cmd_verify)

    s = sub.add_parser("serve", help="start the chat UI", description="Start the Gradio chat UI (loopback only "
                       "by default, analytics off, no share link).")
    s.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=None, help="port (default 7860)")
    s.add_argument("--auth", default=None, help="user:password required to use the UI")
    s.add_argument("--open", action="store_true", help="open the chat in a browser")
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("eval", help="run the evaluation harness", description="Run the question sets through "
                       "every strategy and save a report under evals/reports/.")
    s.add_argument("--set", default="dev", help="question set name under evals/questions/ (default dev)")
    s.add_argument("--strategies", default="hybrid,dense,bm25,langchain",
                   help="comma-separated strategies (llm: the configured language model writes the answers)")
    s.add_argument("--out", default=None, help="report folder (default evals/reports/<timestamp>)")
    s.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"), help="compare two report folders item by item")
    s.add_argument("--gate", action="store_true", help="fail (exit 1) when a metric drops below "
                   "evals/thresholds.json")
    s.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    s.set_defaults(func=cmd_eval)

    s = sub.add_parser("fit", help="fit the answerability decision", description="Fit the answerability "
                       "decision (logistic regression over named features) on question sets, cross-validated; "
                       "writes assistant/data/decision.json and evals/reports/fit/.")
    s.add_argument("--sets", default=None, help="comma-separated question sets to fit on (default "
                   "dev,train,heldout; with --ranker also heldout2,fresh1,fresh4,fresh5)")
    s.add_argument("--ranker", action="store_true", help="fit the sentence ranker instead (gold evidence as "
                   "labels; writes assistant/data/ranker.json and evals/reports/fit-ranker/)")
    s.add_argument("--recall", type=float, default=0.95, help="least out-of-fold recall of answerable items")
    s.add_argument("--preset", default=None, help="settings preset ('fast': the hash embedder of the unit tests, "
                   "written to data/decision-hash.json or data/ranker-hash.json)")
    s.add_argument("--out", default=None, help="where the fitted values go (default assistant/data/decision.json)")
    s.set_defaults(func=cmd_fit)

    s = sub.add_parser("feedback", help="export feedback", description="Feedback stored by the chat UI.")
    fsub = s.add_subparsers(dest="feedback_command", required=True, metavar="ACTION")
    e = fsub.add_parser("export", help="write feedback rows as JSONL", description="Write all feedback as JSONL.")
    e.add_argument("--out", default="-", help="output file ('-' = stdout)")
    e.set_defaults(func=cmd_feedback)

    s = sub.add_parser("bench", help="run the benchmarks", description="Measure cold start, per-stage latency, "
                       "index build time and a scaled corpus; writes JSON and markdown.")
    s.add_argument("--scale", type=int, default=20000, help="chunks in the scaled corpus (0 = skip)")
    s.add_argument("--questions", type=int, default=40, help="questions timed per measurement")
    s.add_argument("--out", default="evals/reports/bench", help="output folder")
    s.set_defaults(func=cmd_bench)
    return p


def main(argv: list[str] | None = None) -> int:
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except AssistantError as exc:
        print(f"error: {exc.user_message()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
