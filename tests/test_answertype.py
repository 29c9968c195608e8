"""The answer-type check: a question asking for a value is answered only by a statement giving that value about
what was asked (pure functions, literal inputs; the sentences are real corpus sentences)."""

import pytest

from assistant.answertype import answer_gap, answers, asked, carries, coverage, focus

CAR_T_OS = ("Patients with a low disease burden (<5 percent bone marrow blasts) before treatment had more favorable "
            "outcomes (median EFS 11 months, median OS >20 months) than those with higher disease burden.")
CAR_T_AGE = ("Tisagenlecleucel is a CD19-directed genetically modified autologous T cell immunotherapy that is "
             "approved for treatment of patients ≤25 years of age with B cell precursor ALL.")
BLINA_CYCLE = ("Blinatumomab is administered by continuous intravenous infusion (CIVI) over four weeks, followed by a "
               "two-week treatment-free interval.")
BLINA_HOSPITAL = ("Patients are hospitalized around the time of infusion initiation to monitor for cytokine release "
                  "syndrome and neurologic toxicity.")
BLINA_CRS = ("Blinatumomab was associated with comparable levels of severe (grade 3/4) toxicity, but uniquely "
             "associated with cytokine release syndrome in <5 percent of patients")
TREATMENT = "Treatment for relapsed ALL is usually given for 2–3 years."
IT_MTX = "In addition, at least six doses of intrathecal methotrexate should be administered."
RADIATION = "Typically, 2400 cGy of radiation is given to the entire cranium over 12 doses."


@pytest.mark.parametrize("question, kind", [
    ("How long do patients have to stay near the hospital after a CAR-T infusion?", "duration"),
    ("For how many weeks is blinatumomab infused?", "duration"),
    ("How often did cytokine release syndrome occur with blinatumomab?", "frequency"),
    ("How often is the nelarabine course repeated?", "schedule"),
    ("What percentage of children get a second remission?", "percent"),
    ("What were the CR rates with inotuzumab?", "percent"),
    ("Up to what age is Kymriah approved?", "age"),
    ("How many doses of intrathecal methotrexate are given?", "count"),
    ("When was liposomal vincristine withdrawn?", "date"),
    ("How much does Kymriah cost?", "cost"),
    ("What is the expense of one cycle of blinatumomab?", "cost"),
    ("What is blinatumomab?", ""),
    ("Which drugs work in Ph+ ALL?", "agent"),  # a drug the question does not name
])
def test_the_kind_of_value_asked(question, kind):
    assert asked(question).kind == kind


def test_counted_unit_and_asking_clause():
    assert asked("How many doses of intrathecal methotrexate are given?").unit == "dose"
    assert asked("How many children fail induction?").unit == ""
    a = asked("In the randomized trial of InO versus standard chemotherapy in 218 adults, what were the CR rates?")
    assert a.clause == "what were the CR rates?"
    assert asked("My leukemia has come back. How long will treatment go on?").clause == "How long will treatment go on?"


@pytest.mark.parametrize("kind, text, ok", [
    ("duration", TREATMENT, True),
    ("duration", BLINA_CYCLE, True),                       # number words: "four weeks"
    ("duration", "Remissions typically last only a few months.", True),
    ("duration", CAR_T_AGE, False),                        # "≤25 years of age" is an age, not a duration
    ("duration", BLINA_HOSPITAL, False),
    ("age", CAR_T_AGE, True),
    ("age", "approved for pediatric patients aged 1-21 y", True),
    ("age", "1500 mg/m2 IV over 2h on days 1, 3, and 5", False),  # "over 2h" is not "over 2 years"
    ("percent", "CR rate (81 versus 29 percent)", True),
    ("percent", "can be cured two-thirds of the time", True),
    ("percent", "Cytokine release syndrome is common.", False),   # a proportion needs a figure
    ("frequency", "Cytokine release syndrome is common.", True),
    ("frequency", "performed every three to six months", True),
    ("schedule", "repeated every 21 d", True),
    ("count", IT_MTX, True),
    ("date", "withdrawn from the US market in May 2022", True),
    ("date", TREATMENT, False),
    ("cost", "its expense may be a barrier", False),
    ("cost", "a list price of $475,000", True),
])
def test_what_a_statement_carries(kind, text, ok):
    assert carries(kind, text) is ok


def test_a_count_of_a_named_unit_needs_that_unit():
    assert carries("count", IT_MTX, "dose")
    assert not carries("count", "Cycles may be extended to 28 days.", "cycle")
    assert carries("count", "up to five cycles total", "cycle")


def test_focus_leaves_out_cue_words_topic_names_and_setting_phrases():
    f = focus("How long do patients have to stay near the hospital after a CAR-T infusion?")
    assert f.words == {"stay", "hospital"}       # "after a CAR-T infusion" is the setting; "near" a function word
    assert f.topic == {"CAR T-cell therapy"}
    f = focus("In the randomized blinatumomab trial, how often did cytokine release syndrome occur?")
    assert f.groups == {"cytokine release syndrome"} and f.topic == {"blinatumomab"}
    f = focus("What percentage of children with ALL have the leukemia return in the brain?")
    assert "brain" in f.words                            # "in the brain" names no drug: it is what is asked


def test_function_words_are_not_what_is_asked():
    # "once", "that one", "still": words with no content cannot be what a statement must cover
    assert "onc" not in focus("so how long does the chemo go on for once ALL comes back").words
    assert "one" not in focus("how long did the kids get the chemo for in that one").words
    assert "still" not in focus("and if he has that T315I one, which drug still works?").words
    assert focus("ok whats the scariest side effects with kymriah").words == {"scariest"}  # "whats" is "what"


def test_a_general_term_is_covered_by_any_term_of_its_kind():
    # "side effects" is what a sentence naming cytokine release syndrome is about (the bridge's kinds)
    f = focus("what are the worst side effects of kymriah")
    assert "side effects" in f.groups
    assert coverage(f, "the label carries a boxed warning for neurological events and for cytokine release "
                       "syndrome (CRS)") > coverage(f, "it is given as a single infusion")
    assert coverage(f, "it is given as a single infusion") == 0.0


def test_coverage_counts_words_by_light_stem_and_terms_by_any_alias():
    f = focus("How often can a boy be cured when his ALL comes back only in the testicles?")
    assert f.words == {"boy", "cur", "testicl"}
    assert coverage(f, "isolated recurrence in the testicles can be cured two-thirds of the time") == 2 / 3
    f = focus("How often did cytokine release syndrome occur with blinatumomab?")
    assert coverage(f, "CRS occurred in 3 percent") == 1.0  # CRS is an alias of cytokine release syndrome
    f = focus("How long do the patient's T cells take to be modified?")
    assert coverage(f, "outcomes with CAR T cells") == 0.0  # the "cells" of a name do not match


def test_the_hospital_stay_question_is_not_answered_by_a_survival_figure():
    q = "How long do patients have to stay near the hospital after a CAR-T infusion?"
    assert answers(q, CAR_T_OS, leaf="CAR-T") is None
    gap = answer_gap(q, [(CAR_T_OS, "CAR-T", ""), (CAR_T_AGE, "CAR-T", "")])
    assert gap.startswith("no statement gives the duration asked for") and "stay" in gap


def test_a_statement_giving_the_value_about_the_focus_answers():
    q = "How long does treatment for relapsed ALL usually last?"
    assert answer_gap(q, [(TREATMENT, "Treatment", "")]) == ""
    q = "In the randomized blinatumomab trial, how often did cytokine release syndrome occur?"
    assert answers(q, BLINA_CRS) == {"blinatumomab"}
    assert answers(q, BLINA_HOSPITAL) is None             # about CRS, but no frequency
    assert answers(q, BLINA_CYCLE) is None                # a schedule, but not about CRS
    assert answer_gap(q, [(BLINA_HOSPITAL, "", ""), (BLINA_CRS, "", "")]) == ""


def test_the_value_must_be_about_the_drug_named_and_each_drug_named_needs_one():
    q = "How long are patients hospitalized around the initiation of a blinatumomab infusion?"
    assert answer_gap(q, [(BLINA_CYCLE, "Blinatumomab", ""), (BLINA_HOSPITAL, "Blinatumomab", "")])
    q = "How many doses of intrathecal methotrexate should an adult with CNS involvement receive?"
    assert answers(q, RADIATION) is None                  # doses, but of radiation, not methotrexate
    assert answer_gap(q, [(IT_MTX, "CNS relapse", "")]) == ""
    q = "How many times more active than Gleevec is Tasigna?"
    sprycel = "Sprycel is more than 300 times more active than Gleevec for inhibition of Bcr-Abl."
    assert answers(q, sprycel) == {"imatinib"}
    assert "nilotinib" in answer_gap(q, [(sprycel, "", "")])


def test_questions_asking_for_no_value_are_left_alone():
    assert answer_gap("What is blinatumomab?", []) == ""
    assert answers("What is blinatumomab?", "anything") == frozenset()


def test_a_synonym_covers_a_focus_word_for_the_ranker_only():
    f = focus("can the cycle be stretched out")
    text = "Cycles may be extended to 28 days."
    assert coverage(f, text, synonyms=True) > coverage(f, text)  # "stretched" / "extended", Moby both ways


def test_the_minimum_coverage_is_a_parameter():
    q = "How long does one full cycle of blinatumomab last including the treatment-free break?"
    text = "each cycle consists of 28 days of continuous IV infusion"
    assert coverage(focus(q), text) == 1 / 5              # "cycle" of five focus words ("one" is a numeral)
    assert answers(q, text, leaf="Blinatumomab", min_coverage=0.1) == {"blinatumomab"}
    assert answers(q, text, leaf="Blinatumomab", min_coverage=0.25) is None


def test_a_dose_belongs_to_the_drug_named_before_it() -> None:
    from assistant.focus import dosed_drugs

    text = ("The efficacy and safety of dasatinib (70 mg orally twice daily) was tested in 36 patients with "
            "imatinib-resistant Ph+ ALL.")
    assert dosed_drugs(text, "", "") == {"dasatinib"}
    assert dosed_drugs("The dosage is 52 mg/m2/day IV over 2 h for 5 d.", "", "Clofarabine is approved ...") == \
        {"clofarabine"}


def test_a_dose_asked_for_one_group_is_not_answered_by_another_groups_dose() -> None:
    from assistant.focus import _dose_group

    assert _dose_group("nelarabine dose in children? i only see the adult dose") == {"children"}
    assert _dose_group("what is the nelarabine dose") == set()
    # a stated age says whom the dose is for, over a kinship word or another group named later
    assert _dose_group("nelarabine dose for a 10 yr old? i only see the adult one") == {"children"}
    assert _dose_group("my son is 23, what is the clofarabine dose") == {"adults"}


def test_a_stated_age_overrides_a_kinship_word() -> None:
    from assistant.context import asked_groups, groups_in

    assert asked_groups("my daughter (6) relapsed") == {"children"}
    assert asked_groups("my son is 23 and it came back") == {"adults"}
    assert asked_groups("my son relapsed 2 times") == {"children"}  # a count, not an age
    assert asked_groups("husband is 44, relapsed ALL") == {"adults"}
    assert asked_groups("a 17-year-old with T-ALL") == {"children"}
    assert asked_groups("my son is 19") == {"children"}  # 18 to 21: the age does not decide, the words do
    assert asked_groups("he relapsed 14 months after diagnosis") == set()
    # the sources' own ages are no asker's: "young adults (up to age 25)" is not about adults only
    assert groups_in("approved to treat young adults (up to age 25) with B-cell ALL") == set()


def test_which_is_better_asked_after_the_two_names() -> None:
    assert asked("for relapsed T-ALL is nelarabine or clofarabine the better choice?").kind == "comparison"
    assert asked("is nelarabine better than clofarabine for T-ALL?").kind == "comparison"


def test_a_why_question_is_answered_only_by_a_reason_or_a_purpose() -> None:
    q = "why was marqibo taken off the market"
    assert asked(q).kind == "cause"
    assert answers(q, "Marqibo was withdrawn from the market in May 2022.") is None
    assert answers(q, "Marqibo was taken off the market because of supply problems.") is not None
    assert carries("cause", "Leukapheresis is used to lower a very high white blood cell count.")
    assert carries("cause", "This is most likely due to the inability to collect leukemia-free stem cells.")
    assert not carries("cause", "Patients with an isolated testicular relapse are treated with chemotherapy.")


def test_how_many_mg_is_a_dose_and_a_dose_named_as_the_setting_is_not() -> None:
    from assistant.focus import dose_question

    assert dose_question("how many mg/m2 do kids get and on which days")
    assert not dose_question("what premeds do we give before each besponsa dose")
    assert not dose_question("how many doses of IT methotrexate")
    assert dose_question("what is the dose of nelarabine")


def test_a_rate_asked_with_words_between() -> None:
    assert asked("what are the 5 year survival odds after kymriah").kind == "percent"


def test_another_disease_named_more_often_than_all() -> None:
    from assistant.questions import intent

    assert intent("dad has AML that came back, it wasnt all gone. is there car t for AML like for ALL").other_disease
    assert not intent("I had AML as a child, now relapsed ALL: what are the options for ALL").other_disease


def test_pronouns_and_prepositions_are_not_what_is_asked() -> None:
    f = focus("my daughter is 19, is she inside the age limit for kymriah")
    assert not ({"she", "insid", "inside"} & f.words)
    f = focus("What foods should my child avoid during chemo for relapsed leukemia?")
    assert f.words == {"food", "avoid"}  # not "during", not the generic "chemo"


def test_names_joined_by_a_slash_are_two_names(fake_assistant) -> None:
    assert fake_assistant.unknown_drugs("tecartus/brexu-cel in adult r/r B-ALL - CR rate") == []


def test_a_regimen_named_by_its_dose_level_is_not_a_dose_question() -> None:
    from assistant.focus import dose_question

    assert not dose_question("hyper-CVAD vs the high-dose cytarabine combo, which has the better CR rate")
    assert dose_question("what is the dose of high-dose cytarabine")
    assert dose_question("what low dose is given in week 1")


def test_a_dose_asked_for_a_time_point_needs_a_figure_for_that_time_point() -> None:
    from assistant.focus import dose_time, timed_dose_given

    assert dose_time("blincyto: exact dose in week 1 of cycle 1 before stepping up?") == ("week", "1")
    assert dose_time("what is the first cycle dose") == ("cycle", "1")
    assert dose_time("what dose is used after the first week of cycle 1") == ("cycle", "1")  # after = the rest
    assert dose_time("what is the dose of nelarabine") is None
    low = ("a low dose is given for week 1 of the first cycle and then increased to 28 mcg/day for the "
           "remaining 3 weeks of cycle 1")
    assert not timed_dose_given(("week", "1"), [low])       # week 1 is named, with no figure
    assert timed_dose_given(("cycle", "1"), [low])          # cycle 1 has its figure in the same clause
    assert timed_dose_given(("week", "1"), ["the dose is 28 mcg/day"])  # no time point singled out
    assert timed_dose_given(("day", "1"), ["9 mcg/day on days 1-7"])


def test_the_asking_clause_is_read_in_the_sources_words(fake_assistant) -> None:
    """A lay name ("bone marrow transplant") counts as the treatment it means: the question compares two
    treatments, which no statement does, so the sources do not say which is better."""
    a = fake_assistant.assess("would kymriah be better for my daughter than a bone marrow transplant? which one")
    assert asked("would kymriah be better for my daughter than a bone marrow transplant?").kind == "comparison"
    assert a.decision is not None and a.decision.status in ("partial", "abstain")
    assert a.decision.missing == "comparison"


def test_how_much_with_a_comparative_is_no_dose_and_a_reason_is_not_what_is_asked() -> None:
    from assistant.focus import dose_question

    assert not dose_question("how much stronger is it supposed to be than the gleevec?")
    assert not dose_question("how much more likely is a relapse")
    assert dose_question("how much blinatumomab does he get")
    q = "be honest with me, how long do people live with this cuz the docters keep dodging"
    assert asked(q).kind == "duration" and asked(q).clause == "how long do people live with this"


def test_an_amount_per_body_size_is_a_dose() -> None:
    from assistant.focus import dose_question

    assert dose_question("what dose of kymriah (how many cells per kg) do they give")
    assert not dose_question("how many cells do they collect")
    assert not dose_question("how many kids per year relapse")


def test_a_therapy_dose_is_one_for_the_body_site_asked_about(fake_assistant) -> None:
    """A radiation dose to the cranium answers a CNS question, not a testicular one; a dose question about a
    therapy whose dose no statement gives is ``partial`` ("The sources do not give a dose for that")."""
    from assistant.focus import _therapy_dose_of, body_sites, therapy_dose_gap
    from assistant.types import Statement

    store = fake_assistant.store
    cranial = "Typically, 2400 cGy of radiation is given to the entire cranium over 12 doses."
    radiation = {"radiation therapy"}
    assert body_sites("how much radiation for a brain relapse") == {"brain", "central nervous system"}
    assert _therapy_dose_of("how much radiation for a CNS relapse", radiation, cranial, store, "-")
    assert _therapy_dose_of("what radiation dose is usually given", radiation, cranial, store, "-")
    assert not _therapy_dose_of("what radiation dose to the testes", radiation, cranial, store, "-")
    assert not _therapy_dose_of("what radiation dose to the testes", radiation,
                                "Patients with an isolated testicular relapse get radiation therapy.", store, "-")
    q = "what radiation dose is given to the testes for an isolated testicular relapse"
    assert therapy_dose_gap(q, [Statement(cranial, [1], unit_id="-")], store) == \
        "no dose of radiation therapy in the sources"
    a = fake_assistant.assess(q)
    assert a.decision is not None and a.decision.missing == "dose" and a.decision.status in ("partial", "abstain")


def test_a_dose_is_asked_by_name_and_with_a_count() -> None:
    from assistant.focus import dose_of, dose_question, dose_time

    assert dose_of("pegaspargase dose in the high-dose cytarabine regimen?") == {"pegaspargase"}
    assert dose_of("what is the dose of nelarabine") == {"nelarabine"}
    assert dose_of("clofarabine and cytarabine: what doses") == set()  # no drug named at the dose word
    assert dose_question("how many cells do they put back in for kymriah, whats the actual dose")
    assert not dose_question("how many times a week is the dose given")
    assert dose_time("what's the exact week-1 step dose before going up to 28 mcg/day") == ("week", "1")


def test_which_drug_is_answered_by_a_drug_the_question_does_not_name() -> None:
    q = "what medicine does the hospital have to keep ready when giving tisagenlecleucel?"
    assert asked(q).kind == "agent"
    assert asked("what premeds do we give before each besponsa dose").kind == "agent"
    assert asked("what kind of drug is kymriah").kind != "agent"
    ready = "The hospital must keep tocilizumab ready for immediate administration."
    assert answers(q, ready, leaf="Tisagenlecleucel") is not None
    assert answers(q, "Tisagenlecleucel is approved for patients up to 25 years.", leaf="Tisagenlecleucel") is None


def test_a_drug_named_for_something_else_does_not_answer_which_drug():
    """The drug must be named for what was asked: a list item is read with its lead-in."""
    q = "Which drug is given to bring down uric acid in tumour lysis syndrome?"
    lead = "Supportive therapies given during treatment may include:"
    assert answers(q, "growth factors (filgrastim) to help the bone marrow recover", "Supportive therapy", lead) is None
    q = "Which chemo drugs can be combined to treat relapsed ALL?"
    lead = "Drugs that may be used in combination to treat relapsed or refractory ALL include:"
    assert answers(q, "cytarabine (Cytosar)", "Treatments", lead) is not None
    assert answers(q, "cytarabine (Cytosar)", "Treatments", "") is None


def test_a_rate_asked_at_a_time_needs_a_figure_at_that_time() -> None:
    from assistant.answertype import asked_horizon, horizons

    q = "what % of kids are still alive 5 years after kymriah"
    assert asked(q).kind == "percent" and asked_horizon(q) == "5"
    assert asked_horizon("IBMTR 3-yr LFS after HLA-identical sib transplant") == "3"
    assert asked_horizon("what is overall survival at two years") == "2"
    assert asked_horizon("my daughter relapsed 3 years after she was diagnosed. chances of cure?") == ""
    assert horizons("The three-year actuarial probabilities of LFS") == {"3"}
    assert horizons("a 5-y disease-free survival of 12%") == {"5"}
    assert answers(q, "The complete remission rate with tisagenlecleucel was 81 percent.") is None
    assert answers("what is the 3-year survival rate after transplant in second CR",
                   "The three-year LFS after transplantation in second CR is 40 percent.") is not None


def test_the_question_s_own_clause_gives_the_focus_when_the_bridge_rewrote_how_it_asks():
    from assistant.answertype import focus_about

    q = "trying to understand his calendar. which chemo drugs are normally used"
    bridged = "trying to understand his calendar. which chemotherapy are normally used (blinatumomab)"
    assert asked(bridged).kind == "" and asked(q).kind == "agent"
    f = focus_about(q, bridged)
    assert "calendar" not in f.words and f.topic == {"blinatumomab"}


def test_which_one_is_better_asks_for_a_comparison_when_two_treatments_are_named_earlier():
    assert asked("could get either brexu-cel or tisa-cel. which one has better outcomes").kind == "comparison"
    assert asked("kymriah or blincyto, what works better for my son").kind == "comparison"
    assert asked("what is the best dose of blinatumomab").kind == ""  # one treatment: no comparison
    gap = answer_gap("could get either brexu-cel or tisa-cel. which one has better outcomes",
                     [("Brexucabtagene is a CD19-directed CAR-T cell therapy approved for adults.", "", "")])
    assert gap.startswith("no statement gives the comparison asked for")


@pytest.mark.parametrize("text,cause", [
    ("This study also showed that results of unrelated donor transplants were better with bone marrow.", False),
    ("Results from a 2002 analysis by the IBMTR reported similar results.", False),
    ("Tumour lysis results from the rapid death of many cells.", True),
    ("Relapse is the result of resistant cells.", True),
])
def test_results_of_a_study_are_outcomes_not_a_cause(text: str, cause: bool) -> None:
    assert carries("cause", text) is cause


def test_a_why_question_about_a_difference_needs_a_reason_that_draws_the_comparison():
    from assistant.answertype import answers

    q = "why do unrelated donor transplants in children do better with bone marrow than with stem cells from blood?"
    unrelated = ("Autologous stem cell transplant is rarely a treatment option because the bone marrow contains many "
                 "leukemia cells.")
    assert answers(q, unrelated) is None
    compared = ("Unrelated donor transplants with bone marrow do better than with blood stem cells because the "
                "marrow graft carries fewer T cells.")
    assert answers(q, compared) is not None
    # a plain why-question is still answered by a reason
    assert answers("why is autologous transplant rarely an option?", unrelated) is not None


def test_a_comparison_that_judges_two_groups_needs_one_statement_about_both() -> None:
    q = "is blinatumomab more effective in kids than in adults?"
    assert asked(q).kind == "comparison"
    assert answers(q, "Blinatumomab produced higher CR rates than chemotherapy in adults.", leaf="Blinatumomab") is None
    assert answers(q, "Responses to blinatumomab were better in children than in adults.",
                   leaf="Blinatumomab") == {"blinatumomab"}
    # describing each side ("children versus adults") is answered by each side's own statements
    assert asked("How is CNS relapse managed in children versus adults?").kind != "comparison"


def test_a_choice_between_two_alternatives_needs_a_statement_naming_both() -> None:
    from assistant.answertype import alternatives, answers

    q = "is a port or a picc line better for the blinatumomab pump? they asked us to choose"
    assert asked(q).kind == "comparison" and alternatives(q) is not None
    assert answers(q, "Blinatumomab is given by continuous intravenous infusion through a pump.") is None
    # brand and generic, lay and clinical words are one alternative through the bridge and the lexicon
    sides = alternatives("is besponsa actually better than regular chemo?")
    assert sides is not None and "inotuzumab ozogamicin" in sides[0]
    # "2 or more", a choice between two numbers, or no judgement asked: no alternatives
    assert alternatives("kids who already had 2 or more treatments, 26% or 30%?? which is it") is None
    assert alternatives("is blina or ino given outpatient") is None
