"""The vocabulary bridge, the follow-up resolver and the answerability decision: pure functions, literal inputs."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant import phrases
from assistant.conversation import resolve
from assistant.decision import FEATURES, Evidence, Model, decide, load_model
from assistant.vocabulary import build_vocabulary, load_vocabulary, mine_abbreviations

H_BLINA = [{"role": "user", "content": "What is the blinatumomab dose for adults with relapsed B-ALL?"},
           {"role": "assistant", "content": "28 mcg/day by continuous IV infusion [1]."}]


def test_bridge_maps_lay_words_and_shorthand_to_the_documents_spelling():
    v = load_vocabulary()
    assert "lumbar puncture" in v.replace("my son had a spinal tap").lower()
    assert "blinatumomab" in v.replace("is blina given in hospital?").lower()
    assert "relapse" in v.replace("his leukemia came back").lower()
    assert v.replace("What is blinatumomab?") == "What is blinatumomab?"  # corpus spellings stay as they are


def test_a_general_term_is_found_through_the_terms_of_its_kind():
    from assistant.compose import overlap_score, query_terms

    v = load_vocabulary()
    assert "cytokine release syndrome" in v.members("side effects") and "neurotoxicity" in v.members("tox")
    assert v.members("neurotoxicity") == () and v.members("blinatumomab") == ()  # only the general word
    terms = query_terms("what are the main side effects", {})
    assert overlap_score(terms, "Neurotoxicity, which can be severe, is dose-limiting.") > 0
    assert overlap_score(terms, "Different doses are recommended for children and for adults.") == 0


def test_bridge_known_tokens_are_not_unknown_words():
    assert "spinal" in load_vocabulary().known_tokens("my son had a spinal tap")


def test_schwartz_hearst_pairs():
    text = "Patients with cytokine release syndrome (CRS) and minimal residual disease (MRD) were treated."
    assert mine_abbreviations(text) == [("cytokine release syndrome", "CRS"), ("minimal residual disease", "MRD")]
    assert mine_abbreviations("treated daily (see below)") == []


def test_mined_pairs_expand_the_other_form():
    v = build_vocabulary([], [("cytokine release syndrome", "CRS")])
    assert v.expansions("how long does CRS last") == ["cytokine release syndrome"]


def test_follow_up_with_a_pronoun_carries_the_treatment():
    r = resolve("is it given in hospital?", H_BLINA)
    assert r.how == "topic" and "blinatumomab" in r.text


def test_follow_up_with_content_words_of_its_own_still_carries_the_treatment():
    r = resolve("how many times a week?", H_BLINA)
    assert "blinatumomab" in r.text


def test_bare_ellipsis_carries_the_whole_question_with_the_population_swapped():
    h = [{"role": "user", "content": "What is the clofarabine dose for children?"}]
    r = resolve("and for adults?", h)
    assert r.how == "ellipsis" and "clofarabine dose" in r.text and "children" not in r.text


@pytest.mark.parametrize("question", ["What is the nelarabine dose?", "and dasatinib?", "what about CAR-T?",
                                      "Is Marqibo still available?"])
def test_a_question_naming_its_own_treatment_carries_nothing(question):
    r = resolve(question, H_BLINA)
    assert r.text == question and r.how == ""


def test_a_pronoun_after_a_question_naming_no_drug_points_to_the_drug_the_answer_introduced():
    h = [{"role": "user", "content": "is there any car-t for someone over 25? im 41"},
         {"role": "assistant", "content": "Brexucabtagene is a CD19-directed CAR-T approved for adults [1]; "
                                          "tisagenlecleucel is for patients up to 25 [2]."}]
    r = resolve("how well did it work in the trial?", h)
    assert r.how == "topic" and r.carried == "Brexucabtagene"  # the answer's first drug, not "car-t"
    # a question that names a drug keeps it, whatever the answer named first
    h2 = [{"role": "user", "content": "what exactly is kymriah"},
          {"role": "assistant", "content": "Blinatumomab and tisagenlecleucel (Kymriah) both target CD19 [1]."}]
    assert resolve("is it given in hospital?", h2).carried == "kymriah"


def test_bare_ellipsis_swaps_a_group_named_in_lay_words():
    h = [{"role": "user", "content": "outcomes for isolated CNS relapse in kids, early vs late?"}]
    r = resolve("and in grown ups?", h)
    assert r.how == "ellipsis" and "kids" not in r.carried and "isolated CNS relapse" in r.carried


def test_a_treatment_named_only_as_the_contrast_carries_the_other_one():
    h = [{"role": "user", "content": "does gleevec get into the brain for ph+ all?"},
         {"role": "assistant", "content": "Imatinib does not penetrate the blood-brain barrier well; dasatinib "
                                          "(Sprycel) does."}]
    r = resolve("how much stronger is it supposed to be than the gleevec?", h)
    assert r.how == "topic" and "dasatinib" in r.carried.lower() and "gleevec" not in r.carried.lower()
    # the treatment itself, asked about directly, is a new topic as before
    assert resolve("is gleevec given by mouth?", h).how == ""
    # a contrast with a treatment the conversation never named carries nothing
    assert resolve("is it better than ponatinib?", h).how == ""


def test_a_long_standalone_question_carries_nothing():
    q = "What is the overall survival of adults after a first relapse of acute lymphoblastic leukemia?"
    assert resolve(q, H_BLINA).how == ""


def test_a_follow_up_naming_a_kind_of_treatment_the_conversation_discussed_stays_on_its_subject():
    h = [{"role": "user", "content": "how do they treat a child whose leukemia came back only in the brain"},
         {"role": "assistant", "content": "Recent studies use prolonged systemic chemotherapy and intrathecal "
                                          "chemotherapy [1]."}]
    r = resolve("how long is the chemo part", h)
    assert r.how == "ellipsis" and "brain" in r.text
    # a pointer back keeps the subject even for a kind of treatment not named before
    r = resolve("how likely is it she actually ends up getting the transplant", h)
    assert r.how == "ellipsis" and "brain" in r.text
    # a drug the conversation never named is a new topic, pointer or not
    assert resolve("is it the same with blinatumomab?", h).how == ""
    # "the chemo part" names a kind of treatment as one already in play, though the answer did not name it
    h2 = [h[0], {"role": "assistant", "content": "With modern intrathecal treatment, only 5-10% of children ... [1]"}]
    assert resolve("how long is the chemo part", h2).how == "ellipsis"
    assert resolve("what about the transplant?", H_BLINA).how == ""  # "what about the X?" asks about X instead


def test_a_definite_noun_the_conversation_used_makes_a_follow_up_however_long():
    h = [{"role": "user", "content": "inotuzumab dosing for r/r B-ALL?"},
         {"role": "assistant", "content": "1.8 mg/m2 per 21-day cycle, in three doses [1]."}]
    r = resolve("can the cycle be stretched out if the blood counts are slow to recover afterwards", h)
    assert r.how == "topic" and "inotuzumab" in r.carried
    # a definite noun the conversation never used is a new question
    assert resolve("how often do children with a relapse confined to the testes survive five years after the "
                   "second remission", h).how == ""


def test_a_pronoun_for_the_patient_without_its_apostrophe_is_a_pointer_back():
    r = resolve("is hes going to need a transplant after the treatment finishes or not at all", H_BLINA)
    assert r.how == "topic" and "blinatumomab" in r.carried


def test_a_filler_word_does_not_hide_an_elliptical_start():
    h = [{"role": "user", "content": "What is the clofarabine dose for children?"}]
    assert resolve("ok and for adults?", h).how == "ellipsis"


def test_a_follow_up_carries_the_previous_question_s_rare_nouns_beside_its_treatments():
    h = [{"role": "user", "content": "CIBMTR pretransplant score for non-CR allo in ALL - criteria?"},
         {"role": "assistant", "content": "Four criteria, maximum 6 points [1]."}]
    rare = {"pretransplant", "criteria"}.__contains__
    r = resolve("and what 3 yr OS goes with each score", h, rare=rare)
    assert r.how == "topic" and "allo" in r.carried and "pretransplant" in r.carried and "criteria" in r.carried
    # without a measure of rarity only the treatments are carried
    assert resolve("and what 3 yr OS goes with each score", h).carried == "allo"


def _model(threshold: float = 0.5) -> Model:
    n = len(FEATURES)
    w = tuple(1.0 if f == "best_score" else 0.0 for f in FEATURES)
    return Model(w, 0.0, (0.5,) * n, (0.1,) * n, threshold, topic_floor=0.5)


def _ev(score: float, cosine: float = 0.7, **kw: object) -> Evidence:
    values = {f: 0.0 for f in FEATURES} | {"best_score": score, "best_cosine": cosine}
    return Evidence(values, **kw)  # type: ignore[arg-type]


def test_decision_answers_above_the_threshold_and_says_partial_below_it_when_on_topic():
    assert decide(_ev(0.9), _model()).status == "answer"
    assert decide(_ev(0.1), _model()).status == "partial"
    assert decide(_ev(0.1, cosine=0.2), _model()).status == "abstain"


def test_a_missing_dose_of_a_drug_the_statements_are_about_is_partial_however_far_the_cosine():
    ev = _ev(0.9, cosine=0.3, missing="dose", reasons=("no dose of ponatinib in the sources",))
    ev.values["drug_named"] = 1.0
    assert decide(ev, _model()).status == "partial"
    # about one's own medicine: no statement shown unless as close as the floor
    assert decide(replace(ev, personal=True), _model()).status == "abstain"
    ev.values["drug_gap"] = 1.0  # no statement about the drug: nothing about it to show
    assert decide(ev, _model()).status == "abstain"


def test_hard_reasons_abstain_whatever_the_score():
    d = decide(_ev(0.99, hard="no drug named obecabtagene in the sources"), _model())
    assert d.status == "abstain" and "obecabtagene" in d.reasons[0]


def test_a_missing_value_is_partial_with_what_is_missing():
    d = decide(_ev(0.99, missing="dose", reasons=("no dose of blinatumomab",)), _model())
    assert d.status == "partial" and d.missing == "dose"
    assert phrases.partial(d.missing) == phrases.PARTIAL["dose"]
    assert phrases.partial("percent") == phrases.PARTIAL["figure"]


def test_packaged_models_load_and_name_their_features():
    for kind in ("minilm", "hash"):
        m = load_model(kind)
        assert m.features == FEATURES and 0 < m.threshold < 1 and m.meta["items"] > 100


@pytest.mark.parametrize("q", ["Can I stop my dasatinib because of the side effects?",
                               "can we skip the next blina bag this week", "should he switch his TKI to ponatinib"])
def test_stop_skip_change_questions_are_flagged(q):
    from assistant.questions import intent

    assert intent(q).stop_change


def test_general_questions_are_not_stop_change():
    from assistant.questions import intent

    assert not intent("What dose of clofarabine is used in children?").stop_change


def test_stop_question_gets_the_fixed_phrase_first(fake_assistant):
    ans = fake_assistant.ask("Can I stop my dasatinib because of the side effects?").to_dict()
    texts = [n["text"] for n in ans["notices"]]
    assert texts[0] == phrases.SAFETY_STOP and phrases.SAFETY_PERSONAL in texts


def test_function_words_are_the_tagger_s_not_a_list():
    from assistant.grammar import function_words

    words = function_words("blina maintenance after CR - does that actually improve survival vs just stopping")
    assert {"actually", "just"} <= words
    assert not {"maintenance", "survival", "blina"} & words
    # an acronym or a word with a digit is content whatever its tag ("ALL", "T315I")
    assert not {"all", "t315i"} & function_words("if he has that T315I one, does ALL still respond")
    assert function_words("") == frozenset()
