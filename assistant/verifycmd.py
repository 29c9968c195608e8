"""``assistant verify``: run the rules layer on an answer written anywhere."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import InputError
from .rules import CitedText, Verdict, parse_answer, verify


def load_passages(path: str) -> dict[int, CitedText]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"Cannot read passages from {path}: {exc}.") from exc
    if isinstance(data, dict) and "citations" in data:
        data = data["citations"]
    if not isinstance(data, list):
        raise InputError("Passages must be a JSON list of {n, text} or of citation objects.")
    out = {}
    for item in data:
        if not isinstance(item, dict) or "n" not in item or not ({"text", "quote"} & item.keys()):
            raise InputError("Each passage needs 'n' and 'text' (or 'quote').")
        out[int(item["n"])] = CitedText(int(item["n"]), item.get("text") or item["quote"], item.get("doc_id", ""))
    return out


def retrieved_passages(assistant: Any, question: str) -> dict[int, CitedText]:
    """Markers refer to the passages the assistant retrieves for the question, numbered 1..k."""
    r = assistant.retriever.retrieve(question)
    return {i: CitedText(i, p.chunk.text, p.chunk.doc_id) for i, p in enumerate(r.passages, 1)}


def format_verdict(v: Verdict) -> str:
    lines = []
    for s in v.sentences:
        mark = "PASS" if s.ok else "FAIL"
        lines.append(f"{mark}  {s.sentence} {''.join(f'[{n}]' for n in s.cites)}")
        for r in s.results:
            if not r.ok:
                lines.append(f"      {r.rule}: {r.reason}")
    lines.append(f"\n{v.passed} of {len(v.sentences)} statements pass"
                 + ("" if v.ok else f"; {len(v.removed)} would be removed") + ".")
    return "\n".join(lines)


def run_verify(args: argparse.Namespace, make_assistant: Callable[..., Any]) -> int:
    text = sys.stdin.read() if args.answer_file == "-" else _read(args.answer_file)
    statements = parse_answer(text)
    if not statements:
        raise InputError("The answer file holds no statements.")
    if args.passages:
        cited = load_passages(args.passages)
        threshold = 0.8
    else:
        a = make_assistant(args)
        cited = retrieved_passages(a, args.question)
        threshold = a.settings.rules.support_threshold
    v = verify(statements, cited, threshold)
    print(json.dumps(v.to_dict(), ensure_ascii=False, indent=2) if args.json else format_verdict(v))
    return 0 if v.ok else 1


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Cannot read the answer file {path}: {exc}.") from exc
