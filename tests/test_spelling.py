"""Typo tolerance: forgiving for words, strict for drug names."""

from __future__ import annotations

import pytest

from assistant.spelling import correct, edit_distance, is_drug_like, unknown_drugs

VOCAB = {"leukemia", "brexucabtagene", "autoleucel", "blinatumomab", "inotuzumab", "remission", "nelarabine",
         "clofarabine"}
DRUGS = {"brexucabtagene", "autoleucel", "blinatumomab", "inotuzumab", "nelarabine", "clofarabine"}


@pytest.mark.parametrize(("a", "b", "d"), [("kitten", "sitting", 3), ("abc", "abc", 0), ("abc", "abd", 1),
                                          ("leukemai", "leukemia", 2), ("", "abc", 3), ("ab", "ba", 2)])
def test_edit_distance(a: str, b: str, d: int) -> None:
    assert edit_distance(a, b) == d


def test_edit_distance_is_capped() -> None:
    assert edit_distance("obecabtagene", "brexucabtagene", limit=3) == 3


def test_ordinary_typos_are_forgiven() -> None:
    assert correct("leukemai", VOCAB, DRUGS) == "leukemia"
    assert correct("remision", VOCAB, DRUGS) == "remission"


def test_drug_typos_within_two_edits_are_forgiven() -> None:
    assert correct("blinatumumab", VOCAB, DRUGS) == "blinatumomab"
    assert correct("inotuzamab", VOCAB, DRUGS) == "inotuzumab"


def test_another_drug_is_never_a_typo() -> None:
    # difflib rates these >= 0.84 similar, but they are different drugs.
    assert correct("obecabtagene", VOCAB, DRUGS) is None
    assert correct("cytarabine", VOCAB, DRUGS) is None  # not clofarabine, not nelarabine


def test_drug_like_words() -> None:
    assert is_drug_like("obecabtagene") and is_drug_like("ponatinib") and is_drug_like("Rituximab")
    assert not is_drug_like("remission") and not is_drug_like("mab")
    # the supportive care around leukemia drugs: antifungals, growth factors, antivirals, antiemetics
    assert all(is_drug_like(w) for w in ("posaconazole", "pegfilgrastim", "valacyclovir", "ondansetron"))
    assert not any(is_drug_like(w) for w in ("overview", "interview", "survival", "chemotherapy"))


def test_unknown_drugs() -> None:
    words = ["what", "did", "obecabtagene", "autoleucel", "blinatumumab", "ponatinib", "ponatinib"]
    assert unknown_drugs(words, VOCAB, DRUGS) == ["obecabtagene", "ponatinib"]


def test_speller_agrees_with_correct_on_the_corpus_vocabulary(fake_assistant) -> None:
    from assistant.spelling import Speller

    a = fake_assistant
    _ = a.store
    vocab, drug_words = a._terms.vocab, a._terms.speller.drug_words
    speller = Speller(vocab, drug_words)
    words = ["leukemai", "remision", "blinatumumab", "obecabtagene", "inotuzamab", "chemotherpy", "transplnt",
             "tisagenlecleucle", "xyzzyq", "relapsd", "cytarabin", "marow", "ponatinib"]
    for w in words:
        assert speller.correct(w) == correct(w, vocab, drug_words), w
    assert speller.unknown_drugs(["obecabtagene", "blinatumumab"]) == ["obecabtagene"]


def test_common_english_words_are_not_typos_of_corpus_words(fake_assistant) -> None:
    """'we normally give' must not become 'we orally give'; a real typo is still corrected."""
    from assistant.spelling import english_words

    assert {"normally", "getting", "there"} <= english_words()
    assert "orally" in fake_assistant._terms.vocab  # the corpus word "normally" used to be corrected to
    fixed = fake_assistant._spellfix("how much cranial rt do we normally give, getting there")
    assert "normally" in fixed and "orally" not in fixed and "getting there" in fixed
    assert "blinatumomab" in fake_assistant._spellfix("relapsed blinatumomob")
