import json
from pathlib import Path

import pytest

from evals.harness import compare, gate, load_set, run
from evals.metrics import citation_support, contains_fact, evidence_rank, has_phrase, norm

ROOT = Path(__file__).resolve().parent.parent
FILES = {p.name[:3]: p.read_text(encoding="utf-8") for p in (ROOT / "corpus").glob("0*.txt")}


def test_dev_set_is_complete_and_every_evidence_string_is_verbatim_in_its_document():
    items = load_set("dev")
    assert len(items) >= 80 and len({i["id"] for i in items}) == len(items)
    types = {i["type"] for i in items}
    assert {"fact", "number", "list", "comparison", "multi_doc", "conflict", "not_covered", "off_topic",
            "personal_advice", "follow_up", "injection"} <= types
    for item in items:
        assert item["expect"] in ("answer", "abstain", "answer_with_caution")
        for ev in item["evidence"]:
            assert any(ev in FILES[d] for d in item["gold_docs"]), (item["id"], ev)


@pytest.mark.parametrize("name", ["heldout", "heldout2"])
def test_held_out_sets_are_valid(name):
    """Written by helpers who read only the corpus; every not-covered item names what a guess would say."""
    items = load_set(name)
    assert len(items) >= 50 and len({i["id"] for i in items}) == len(items)
    for item in items:
        assert item["expect"] in ("answer", "abstain")
        for ev in item["evidence"]:
            assert any(ev in FILES[d] for d in item["gold_docs"]), (item["id"], ev)
        for fact in item["must_include"]:
            assert any(fact in ev for ev in item["evidence"]), (item["id"], fact)
        if item["expect"] == "abstain":
            assert item["type"] == "not_covered" and not item["evidence"] and item["must_not_include"]
    assert sum(i["expect"] == "abstain" for i in items) >= 24


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "evals" / "questions").glob("fresh*.jsonl"))
                         + ["train2", "caution"])
def test_fresh_sets_are_valid(name):
    """Each fresh set and the second training set, written by helpers from the corpus and QUESTIONS.md: evidence
    verbatim, key facts inside it, what a guess would say outside it."""
    items = load_set(name)
    assert len(items) >= 50 and len({i["id"] for i in items}) == len(items)
    for item in items:
        assert item["expect"] in ("answer", "abstain", "answer_with_caution")
        for ev in item["evidence"]:
            assert any(ev in FILES[d] for d in item["gold_docs"]), item["id"]
        for fact in item["must_include"]:
            assert any(fact in ev for ev in item["evidence"]), item["id"]
        for guess in item["must_not_include"]:
            assert not any(guess in ev for ev in item["evidence"]), item["id"]


def test_gate_uses_each_sets_own_thresholds(tmp_path):
    th = tmp_path / "t.json"
    th.write_text(json.dumps({"min": {"hybrid": {"recall@5": 0.9}},
                              "sets": {"other": {"min": {"hybrid": {"recall@5": 0.5}}}}}))
    m = {"set": "other", "strategies": {"hybrid": {"recall@5": 0.6}}}
    assert gate(m, th) == []
    assert gate({**m, "set": "dev"}, th) == ["hybrid recall@5 = 0.6 < 0.9"]
    assert "no thresholds" in gate({**m, "set": "unknown"}, th)[0]


def test_normalisation_of_numbers_and_units():
    assert norm("81%") == norm("81 percent") and norm("1.8 mg/m²") == norm("1.8 mg/m2")
    assert contains_fact("given for 2 to 3 years", "2–3 years")
    assert contains_fact("CR rate (81 versus 29 percent)", "81 percent")
    assert not contains_fact("CR rate was 71 percent", "81%")


def test_phrases_match_whole_numbers_and_words():
    """A guess "6 months" is not in "8.6 months"; a fact "81%" is not in "181%"; "all" is not in "small"."""
    assert not has_phrase("median survival 8.6 months", "6 months")
    assert has_phrase("at 6 months.", "6 months")
    assert not has_phrase("in 181 patients", "81")
    assert not has_phrase("2.55 mg", "2.5")
    assert not has_phrase("a small study", "all")
    assert has_phrase("relapsed (ALL) in", "all") and has_phrase("81% responded", "81 percent")
    assert not contains_fact("median 8.6 months", "6 months")


def test_evidence_rank_and_citation_support():
    assert evidence_rank(["nothing here", "the dose is 52 mg/m2/day IV"], ["52 mg/m2/day IV"]) == 2
    assert evidence_rank(["x"], ["y"]) is None
    assert citation_support("The dose is 52 mg/m2/day.", "In this population the dose is 52 mg/m2/day IV.")
    assert not citation_support("The dose is 25 mg/m2/day.", "In this population the dose is 52 mg/m2/day IV.")


@pytest.mark.integration
@pytest.mark.slow
def test_dev_eval_passes_the_regression_gate(real_assistant, tmp_path):
    m = run(real_assistant, "dev", ["hybrid", "dense", "bm25", "langchain"], out=tmp_path / "run", progress=False)
    for name in ("results.jsonl", "metrics.json", "report.md", "strategies.png", "by_type.png", "latency.png"):
        assert (tmp_path / "run" / name).stat().st_size > 0
    assert gate(m) == [], gate(m)
    diff = compare(ROOT / "evals" / "reports" / "baseline", tmp_path / "run")
    assert diff.startswith("Comparing")
    json.loads((tmp_path / "run" / "metrics.json").read_text())


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("name", ["heldout", "heldout2"])
def test_held_out_evals_pass_their_gates(real_assistant, tmp_path, name):
    m = run(real_assistant, name, ["hybrid"], out=tmp_path / name, progress=False, plots=False)
    assert gate(m) == [], gate(m)


def test_context_recall_uses_the_peers_run_rule_and_the_character_budget():
    from evals.metrics import context_recall

    ev = ["Blinatumomab is given by continuous infusion over four weeks"]
    assert context_recall(["x" * 10, "Blinatumomab is given by continuous infusion over 4 wks."], ev) == 1.0
    assert context_recall(["y" * 4000, ev[0]], ev) == 0.0  # beyond the first 4,000 characters


def test_numbers_not_quoted_catches_a_drifted_figure():
    from evals.metrics import numbers_not_quoted

    assert numbers_not_quoted("The dose is 28 mcg/day [1].", ["28 mcg/day continuous IV infusion"]) == []
    assert numbers_not_quoted("The dose is 30 mcg/day [1].", ["28 mcg/day continuous IV infusion"]) == ["30 mcg/day"]


def test_the_decision_curve_scores_checked_items_by_status_and_the_rest_by_probability() -> None:
    from evals.plots import decision_curve

    def row(expect: str, typ: str, status: str, p: float, missing: str = "") -> dict:
        return {"strategy": "hybrid", "status": status, "metrics": {"expect": expect, "type": typ},
                "verdict": {"decision": {"probability": p, "threshold": 0.3, "missing": missing, "reasons": []}}}

    rows = [row("answer", "fact", "answered", 0.9), row("answer", "number", "answered", 0.4),
            row("abstain", "not_covered", "abstained", 0.2), row("abstain", "not_covered", "partial", 0.8, "dose"),
            row("abstain", "off_topic", "refused", 0.0)]
    c = decision_curve(rows)
    assert c is not None and c["n"] == 4 and c["threshold"] == 0.3
    assert c["recall"][0] == 1.0 and max(c["precision"]) == 1.0  # the partial 'dose' item scores 0, below both
    assert decision_curve(rows[:2]) is None  # one class only: no curve


def test_first_answers_reads_the_first_citation_with_its_list():
    from evals.metrics import first_answers

    answer = "Options include: [1]\n\n- blinatumomab [1]\n- inotuzumab [1]\n\nThe dose is 28 mcg/day. [2]"
    assert first_answers(answer, ["inotuzumab"])
    assert not first_answers(answer, ["28 mcg/day"])
    assert not first_answers("I can't answer that.", ["28 mcg/day"])
