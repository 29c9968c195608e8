from pathlib import Path

from assistant.corpus import clean, find_markers, load_corpus, load_manifest, strip_markers

ROOT = Path(__file__).resolve().parent.parent
DOCS = {d.id: d for d in load_corpus(ROOT / "corpus")}
ENTRIES = {e["id"]: e for e in load_manifest(ROOT / "corpus")}


def test_manifest_lists_the_five_documents_with_metadata():
    assert sorted(DOCS) == ["000", "001", "002", "003", "004"]
    assert DOCS["004"].audience_age == "adults" and DOCS["004"].audience_role == "clinicians"
    assert DOCS["003"].audience_age == "children" and DOCS["002"].date == "2021-07-02"


def test_cleaning_drops_boilerplate_and_keeps_content():
    for doc_id, needles in {
        "000": ["texas oncology more breakthroughs", "Request an Appointment", "Patient Story", "READ NOW"],
        "001": ["You are here:", "Steve Manske", "Learn more"],
        "002": ["Did this answer your question?", "Thank you for your feedback!", "Author: Karen Seiter"],
        "003": ["Skip to main content", "Related Links"],
        "004": ["Your activity: 8 p.v.", "Navarro JL", "Topic 4518 Version 54.0", "patient education articles",
                "UpToDate offers two types", "Links to society and government-sponsored guidelines"],
    }.items():
        text = clean(DOCS[doc_id].raw, ENTRIES[doc_id]).text
        for needle in needles:
            assert needle not in text, (doc_id, needle)
    assert "52 mg/m2/day" in clean(DOCS["002"].raw, ENTRIES["002"]).text
    assert "2400 cGy" in clean(DOCS["004"].raw, ENTRIES["004"]).text
    assert "Often there is no better therapy to offer a patient" in clean(DOCS["004"].raw, ENTRIES["004"]).text


def test_every_cleaned_character_maps_back_to_the_raw_file():
    for doc_id, doc in DOCS.items():
        ct = clean(doc.raw, ENTRIES[doc_id])
        for clean_start, raw_start, length in ct.segments:
            assert ct.text[clean_start:clean_start + length] == doc.raw[raw_start:raw_start + length]
        for i in range(0, len(ct.text), 37):
            if ct.text[i] != "\n":
                assert doc.raw[ct.raw_offset(i)] == ct.text[i]


def test_reference_lists_are_parsed_apart_from_the_body():
    assert len(DOCS["004"].references) == 78 and len(DOCS["000"].references) == 18
    ref7 = next(r for r in DOCS["004"].references if r.n == 7)
    assert ref7.text.startswith("Kantarjian H, Stein A") and DOCS["004"].raw[ref7.start:ref7.end] == ref7.text
    assert next(r for r in DOCS["000"].references if r.n == 1).text.startswith("Raetz EA")
    assert DOCS["001"].references == () and DOCS["002"].references == ()


def test_in_text_markers_are_found_and_linked():
    raw = "Rate was 81% in first marrow relapse.1 This study [7] and [59-63]; hazard ratio [HR] 0.7. Done. 2"
    lines = [type("L", (), {"start": 0, "end": len(raw), "text": raw})()]
    markers = find_markers(raw, lines)  # type: ignore[arg-type]
    assert [m.numbers for m in markers] == [(1,), (7,), tuple(range(59, 64)), (2,)]
    assert strip_markers(raw, 0, len(raw), markers) == ("Rate was 81% in first marrow relapse. This study and; "
                                                         "hazard ratio [HR] 0.7. Done.")
    d4 = DOCS["004"]
    assert any(m.numbers == (7,) for m in d4.markers)
    assert any(m.numbers == (1,) for m in DOCS["000"].markers)
