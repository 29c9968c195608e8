from pathlib import Path

from assistant.chunking import chunk_units, document_units, split_sentences
from assistant.corpus import load_corpus, load_manifest, strip_markers

ROOT = Path(__file__).resolve().parent.parent
DOCS = {d.id: d for d in load_corpus(ROOT / "corpus")}
ENTRIES = {e["id"]: e for e in load_manifest(ROOT / "corpus")}


def units(doc_id):
    return document_units(DOCS[doc_id], ENTRIES[doc_id])


def test_sentence_splitter_respects_abbreviations_and_markers():
    text = ("Options include immunotherapy (eg, blinatumomab). Kantarjian et al. reported it vs. chemo, e.g. here. "
            "It was 5.2 mo. [31]  Prognostic factors differ. First relapse.1 This study ended.")
    got = [text[s:e] for s, e in split_sentences(text)]
    assert got == ["Options include immunotherapy (eg, blinatumomab).",
                   "Kantarjian et al. reported it vs. chemo, e.g. here.", "It was 5.2 mo. [31]",
                   "Prognostic factors differ.", "First relapse.1", "This study ended."]


def test_units_quote_the_raw_file_exactly():
    for doc_id, doc in DOCS.items():
        for u in units(doc_id):
            raw = doc.raw[u.start:u.end]
            assert raw and raw.strip() == raw
            if not u.refs:
                assert raw.replace("  ", " ") == u.text
            else:
                assert strip_markers(doc.raw, u.start, u.end, doc.markers) == u.text and len(raw) > len(u.text)


def test_sections_follow_the_pages_headings():
    sections4 = {u.section for u in units("004")}
    assert "REMISSION INDUCTION > Salvage (rescue) therapy > Blinatumomab" in sections4
    assert "TRANSPLANTATION" in sections4 and "PROGNOSIS" in sections4
    assert "Treatment of Patients Failing Induction" in {u.section for u in units("000")}
    assert "Treatment of Subsets of Childhood-ALL > Testicular Relapse" in {u.section for u in units("000")}
    assert {"Ph-Negative ALL", "Ph-Positive ALL"} <= {u.section for u in units("003")}


def test_bullet_lists_keep_items_with_their_lead_in():
    us = units("001")
    lead = next(u for u in us if u.text.startswith("Drugs that may be used in combination"))
    items = [u for u in us if u.lead == lead.id]
    assert lead.kind == "lead" and len(items) == 10 and items[0].text == "vincristine (Oncovin)"


def test_cross_reference_noise_is_not_a_unit():
    assert not any(u.text.startswith("(See ") for u in units("004"))


def test_chunk_ids_are_stable_and_content_derived():
    a = [c.id for c in chunk_units(DOCS["004"], units("004"))]
    b = [c.id for c in chunk_units(DOCS["004"], units("004"))]
    assert a == b and len(set(a)) == len(a)


def test_chunks_stay_in_one_section_and_cover_their_units():
    for doc_id in DOCS:
        us = {u.id: u for u in units(doc_id)}
        for c in chunk_units(DOCS[doc_id], list(us.values())):
            assert all(us[i].section == c.section for i in c.unit_ids)
            assert c.start == us[c.unit_ids[0]].start and c.end == us[c.unit_ids[-1]].end
            assert len(c.text) < 1700
