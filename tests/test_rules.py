import json
from pathlib import Path
from typing import Any

import pytest

from assistant import phrases
from assistant.rules import (
    RULES,
    CitedText,
    check_citation,
    check_drugs,
    check_numbers,
    check_population,
    check_qualifiers,
    check_support,
    parse_answer,
    verify,
)
from assistant.types import Statement

ADV = [json.loads(line) for line in (Path(__file__).parent / "data" / "adversarial.jsonl").open(encoding="utf-8")]
SRC = ("In this patient population, the dosage is 52 mg/m2/day IV over 2 h for 5 d; adult patients are treated at "
       "a lower dose, no more than 40 mg/m2/day for 5 d.")


def test_every_rule_has_an_id_and_description():
    from assistant.paraphrase import model_sentence_rules
    from assistant.rules import MODEL_RULES

    assert set(RULES) == {"citation", "support", "numbers", "drugs", "qualifiers", "population"}
    assert all(RULES.values()) and all(MODEL_RULES.values())
    ran = {r.rule for r in model_sentence_rules("Children get 52 mg/m2.", "The dose is 52 mg/m2.",
                                                "The dose is 52 mg/m2.", 0.75)}
    assert ran == (set(RULES) | set(MODEL_RULES)) - {"citation"}


def test_citation_rule():
    cited = {1: CitedText(1, SRC)}
    assert check_citation(Statement("x", [1]), cited).ok
    assert not check_citation(Statement("x", []), cited).ok
    assert "do not resolve" in check_citation(Statement("x", [2]), cited).reason


def test_support_rule():
    assert check_support("The dosage is 52 mg/m2/day for 5 d.", SRC, 0.8).ok
    bad = check_support("The dosage is doubled for patients with kidney failure.", SRC, 0.8)
    assert not bad.ok and "kidney" in bad.reason


@pytest.mark.parametrize("sentence,ok", [
    ("The dosage is 52 mg/m²/day.", True),
    ("The dosage is 52 mg/m2 per day for 5 d.", True),
    ("The dosage is 25 mg/m2/day.", False),
    ("The dosage is 52 mg/kg/day.", False),
    ("The dosage is 52 mg/m2/day for 7 d.", False),
])
def test_numbers_rule(sentence, ok):
    assert check_numbers(sentence, SRC).ok is ok


def test_numbers_rule_normalises_percent_and_ranges():
    src = "Approximately 31 to 44 percent of patients will attain a CR; the rate was 81%."
    assert check_numbers("31 to 44% attain a CR; the rate was 81 percent.", src).ok
    assert not check_numbers("31 to 54 percent attain a CR.", src).ok
    assert not check_numbers("31 percent attain a CR.", src).ok
    assert check_numbers("It is given for 2-3 years.", "Treatment for relapsed ALL is usually given for 2–3 years.").ok


def test_drugs_rule_accepts_aliases_and_rejects_swaps():
    src = "Blinatumomab (Blincyto) may be given for Ph+ precursor B ALL."
    assert check_drugs("Blincyto may be given for Ph+ ALL.", src).ok
    assert not check_drugs("Inotuzumab ozogamicin may be given for Ph+ ALL.", src).ok


def test_qualifier_rule_catches_dropped_negation_and_changed_hedges():
    src = "Whether cytarabine may contribute to the efficacy of clofarabine is not clear."
    assert check_qualifiers("Whether cytarabine may contribute to the efficacy of clofarabine is not clear.", src).ok
    assert not check_qualifiers("Whether cytarabine may contribute to the efficacy of clofarabine is clear.", src).ok
    assert not check_qualifiers("The response rate is exactly 30 percent.", "The response rate is approximately "
                                "30 percent.").ok


@pytest.mark.parametrize(("text", "kinds"), [
    ("Patients 25 or younger attained a CR.", {"at most"}),  # an upper limit, like "up to 25" or "<=25"
    ("Patients <=25 years of age.".replace("<=", "\u2264"), {"at most"}),
    ("Grade 3 or higher CRS occurred in 24 percent.", {"at least"}),
    ("second CR or higher", {"at least"}),
    ("relapse in the bone marrow with or without involvement of other sites", set()),  # no negation
    ("It was given without dexamethasone.", {"no"}),
    ("All patients responded.", {"all"}),  # the quantifier, not the disease ALL
    ("ALL patients responded.", set()),
    ("each cycle lasts 42 days in all", set()),  # "in all" is a total
    ("Lumbar puncture is indicated in all patients.", {"all"}),  # ... but "in all patients" is the quantifier
    ("Neither the risk group nor the first therapy mattered.", {"no"}),  # negations of English, session 15
    ("where the cells lack the Philadelphia chromosome", {"not"}),
    ("in the absence of CNS disease", {"not"}),
    ("relapse within two years of diagnosis", {"at most"}),
    ("different drugs or more intense doses", {"more"}),  # not a limit: "or more" before an adjective
    ("two or more prior regimens", {"at least"}),
    ("failed two or more treatment regimens", {"at least"}),  # "-ment" is a noun, not an adjective
    ("the chemotherapy drugs failed to kill enough blasts", {"not"}),
    ("because of the inability to collect leukemia-free stem cells", {"not"}),
    ("Survival fell with age.", {"decrease"}),
    ("It can raise the risk of infection.", {"increase"}),
])
def test_qualifier_kinds_read_limits_negations_and_directions(text: str, kinds: set[str]) -> None:
    from assistant.rules import qualifiers

    assert set(qualifiers(text)) == kinds


def test_population_rule():
    src = "Over 80 percent of adult patients with newly diagnosed ALL will attain a complete remission."
    assert check_population("Over 80 percent of adults attain a complete remission.", src).ok
    assert not check_population("Over 80 percent of children attain a complete remission.", src).ok


def test_verify_is_fail_closed():
    v = verify([Statement("The dosage is 52 mg/m2/day for 5 d.", [1]), Statement("The dosage is 60 mg/m2/day.", [1]),
                Statement("Uncited claim.", [])], {1: CitedText(1, SRC)})
    assert not v.ok and v.passed == 1 and len(v.removed) == 2
    d = v.to_dict()
    assert d["checked"] == 3 and d["removed"][0]["results"]


def test_parse_answer_reads_markers_and_bullets():
    st = parse_answer("First claim [1]. Second claim [2][3].\n- item one [1]\n- item two [1, 2]")
    assert [(s.text, s.cites, s.bullet) for s in st] == [
        ("First claim.", [1], False), ("Second claim.", [2, 3], False), ("item one", [1], True),
        ("item two", [1, 2], True)]


@pytest.mark.parametrize("item", ADV, ids=[i["id"] for i in ADV])
def test_adversarial_mutation_is_caught_and_original_passes(item):
    passage = item.get("wrong_passage") if item["kind"] == "wrong_citation" else item["passage"]
    assert not verify([Statement(item["mutated"], [1])], {1: CitedText(1, passage)}).ok, item["change"]
    clean = verify([Statement(item["original"], [1])], {1: CitedText(1, item["passage"])})
    assert clean.ok, [r for r in clean.sentences[0].results if not r.ok]


def test_adversarial_set_is_big_and_varied():
    kinds = {i["kind"] for i in ADV}
    assert len(ADV) >= 60 and kinds == {"number", "unit", "range", "drug", "negation", "qualifier", "population",
                                        "wrong_citation"}


def test_fixed_phrases_are_distinct_sentences():
    texts = [phrases.NOT_COVERED, phrases.OFF_TOPIC, phrases.SAFETY_PERSONAL, phrases.SAFETY_URGENT,
             phrases.INJECTION, phrases.NOTHING_SURVIVED]
    assert len(set(texts)) == len(texts) and all(t.endswith(".") for t in texts)


def _corpus_lines() -> list[str]:
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "corpus"
    return [line for f in sorted(root.glob("*.txt")) for line in f.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def test_qualifier_gates_never_skip_a_match():
    """The substring gates are a shortcut only: same result as searching every pattern, on every corpus line."""
    import re

    from assistant.rules import QUALIFIERS, longest_matches, qualifiers

    plain = {k: re.compile(v, re.I) for k, v in QUALIFIERS.items()}
    extra = ["It cannot be given.", "counts ≥ 100", "Under 5 percent", "It increased.", "isn't known"]
    for text in _corpus_lines() + extra:
        assert qualifiers(text) == longest_matches(text, gated=False), text
        assert qualifiers(text) <= frozenset(k for k, p in plain.items() if p.search(text)), text


def test_lexicon_find_longest_name_wins_without_overlaps():
    from assistant.lexicon import load_lexicon

    lex = load_lexicon()
    found = [(g.canonical, name) for g, name in lex.find("Inotuzumab ozogamicin (InO) then CAR T-cell therapy; ino")]
    assert found[0][1] == "Inotuzumab ozogamicin" and found[1][1] == "InO"
    assert any(name == "CAR T-cell therapy" for _, name in found)
    assert all(name != "ino" for _, name in found)  # short abbreviations match case-sensitively
    assert [n for _, n in lex.find("the Ph+ and Ph-negative groups", ("abbr", "population", "drug", "therapy"))
            if n.startswith("Ph")] == ["Ph+", "Ph-negative"]


def _para(sentence: str, quote: str) -> Any:
    from assistant.rules import check_statement as _check

    return _check(Statement(sentence, [1]), {1: CitedText(1, quote)}, 0.75, paraphrase=True)


def _failed(v: Any) -> set[str]:
    return {r.rule for r in v.results if not r.ok}


def _kept_or_failed_by(sentence: str, quote: str, ok: bool, rule: str) -> None:
    v = _para(sentence, quote)
    assert v.ok is ok, v.results
    if not ok:
        assert rule in _failed(v)


TKI = ("Second generation TKIs (eg, dasatinib, nilotinib, bosutinib) may be used for the treatment of patients with "
       "Ph-positive ALL with intolerance to prior therapy; importantly, only the third generation TKI, ponatinib, has "
       "substantial activity in the setting of the BCR-ABL1 T315I mutation.")
CLOF = ("Clofarabine is approved for the treatment of pediatric patients aged 1-21 y with relapsed or refractory ALL "
        "after at least two prior regimens. Adult patients are treated at a lower dose.")
REMISSION = ("If ALL relapses after a long remission, it may respond to the drugs used in the original treatment. "
             "If ALL relapses after a short remission, doctors will use other drugs.")


@pytest.mark.parametrize("sentence,quote,ok", [
    ("Only ponatinib has substantial activity against the BCR-ABL1 T315I mutation.", TKI, True),
    ("Only dasatinib has substantial activity against the BCR-ABL1 T315I mutation.", TKI, False),
    ("Clofarabine is approved for children aged 1 to 21 with relapsed or refractory ALL after at least two prior "
     "regimens.",
     CLOF, True),
    ("Clofarabine is approved for adults with relapsed or refractory ALL after at least two prior regimens.",
     CLOF, False),
    ("After a long remission, ALL may respond to the drugs used in the original treatment.", REMISSION, True),
    ("After a short remission, ALL may respond to the drugs used in the original treatment.", REMISSION, False),
])
def test_a_clause_names_its_drug_age_and_setting_as_the_part_of_the_passage_it_rests_on(sentence, quote, ok):
    _kept_or_failed_by(sentence, quote, ok, "binding")


def test_a_dose_sentence_may_take_its_drug_from_the_sentence_before():
    quote = "Nelarabine is approved for T-cell ALL. The recommended dose is 1500 mg/m2 IV over 2 hours."
    assert _para("The recommended nelarabine dose is 1500 mg/m2 IV over 2 hours.", quote).ok


@pytest.mark.parametrize("sentence,quote,ok", [
    ("Cycles may be extended with a 7-week treatment-free interval.", "Cycles may be extended to 28 days, with a "
     "7-day treatment-free interval.", False),
    ("Cycles may be extended with a 7-day treatment-free interval.", "Cycles may be extended to 28 days, with a "
     "7-day treatment-free interval.", True),
    ("The estimated six-year EFS was 67 percent.", "an estimated six-month EFS of 67 percent", False),
    ("Patients weighing under 45 lb get 15 mcg/m2/day.", "In patients weighing < 45 kg, 15 mcg/m2/day", False),
    ("7 of the 11 had complete responses.", "seven of 11 had complete responses", True),
    # "half" is exactly 50 percent, "a quarter" 25 percent; not 50 mg, not 40 percent
    ("It resulted in a response in half of children.", "It has resulted in a 50% response rate in children.", True),
    ("It resulted in a response in half of children.", "It has resulted in a 40% response rate in children.", False),
    ("A quarter of patients responded.", "The dose was 25 mg.", False),
])
def test_numbers_with_hyphenated_units_pounds_and_number_words(sentence, quote, ok):
    _kept_or_failed_by(sentence, quote, ok, "numbers")


def test_over_two_hours_is_how_long_an_infusion_runs_not_more_than():
    from assistant.rules import qualifiers

    assert "more than" not in qualifiers("52 mg/m2/day IV over 2 h for 5 d")
    assert "more than" in qualifiers("in over 50 percent of patients")


def test_an_added_clause_of_new_words_is_not_supported():
    quote = "Typically, 2400 cGy of radiation is given to the entire cranium over 12 doses."
    assert _para("2400 cGy of radiation is given to the entire cranium over 12 doses.", quote).ok
    v = _para("2400 cGy of radiation is given to the entire cranium over 12 doses, and radiation to the spine.", quote)
    assert "support" in _failed(v)


def test_a_tied_part_of_the_passage_that_names_another_relapse_still_counts():
    """'first relapse' rests on both the approval sentence (second or subsequent relapse) and the dose part: the
    part that names a relapse order decides; 'initial dosage' is no first relapse."""
    quote = ("Vincristine liposomal (Marqibo) is approved for treatment of Ph- ALL patients in second or subsequent "
             "relapse; initial dosage regimen is 2.25 mg/m2 IV infusion over 1 h every 7 d.")
    bad = "Liposomal vincristine (Marqibo) is approved for Ph- ALL patients in first relapse, given at 2.25 mg/m2."
    assert "binding" in _failed(_para(bad, quote))


@pytest.mark.parametrize(("sentence", "cited", "missing"), [
    ("In LALA-94, 187 patients (44 percent) reached CR2.", "the LALA-94 trial [30] ; 187 patients (44%) did", []),
    ("16 of 45 patients (36%) responded in two cycles.", "16 of 45 (36 percent) patients in two treatment cycles", []),
    ("It is split into three doses.", "administered as 3 divided doses", []),
    ("In the 405-patient trial", "405 heavily pretreated adults were randomly assigned", []),
    ("platelets above 100 × 10^9/L", "platelet level > 100 × 109/L at relapse", []),
    ("Remission lasted 7 months and OS 3 months.", "Median durations of remission and OS were seven and three months",
     []),
    ("It is still in phase 2 testing.", "It is still in Phase II testing.", []),
    ("Between 20% and 30% have CNS disease.", "Twenty to thirty percent have CNS disease.", []),
    ("30% have CNS disease.", "Twenty to thirty percent have CNS disease.", ["30 %"]),  # one end of a range
    ("45 cycles were given.", "16 of 45 (36 percent) patients", ["45 cycle"]),  # another count unit
    ("It is given for 7 days.", "It is given for 5 d.", ["7 day"]),
])
def test_numbers_in_their_other_forms_still_need_their_value(sentence: str, cited: str, missing: list[str]) -> None:
    from assistant.numbers import fmt, missing_quantities

    assert [fmt(q) for q in missing_quantities(sentence, cited)] == missing


TESTIS = ("The 3-year event-free survival of boys with overt testicular relapse during therapy is approximately 40%; "
          "it is approximately 85% for boys with late testicular relapse.")
MARQIBO = ("Vincristine liposomal (Marqibo) is approved for Ph- ALL patients in second or subsequent relapse; initial "
           "dosage regimen is 2.25 mg/m2 IV infusion over 1 h every 7 d.")


PRIOR = ("378 patients relapsed during or after first-line chemotherapy with a median survival of 10 months. In "
         "comparison, 169 patients relapsed following HCT performed during first CR with a median survival of 5.8 "
         "months.")


@pytest.mark.parametrize("sentence,quote,ok", [
    # a figure is bound to the group the part of the passage that gives it names
    ("Boys whose testicular relapse comes during therapy have about 85% three-year event-free survival.", TESTIS,
     False),
    ("Boys with a late testicular relapse have about 85% three-year event-free survival, versus roughly 40% when it "
     "occurs during therapy.", TESTIS, True),
    # a clause whose figures rest on a part naming no relapse order still takes its order from the words' part
    ("Liposomal vincristine (Marqibo) is approved for Ph- ALL patients in first relapse, given at 2.25 mg/m2 IV over "
     "1 hour every 7 days.", MARQIBO, False),
    ("Liposomal vincristine (Marqibo) is approved for Ph- ALL patients in second or subsequent relapse, given at "
     "2.25 mg/m2 IV over 1 hour every 7 days.", MARQIBO, True),
    # what the relapse came after is a group of its own: the chemotherapy group's figures are not the transplant's
    ("Patients who relapsed after HCT in first CR had a median survival of 10 months.", PRIOR, False),
    ("Patients who relapsed after HCT in first CR had a median survival of 5.8 months.", PRIOR, True),
    ("Patients who relapsed after first-line chemotherapy had a median survival of 10 months.", PRIOR, True),
])
def test_a_figure_keeps_the_group_its_part_of_the_passage_gives_it(sentence, quote, ok):
    _kept_or_failed_by(sentence, quote, ok, "binding")


@pytest.mark.parametrize("sentence,quote,ok", [
    # leaving out a direction says less, not something else; turning it round is a fabrication
    ("Patients with a low disease burden (under 5% bone marrow blasts) before treatment had a median OS over 20 "
     "months.",
     "Patients with a low disease burden (<5 percent bone marrow blasts) before treatment had more favorable "
     "outcomes (median OS >20 months).", True),
    ("Children who relapse late have lower survival.", "Children who relapse late have higher survival.", False),
    # "second-or-later" is "second or later"
    ("It is approved for patients up to 25 with refractory or second-or-later relapsed B-cell ALL.",
     "It is approved for patients up to age 25 with B-cell ALL that is refractory or in second or later relapse.",
     True),
    # a negation elsewhere in the passage does not license one in the part the sentence rests on
    ("Imatinib is not active in children who relapse.",
     "Imatinib is active in children who relapse. Dasatinib is not approved for children.", False),
    # dropping a negation, "only" or "most" changes the claim
    ("Refractory ALL is curable with more standard chemotherapy.",
     "Refractory ALL is not curable with more standard chemotherapy.", False),
    ("Transplant is the curative therapy for adults.", "Transplant is the only curative therapy for adults.", False),
    # "rather than" / "instead of" say what is not so
    ("The remaining blood is discarded rather than returned to the body.",
     "The remaining blood is then returned to the body.", False),
    ("Peripheral blood stem cells are used rather than bone marrow.",
     "Peripheral blood stem cells are used instead of bone marrow.", True),
    # each clause is compared with the part of the passage it rests on: two parts, two directions
    ("Over 80% of adults reach remission, but fewer than half stay leukemia-free long term.",
     "Over 80 percent of adult patients will attain a complete remission. After further therapy, less than half "
     "will have long-term leukemia-free survival.", True),
    ("Over 80% of adults reach remission, but more than half stay leukemia-free long term.",
     "Over 80 percent of adult patients will attain a complete remission. After further therapy, less than half "
     "will have long-term leukemia-free survival.", False),
])
def test_a_model_may_leave_out_a_direction_but_not_turn_it_round_or_drop_a_negation(sentence, quote, ok):
    _kept_or_failed_by(sentence, quote, ok, "qualifiers")


INO = ("Inotuzumab ozogamicin (InO) achieved superior CR and OS compared with conventional chemotherapy. InO can be "
       "administered in the outpatient setting, and is better tolerated than blinatumomab.")


@pytest.mark.parametrize("sentence,ok", [
    ("Inotuzumab can be given as an outpatient and is better tolerated than blinatumomab.", True),
    ("Blinatumomab can be given as an outpatient and is better tolerated than inotuzumab ozogamicin.", False),
])
def test_a_comparison_keeps_its_sides(sentence, ok):
    _kept_or_failed_by(sentence, INO, ok, "comparison")
