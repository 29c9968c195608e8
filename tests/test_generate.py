"""The generative composer with LangChain's fake chat models: what passes is shown, anything else falls back."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant import phrases
from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.generate import Generated, judge, messages, sentences
from assistant.rules import CitedText, check_statement
from assistant.types import Citation, Statement

Q = "What dose of clofarabine is used in children?"


class Broken(FakeListChatModel):
    """A server that is down."""

    def _call(self, *args: Any, **kwargs: Any) -> str:
        raise ConnectionError("connection refused")

    def _stream(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("connection refused")


def _with_model(assistant: Any, model: Any) -> Any:
    assistant._chat = model
    return assistant


@pytest.fixture
def llm_assistant(fake_assistant: Any) -> Any:
    saved = fake_assistant._chat
    yield fake_assistant
    fake_assistant._chat = saved


def _extractive(assistant: Any) -> Any:
    return assistant.ask(Q, llm=False)


def test_a_faithful_model_answer_is_shown_with_its_citations(llm_assistant: Any) -> None:
    base = _extractive(llm_assistant)
    dose = next(c for c in base.citations if "52 mg/m2/day" in c.quote)
    quote = " ".join(dose.quote.split())
    said = "In this patient population, the dosage is 52 mg/m2/day IV over 2 h for 5 d"
    assert said in quote
    n = base.citations.index(dose) + 1
    model = FakeListChatModel(responses=[f"Children get 52 mg/m2/day IV over 2 h for 5 d [{n}]."])
    ans = _with_model(llm_assistant, model).ask(Q, llm=True)
    assert ans.composer.startswith("llm:") and "52 mg/m2/day" in ans.answer
    assert ans.citations and ans.citations[0].quote == dose.quote  # the span is the passage's exact span
    assert ans.verdict["llm"]["kept"] == 1 and ans.verdict["removed"] == []


def test_a_lying_model_is_never_shown_and_the_quoted_answer_comes_back_with_a_notice(llm_assistant: Any) -> None:
    base = _extractive(llm_assistant)
    n = next(i for i, c in enumerate(base.citations, 1) if "52 mg/m2/day" in c.quote)
    model = FakeListChatModel(responses=[f"Children get 62 mg/m2/day for 5 days [{n}]. Clofarabine cures "
                                         f"everyone [{n}]."])
    ans = _with_model(llm_assistant, model).ask(Q, llm=True)
    assert ans.composer == "extractive" and ans.answer == base.answer
    assert "62 mg" not in ans.answer and any(x.kind == "fallback" for x in ans.notices)
    removed = ans.verdict["llm"]["removed"]
    assert len(removed) == 2 and any("62" in r["sentence"] for r in removed)
    reasons = [x["reason"] for r in removed for x in r["results"] if not x["ok"]]
    assert any("not in the cited text" in x for x in reasons)


@pytest.mark.parametrize("reply", [
    "Clofarabine is a drug for children with ALL.",  # never cites
    "Clofarabine is given at 52 mg/m2/day [9].",  # cites a passage it was not given
    "",  # writes nothing
    "%%%% ###",  # garbage
    phrases.NOT_COVERED,  # says the passages do not answer (the decision said they do: quote them instead)
])
def test_no_citation_a_wrong_citation_nothing_or_garbage_falls_back(llm_assistant: Any, reply: str) -> None:
    base = _extractive(llm_assistant)
    ans = _with_model(llm_assistant, FakeListChatModel(responses=[reply])).ask(Q, llm=True)
    assert ans.composer == "extractive" and ans.answer == base.answer
    assert any(x.kind == "fallback" for x in ans.notices)


def test_a_server_that_is_down_falls_back_without_an_error(llm_assistant: Any) -> None:
    ans = _with_model(llm_assistant, Broken(responses=["x"])).ask(Q, llm=True)
    assert ans.status == "answered" and ans.composer == "extractive"
    fallback = next(x for x in ans.notices if x.kind == "fallback")
    assert "ConnectionError" in fallback.text


def test_the_model_never_overrides_an_abstention(llm_assistant: Any) -> None:
    model = FakeListChatModel(responses=["Venetoclax cures AML [1]."])
    ans = _with_model(llm_assistant, model).ask("Is venetoclax plus azacitidine used for relapsed AML?", llm=True)
    assert ans.status in ("abstained", "refused", "partial") and "Venetoclax cures" not in ans.answer


def test_the_stream_yields_only_checked_sentences(llm_assistant: Any) -> None:
    base = _extractive(llm_assistant)
    n = next(i for i, c in enumerate(base.citations, 1) if "52 mg/m2/day" in c.quote)
    model = FakeListChatModel(responses=[f"Children get 52 mg/m2/day IV over 2 h for 5 d [{n}]. "
                                         f"They get 99 mg [{n}]."])
    a = llm_assistant.assess(Q)
    shown = [st.text for st, g, _ in _with_model(llm_assistant, model).generate(base, a, []) if st is not None]
    assert shown == ["Children get 52 mg/m2/day IV over 2 h for 5 d."]


def test_no_model_configured_is_a_clear_fallback_not_an_error(fake_assistant: Any) -> None:
    assert fake_assistant.settings.llm.provider == "none"
    with pytest.raises(ConfigError, match="llm.provider"):
        type(fake_assistant)(fake_assistant.settings, fake_assistant.embedder).chat_model()


# ----- pure parts ----------------------------------------------------------------------------------
def test_sentences_complete_across_stream_chunks() -> None:
    text = "Children get 52 mg/m2/day [1]. Adults get less [2].\nIt is given IV [1]."
    chunks = [text[i:i + 3] for i in range(0, len(text), 3)]
    assert list(sentences(chunks)) == ["Children get 52 mg/m2/day [1].", "Adults get less [2].",
                                       "It is given IV [1]."]


def test_the_prompt_numbers_the_passages_and_carries_the_history() -> None:
    cits = [Citation(1, "c", "002", "T", "S", 0, 5, "Dose is 52 mg."), Citation(2, "d", "004", "T", "S", 0, 5, "X.")]
    msgs = messages("What dose?", [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}],
                    cits, "clinician")
    assert msgs[0].content.startswith(phrases.LLM_SYSTEM) and phrases.LLM_READER["clinician"] in msgs[0].content
    assert [type(m).__name__ for m in msgs] == ["SystemMessage", "HumanMessage", "AIMessage", "HumanMessage"]
    assert "[1] Dose is 52 mg.\n\n[2] X." in msgs[-1].content and "What dose?" in msgs[-1].content


def test_judge_falls_back_when_too_little_passes() -> None:
    g = Generated("m", kept=[Statement("a", [1])], written=3)
    assert "only 1 of" in judge(g, 0.5) and judge(g, 0.3) == ""
    assert judge(Generated("m"), 0.5) == "the language model wrote no sentence"


@pytest.mark.parametrize(("sentence", "ok"), [
    ("Children get 52 mg/m2/day for 5 days [1].", True),  # paraphrase leaning on the context
    ("Kids receive 52 mg/m2/day over 2 h for 5 d [1].", True),  # a lay word the vocabulary bridges
    ("Children get 52 mg/m2/day for 7 days [1].", False),  # a changed number
    ("Children get 52 mcg/m2/day for 5 days [1].", False),  # a changed unit
    ("Adults get 52 mg/m2/day for 5 days [1].", False),  # the wrong population
    ("Children do not get 52 mg/m2/day for 5 days [1].", False),  # a flipped negation
    ("Nelarabine is given at 52 mg/m2/day for 5 days [1].", False),  # a swapped drug
])
def test_the_paraphrase_rule_forgives_wording_but_not_facts(sentence: str, ok: bool) -> None:
    from assistant.rules import parse_answer

    cited = {1: CitedText(1, "Clofarabine is approved for pediatric patients aged 1-21 y with relapsed ALL. In this "
                             "patient population, the dosage is 52 mg/m2/day IV over 2 h for 5 d.", "002", "general",
                          "Clofarabine.")}
    st = parse_answer(sentence)[0]
    assert check_statement(st, cited, Settings.load(env={}).rules.paraphrase_support, paraphrase=True).ok is ok


ERADICATE = "In that trial blinatumomab eradicated MRD in 78 percent."


@pytest.mark.parametrize(("sentence", "ok"), [
    ("Blinatumomab cleared MRD in 78 percent [1].", True),  # a general synonym
    ("Blinatumomab cured MRD in 78 percent [1].", False),  # a clinical term
    ("Blinatumomab is unlikely to clear MRD in 78 percent [1].", False),  # a negation inside a word
    ("In that trial blinatumomab eradicated MRD in 78 percent and stops leukemia coming back [1].",
     False),  # three new content words in a row: a claim of its own
])
def test_the_thesaurus_bridges_general_english_only(sentence: str, ok: bool) -> None:
    """Issue 12 item 4: "cleared" for "eradicated" is kept (each lists the other in the Moby thesaurus); a word
    the vocabulary names as a clinical term is never bridged so; a negation inside a word ("unlikely") counts;
    a run of new words is an added claim."""
    from assistant.rules import parse_answer

    cited = {1: CitedText(1, ERADICATE, "004", "general", "Blinatumomab.")}
    st = parse_answer(sentence)[0]
    assert check_statement(st, cited, Settings.load(env={}).rules.paraphrase_support, paraphrase=True).ok is ok


def test_an_irregular_form_is_bridged_by_its_dictionary_form_and_nothing_is_without_the_pipeline(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """"seen" is "see", which the thesaurus pairs with "observed"; a word the passage does not stand for stays
    missing; without spaCy's pipeline no form is read (fail-closed)."""
    from assistant import grammar
    from assistant.paraphrase import paraphrase_coverage

    cited = "The latest relapses were observed four to seven years after transplant."
    assert grammar.lemmas("the relapses were seen and it went on") == {"relapses": "relapse", "were": "be",
                                                                        "seen": "see", "went": "go"}
    assert paraphrase_coverage("The last relapses were seen four to seven years after transplant.", cited) == \
        (1.0, [])
    assert paraphrase_coverage("The last relapses were seen four to seven years after transplant.",
                               cited.replace("observed", "treated"))[1] == ["seen"]
    grammar.lemmas.cache_clear()
    monkeypatch.setitem(grammar._pipelines, "lemmatizer", None)
    assert grammar.lemmas("the relapses were seen") == {}
    assert paraphrase_coverage("The last relapses were seen four to seven years after transplant.", cited)[1] == \
        ["seen"]
    grammar.lemmas.cache_clear()


def test_a_drug_may_be_named_by_the_section_the_passage_stands_under() -> None:
    from assistant.rules import parse_answer

    text = "Treatment course comprises 1 cycle for induction followed by up to 3 additional cycles."
    st = parse_answer("The blinatumomab course is 1 induction cycle and up to 3 additional cycles [1].")[0]
    support = Settings.load(env={}).rules.paraphrase_support
    under = {1: CitedText(1, text, "002", "general", "Salvage therapy. Blinatumomab.")}
    elsewhere = {1: CitedText(1, text, "002", "general", "Salvage therapy. Inotuzumab.")}
    assert check_statement(st, under, support, paraphrase=True).ok
    assert not check_statement(st, elsewhere, support, paraphrase=True).ok


def test_the_thesaurus_pairs_only_words_that_list_each_other_and_is_fail_closed_without_its_file(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant import meanings, thesaurus

    assert thesaurus.available() and thesaurus.related("cleared", "eradicated")
    assert thesaurus.related("reach", "attain") and not thesaurus.related("cleared", "percent")
    assert thesaurus.headwords("studies") == {"study"} and not thesaurus.related("go", "proceed")  # too short
    assert meanings.negated_words("unlikely to respond, uncommon, unfoobar, union") == {"likely", "common"}
    cited = {1: CitedText(1, ERADICATE, "004", "general", "Blinatumomab.")}
    st = Statement("Blinatumomab cleared MRD in 78 percent.", [1])
    thesaurus.cache_clear()
    monkeypatch.setattr(thesaurus, "_entries", lambda: {})
    assert not thesaurus.related("cleared", "eradicated")
    assert not check_statement(st, cited, Settings.load(env={}).rules.paraphrase_support, paraphrase=True).ok
    assert meanings.negated_words("unlikely, unfoobar") == {"likely", "foobar"}  # no dictionary: every prefix
    monkeypatch.undo()
    thesaurus.cache_clear()


@pytest.mark.parametrize(("sentence", "cited", "ok"), [
    ("The drug was ineffective [1].", "The drug was effective in most patients.", False),
    ("The drug was effective [1].", "The drug was ineffective in most patients.", False),
    ("Reused regimens give high response rates [1].", "Reused regimens give response rates that are low.", False),
    ("Unrelated donors did not give similar results [1].", "Unrelated donors give similar results.", False),
    ("Unrelated donors give similar results [1].", "Unrelated donors give similar results.", True),
    # a negation is compared clause by clause, each with the part of the passage it rests on
    ("Neither the risk group nor the first therapy affected outcome, and the best results came after a transplant "
     "[1].", "Risk group and first therapy did not influence outcome; best results came after a transplant.", True),
    ("Risk group affected outcome, and the best results did not come after a transplant [1].",
     "Risk group did not influence outcome; best results came after a transplant.", False),
    # a comparison keeps its sides, clinical terms too; the order of events; one negation more; "within"
    ("Results were better with peripheral blood stem cells rather than bone marrow [1].",
     "Results were better when bone marrow was used rather than peripheral blood stem cells.", False),
    ("Results were better with bone marrow rather than peripheral blood stem cells [1].",
     "Results were better when bone marrow was used rather than peripheral blood stem cells.", True),
    ("Mutation testing is done after treatment starts [1].", "Mutation testing is done before treatment starts.",
     False),
    ("For those not eligible for a transplant, induction gives no benefit [1].",
     "For those not eligible for a transplant, induction may prolong survival.", False),
    ("The combination was active enough to merit further study [1].",
     "The combination was found to be insufficiently active to merit further study.", False),
    ("The disease was treated by infusion [1].", "The disease was treated by infusion.", True),
    ("The EMA approved blinatumomab for Ph-negative and Ph-positive B cell ALL [1].",
     "Blinatumomab is approved by the European Medicines Agency for Philadelphia chromosome (Ph)-negative B cell ALL, "
     "and by the US Food and Drug Administration for Ph-negative and Ph-positive B cell ALL.", False),
    ("The FDA approved blinatumomab for Ph-negative and Ph-positive B cell ALL [1].",
     "Blinatumomab is approved by the European Medicines Agency for Philadelphia chromosome (Ph)-negative B cell ALL, "
     "and by the US Food and Drug Administration for Ph-negative and Ph-positive B cell ALL.", True),
    ("It is cured in two-thirds with more chemo and radiation [1].",
     "It is cured in two-thirds with additional chemotherapy and radiation.", True),  # "more" = additional
    ("It is cured more often with chemo than with radiation [1].",
     "It is cured in two-thirds with additional chemotherapy and radiation.", False),  # a comparison
    ("If relapse comes within two years, a second remission may be attained [1].",
     "If relapse comes more than two years after treatment, a second remission may be attained.", False),
    # before a figure "less than" / "more than" bound it as "at most" / "at least" do; "no more than" is a cap
    ("Relapse within 18 months cut the CR rate to 36 percent [1].",
     "Patients whose disease relapsed <18 months from initial therapy had a CR rate of 36 percent.", True),
    ("Relapse after at least 18 months cut the CR rate to 36 percent [1].",
     "Patients whose disease relapsed <18 months from initial therapy had a CR rate of 36 percent.", False),
    ("Adults get a lower dose, capped at 40 mg/m2/day [1].",
     "Adult patients are treated at a lower dose, no more than 40 mg/m2/day.", True),
    ("Blinatumomab cleared MRD in over three-quarters of patients [1].",
     "Blinatumomab eradicated measurable residual disease in more than three-quarters of patients.", True),
    ("Blinatumomab cleared MRD in under three-quarters of patients [1].",
     "Blinatumomab eradicated measurable residual disease in more than three-quarters of patients.", False),
    # a negation said in words on one side and by a verb on the other ("avoid", "differ", "fail", "stop ... from")
    ("Take care not to contaminate the sample with blood [1].",
     "Care must be taken to avoid contaminating the CSF specimen with peripheral blood.", True),
    ("Take care to contaminate the sample with blood [1].",
     "Care must be taken to avoid contaminating the CSF specimen with peripheral blood.", True),  # no word: as before
    ("Their side effects differ from those of chemotherapy [1].",
     "The toxicities are not the same as for chemotherapy.", True),
    # ... and a change the passage calls small keeps its degree
    ("Adding them to chemotherapy increases toxicity [1].",
     "When added to chemotherapy there is little increase in toxicity.", False),
    ("Adding them to chemotherapy increases toxicity slightly [1].",
     "When added to chemotherapy there is little increase in toxicity.", True),
    # connectives join claims and add none; the claims they join are checked
    ("Children get 52 mg/m2/day, while adults get 40 mg/m2/day at most [1].",
     "In children the dosage is 52 mg/m2/day; adult patients are treated at a lower dose, no more than 40 mg/m2/day.",
     True),
    ("Children get 52 mg/m2/day, while adults get no more than 40 mg/m2/day in hospital under close monitoring "
     "[1].", "In children the dosage is 52 mg/m2/day; adult patients are treated at a lower dose, no more than "
     "40 mg/m2/day.", False),
    # "a few" is some, not few; "all 30 domains" is all; "longer than one year" is "more than one year"
    ("Relapse can come a few months to years after remission [1].",
     "Relapse of leukemia may occur several months to years after the initial remission.", True),
    ("Quality of life was better in every domain but one [1].",
     "HRQL was improved in all 30 domains except financial difficulties.", True),
    ("Quality of life was better in every domain but one [1].",
     "HRQL was improved in 29 of 30 domains.", False),
    ("None of them lived more than one year [1].", "None of the patients survived longer than one year.", True),
    ("None of them lived less than one year [1].", "None of the patients survived longer than one year.", False),
    # a superlative keeps its direction: "best" is "better", "worst" is not
    ("The longer the first remission, the better the outlook [1].",
     "Patients with the longest duration of first remission tend to have the best outcomes.", True),
    ("The longer the first remission, the worse the outlook [1].",
     "Patients with the longest duration of first remission tend to have the best outcomes.", False),
])
def test_a_negation_inside_a_word_is_compared_by_its_word(sentence: str, cited: str, ok: bool) -> None:
    from assistant.rules import parse_answer

    st = parse_answer(sentence)[0]
    texts = {1: CitedText(1, cited, "004", "general", "")}
    assert check_statement(st, texts, Settings.load(env={}).rules.paraphrase_support, paraphrase=True).ok is ok


def _measured(assistant: Any, name: str, size: int) -> dict[str, Any]:
    """``evals.adversarial.measure`` on question set ``name`` (``size`` sentences, half faithful), printed."""
    from evals.adversarial import SET, load, measure

    items = load(SET.with_name(f"{name}.jsonl"))
    assert len(items) == size and sum(i["label"] == "faithful" for i in items) == size // 2
    m = measure(assistant.store, assistant.settings.rules.paraphrase_support, items)
    print(json.dumps({k: v for k, v in m.items() if k != "misses"}))
    return m


def test_the_adversarial_set_changed_numbers_units_and_wrong_citations_are_all_caught(fake_assistant: Any) -> None:
    """Issue 12 item 4 (targets: faithful kept >= 90 %, fabrications caught 100 %; not met yet, see README).

    What holds today and must keep holding: every changed number, changed unit and citation to the wrong
    passage is caught.  The figures for every label are printed for the report."""
    from evals.adversarial import load, measure

    items = load()
    assert len(items) >= 200 and sum(i["label"] == "faithful" for i in items) >= 100
    m = measure(fake_assistant.store, fake_assistant.settings.rules.paraphrase_support, items)
    print(json.dumps({k: v for k, v in m.items() if k != "misses"}))
    for label in ("number", "unit", "wrong_citation"):
        assert m["labels"][label]["kept"] == 0, (label, m["misses"])
    assert m["fabrications_caught"] == 1.0, m["misses"]  # since session 10 (a comparison keeps its sides)
    assert m["faithful_kept"] >= 0.86  # session 15: 0.583 -> 0.803; session 16: 0.827; session 17: 0.866


def test_the_second_adversarial_set_swapped_drugs_numbers_units_and_wrong_citations_are_all_caught(
        fake_assistant: Any) -> None:
    """adversarial2 (200 sentences, written in session 6; README gives its first run and the figures now)."""
    m = _measured(fake_assistant, "adversarial2", 200)
    for label in ("number", "unit", "drug", "wrong_citation", "added_claim", "population"):
        assert m["labels"][label]["kept"] == 0, (label, m["misses"])
    assert m["fabrications_caught"] >= 0.99 and m["faithful_kept"] >= 0.90  # s15: 0.78 -> 0.86; 16: 0.88; 17: 0.91


def test_the_third_adversarial_set_changed_numbers_drugs_added_claims_and_wrong_passages_are_all_caught(
        fake_assistant: Any) -> None:
    """adversarial3 (220 sentences, written in session 10, never read; first run in
    evals/reports/baseline/adversarial3-untuned: faithful kept 0.409, fabrications caught 0.955)."""
    m = _measured(fake_assistant, "adversarial3", 220)
    for label in ("number", "drug", "wrong_passage", "added_claim"):
        assert m["labels"][label]["kept"] == 0, label
    assert m["fabrications_caught"] == 1.0 and m["faithful_kept"] >= 0.70  # s15: 0.455 -> 0.618; s16: 0.655; s17: 0.709


def test_the_fourth_adversarial_set_changed_numbers_drugs_and_wrong_passages_are_all_caught(
        fake_assistant: Any) -> None:
    """adversarial4 (220 sentences, written in session 15; first run in evals/reports/baseline/adversarial4-untuned:
    faithful kept 0.564, caught 0.927 with session 14's rules; its three thesaurus leaks were then read)."""
    m = _measured(fake_assistant, "adversarial4", 220)
    for label in ("number", "drug", "wrong_passage"):
        assert m["labels"][label]["kept"] == 0, label
    assert m["fabrications_caught"] >= 0.99 and m["faithful_kept"] >= 0.81  # s15: 0.564; s16: 0.809; s17: 0.818


def test_the_fifth_adversarial_set_changed_numbers_added_claims_and_wrong_passages_are_all_caught(
        fake_assistant: Any) -> None:
    """adversarial5 (220 sentences, written in session 15 at the end, never read; first run in
    evals/reports/baseline/adversarial5-untuned: session 14's rules 0.300 / 0.918, session 15's 0.464 / 0.918)."""
    m = _measured(fake_assistant, "adversarial5", 220)
    for label in ("number", "wrong_passage", "added_claim"):
        assert m["labels"][label]["kept"] == 0, label
    assert m["fabrications_caught"] >= 0.92 and m["faithful_kept"] >= 0.48  # session 16: 0.482 / 0.918; 17: 0.927


def test_the_sixth_adversarial_set_changed_numbers_and_wrong_passages_are_all_caught(fake_assistant: Any) -> None:
    """adversarial6 (220 sentences, written in session 16 at the start, never read; first run in
    evals/reports/baseline/adversarial6-untuned: faithful kept 0.682, caught 0.909 with session 15's rules)."""
    m = _measured(fake_assistant, "adversarial6", 220)
    for label in ("number", "wrong_passage"):
        assert m["labels"][label]["kept"] == 0, label
    assert m["fabrications_caught"] >= 0.90 and m["faithful_kept"] >= 0.74  # session 16: 0.718; session 17: 0.745


def test_the_seventh_adversarial_set_changed_numbers_drugs_and_wrong_passages_are_all_caught(
        fake_assistant: Any) -> None:
    """adversarial7 (220 sentences, written in session 17 at the start, never read; first run in
    evals/reports/baseline/adversarial7-untuned: faithful kept 0.627, caught 0.927 with session 16's rules)."""
    m = _measured(fake_assistant, "adversarial7", 220)
    for label in ("number", "drug", "wrong_passage"):
        assert m["labels"][label]["kept"] == 0, label
    assert m["fabrications_caught"] >= 0.93 and m["faithful_kept"] >= 0.65  # session 17: 0.655 / 0.936


def test_ask_stream_shows_checked_sentences_one_by_one_then_the_final_answer(llm_assistant: Any) -> None:
    base = _extractive(llm_assistant)
    n = next(i for i, c in enumerate(base.citations, 1) if "52 mg/m2/day" in c.quote)
    reply = (f"Children get 52 mg/m2/day IV over 2 h for 5 d [{n}]. They get 99 mg [{n}]. "
             f"In this patient population, the dosage is 52 mg/m2/day IV over 2 h for 5 d [{n}].")
    steps = list(_with_model(llm_assistant, FakeListChatModel(responses=[reply])).ask_stream(Q, llm=True))
    assert len(steps) == 3  # two sentences passed (one at a time), then the final answer
    assert steps[0].answer.count("[1]") == 1 and "99 mg" not in " ".join(s.answer for s in steps)
    assert steps[-1].composer.startswith("llm:") and steps[-1].verdict["llm"]["kept"] == 2
    assert [r["sentence"] for r in steps[-1].verdict["removed"]] == ["They get 99 mg."]


def test_ask_stream_without_a_model_is_the_quoted_answer(fake_assistant: Any) -> None:
    steps = list(fake_assistant.ask_stream(Q, llm=False))
    assert len(steps) == 1 and steps[0].composer == "extractive"


def test_the_chat_streams_checked_sentences_and_keeps_the_reader(llm_assistant: Any, tmp_path: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.app import Handlers
    from assistant.feedback import FeedbackStore

    base = _extractive(llm_assistant)
    n = next(i for i, c in enumerate(base.citations, 1) if "52 mg/m2/day" in c.quote)
    reply = f"Children get 52 mg/m2/day IV over 2 h for 5 d [{n}]. It is given IV over 2 h for 5 d [{n}]."
    _with_model(llm_assistant, FakeListChatModel(responses=[reply]))
    monkeypatch.setattr(llm_assistant, "uses_llm", lambda llm=None: True)
    h = Handlers(llm_assistant, FeedbackStore(tmp_path / "fb.sqlite3"), delay=0)
    session = Handlers.set_reader("clinician", {"turns": [], "answers": {}})
    assert session["reader"] == "clinician" and Handlers.set_reader("nonsense", {})["reader"] == "patient"
    steps = [chat[-1]["content"] for _box, chat, _s in h.respond(Q, [], session)]
    partial = [s for s in steps if s.endswith(" …") and "[[1]]" in s]
    assert partial and "Children get 52 mg/m2/day" in partial[0]  # a checked sentence, shown before the end
    assert "Children get 52 mg/m2/day" in steps[-1] and "#vote-0-up" in steps[-1]


@pytest.mark.parametrize(("provider", "cls"), [("openai", "ChatOpenAI"), ("ollama", "ChatOllama")])
def test_the_settings_pick_the_langchain_chat_model(provider: str, cls: str) -> None:
    from assistant.generate import chat_model

    s = Settings.load(env={"ASSISTANT_LLM__PROVIDER": provider, "ASSISTANT_LLM__BASE_URL": "http://127.0.0.1:9/v1",
                           "ASSISTANT_LLM__MODEL": "m", "ASSISTANT_LLM__TIMEOUT_S": "5"})
    model = chat_model(s.llm)  # built only: nothing is contacted until a question is asked
    assert type(model).__name__ == cls and s.llm.timeout_s == 5.0


def test_a_misspelled_setting_is_one_clear_line() -> None:
    with pytest.raises(ConfigError) as err:
        Settings.load(env={"ASSISTANT_LLM__PROVIDR": "openai"})
    msg = str(err.value)
    assert "llm.providr" in msg and "ASSISTANT_LLM__PROVIDR" in msg and "provider, base_url" in msg
    with pytest.raises(ConfigError, match="'openai' or 'ollama'"):
        Settings.load(env={"ASSISTANT_LLM__PROVIDER": "gpt"})


def test_the_cli_exits_2_with_one_line_on_a_misspelled_setting(monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import main

    monkeypatch.setenv("ASSISTANT_LLM__PROVIDR", "openai")
    assert main(["ask", "What is blinatumomab?"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("error: unknown setting llm.providr") and "Traceback" not in err


def test_the_api_keeps_ask_stable_and_ask_for_takes_the_reader(fake_assistant: Any, tmp_path: Any) -> None:
    from assistant.app import Handlers
    from assistant.feedback import FeedbackStore

    h = Handlers(fake_assistant, FeedbackStore(tmp_path / "fb.sqlite3"))
    plain, clin = h.ask(Q, "[]"), h.ask_for(Q, "[]", "clinician")
    assert plain["composer"] == clin["composer"] == "extractive" and plain["citations"] and clin["citations"]
    assert h.ask_for(Q, "[]", "nonsense")["answer"] == plain["answer"]  # an unknown reader is a patient


@pytest.mark.parametrize(("quote", "sentence", "ok"), [
    ("Inotuzumab may be given for relapsed CD22-positive B-cell precursor ALL.",
     "Inotuzumab may be given for relapsed CD22-positive T-cell ALL [1].", False),  # another lineage
    ("Inotuzumab may be given for relapsed CD22-positive B-cell precursor ALL.",
     "Inotuzumab may be given for relapsed CD22-positive B-cell ALL [1].", True),
    ("None of the patients over 28 years of age survived.", "None of the patients younger than 28 survived [1].",
     False),  # the direction of an age comparison
    ("Tasigna has yet to be studied in children.", "Tasigna has already been studied in children [1].", False),
    ("Over 80 percent of adults with newly diagnosed ALL attain a complete remission.",
     "Over 80 percent of adults with relapsed ALL attain a complete remission [1].", False),  # another setting
])
def test_lineage_setting_age_direction_and_yet_to_are_checked(quote: str, sentence: str, ok: bool) -> None:
    from assistant.rules import parse_answer

    cited = {1: CitedText(1, quote, "004", "adults", "")}
    st = parse_answer(sentence)[0]
    assert check_statement(st, cited, Settings.load(env={}).rules.paraphrase_support, paraphrase=True).ok is ok


def test_the_eval_runs_the_model_beside_the_quoted_answers(llm_assistant: Any) -> None:
    """``assistant eval --strategies hybrid,llm``: the llm strategy's own figures in the same report."""
    from evals.harness import report_md, run_strategy
    from evals.metrics import aggregate

    base = _extractive(llm_assistant)
    n = next(i for i, c in enumerate(base.citations, 1) if "52 mg/m2/day" in c.quote)
    model = FakeListChatModel(responses=[f"Children get 52 mg/m2/day IV over 2 h for 5 d [{n}]. Nonsense 7 mg [{n}]."])
    _with_model(llm_assistant, model)
    item = {"id": "x-1", "question": Q, "type": "number", "expect": "answer", "gold_docs": ["002"],
            "evidence": [], "must_include": ["52 mg/m2/day"], "must_not_include": []}
    rows, answers = run_strategy(llm_assistant, [item], "llm")
    m = aggregate(rows)
    assert m["llm"]["asked"] == 1 and m["llm"]["sentences_written"] == 2 and m["llm"]["sentences_kept"] == 1
    assert m["llm"]["answers_by_the_model"] == 1 and m["fact_recall"] == 1.0 and m["numbers_not_quoted"] == 0
    md = report_md({"set": "t", "n_items": 1, "seconds": 0, "strategies": {"llm": {**m, "latency_ms": {}}}},
                   {"llm": rows})
    assert "strategy llm" in md and "sentences_kept | 1" in md


def test_an_ordinal_binds_to_the_event_it_counts() -> None:
    """"a second complete remission after first relapse" does not say "a second relapse"."""
    from assistant.paraphrase import check_binding, ordinal_events

    src = ("Tavernier et al reported the results of treatment of first relapse for patients entered on the LALA-94 "
           "trial [30] ; 187 patients (44%) achieved a second complete remission.")
    assert ordinal_events(src) == {"first relapse", "second remission"}
    assert ordinal_events("in CR2, or in second or later relapse") == {"second remission", "second relapse"}
    assert check_binding("187 patients (44 percent) achieved a second CR.", src).ok
    assert not check_binding("Among LALA-94 patients treated for a second relapse, 187 (44%) achieved another "
                             "complete remission.", src).ok


def test_a_model_that_puts_the_marker_first_and_pads_with_labels_and_repeats_is_read_for_its_claims(
        llm_assistant: Any) -> None:
    """Small models copy the passage block's "[n] text" layout, open with "The passage is:" or "Answer:", echo
    the question and loop: a leading marker cites its line; labels, lead-ins, questions and repeats are no
    claims (never shown, never counted against the model)."""
    base = _extractive(llm_assistant)
    n = next(i for i, c in enumerate(base.citations, 1) if "52 mg/m2/day" in c.quote)
    reply = (f"The passage is:\n[{n}] Children get 52 mg/m2/day IV over 2 h for 5 d.\nQuestion: {Q}\n"
             f"Answer: Children get 52 mg/m2/day IV over 2 h for 5 d [{n}].\n"
             f"[{n}] Children get 52 mg/m2/day IV over 2 h for 5 d.")
    ans = _with_model(llm_assistant, FakeListChatModel(responses=[reply])).ask(Q, llm=True)
    assert ans.composer.startswith("llm:"), ans.verdict["llm"]
    assert ans.verdict["llm"]["written"] == 1 and ans.verdict["llm"]["kept"] == 1
    assert ans.answer == "Children get 52 mg/m2/day IV over 2 h for 5 d. [1]"


def test_a_leading_marker_cites_its_line_and_a_trailing_one_its_sentence() -> None:
    from assistant.rules import parse_answer

    st = parse_answer("[2] Second claim. Third claim [3].\nFourth claim. [1] Fifth claim.")
    assert [(s.text, s.cites) for s in st] == [("Second claim.", [2]), ("Third claim.", [3]),
                                               ("Fourth claim.", [1]), ("Fifth claim.", [])]


def test_a_server_of_ones_own_gets_the_token_limit_it_reads() -> None:
    """langchain-openai sends "max_completion_tokens", which llama.cpp's server ignores: with a base_url the
    request also carries "max_tokens" (a small model otherwise writes until its context is full)."""
    from assistant.generate import chat_model

    own = Settings.load(env={"ASSISTANT_LLM__PROVIDER": "openai", "ASSISTANT_LLM__BASE_URL": "http://127.0.0.1:9/v1",
                             "ASSISTANT_LLM__MAX_TOKENS": "160"})
    payload = chat_model(own.llm)._get_request_payload([("user", "hi")])  # extra_body joins the request's JSON
    assert payload["extra_body"] == {"max_tokens": 160} and payload["max_completion_tokens"] == 160
    hosted = Settings.load(env={"ASSISTANT_LLM__PROVIDER": "openai", "ASSISTANT_LLM__MAX_TOKENS": "160"})
    assert not chat_model(hosted.llm)._get_request_payload([("user", "hi")]).get("extra_body")
