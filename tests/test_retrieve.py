from assistant.retrieve import as_langchain_retriever, expand_query, rrf, tokenize


def test_rrf_rewards_agreement():
    fused = rrf([["a", "b", "c"], ["b", "c", "d"]], k=60)
    assert [i for i, _ in fused][:2] == ["b", "c"]
    assert fused[0][1] == 1 / 62 + 1 / 61


def test_rrf_of_one_list_keeps_its_order_and_empty_is_empty():
    assert [i for i, _ in rrf([["x", "y", "z"]])] == ["x", "y", "z"]
    assert rrf([[], []]) == []


def test_rrf_weights_scale_each_list():
    fused = dict(rrf([["a"], ["b"]], k=60, weights=[1.0, 0.5]))
    assert fused["a"] == 1 / 61 and fused["b"] == 0.5 / 61


def test_tied_scores_share_one_rank_in_the_fusion():
    from assistant.retrieve import tied_ranks

    assert tied_ranks([("a", 2.0), ("b", 1.0), ("c", 1.0)]) == {"a": 0, "b": 1.5, "c": 1.5}
    fused = dict(rrf([["x", "y"], {"x": 0.5, "y": 0.5}]))
    assert fused["x"] > fused["y"]  # the tied ranking leaves the order to the other one


def test_concept_ranking_puts_the_rare_shared_term_first():
    from assistant.concepts import concept_ranking, concept_sets, terms_of

    chunks = concept_sets([
        "Relapsed or refractory ALL: relapsed disease and refractory disease, relapsed again.",
        "Pretreatment evaluation -- once relapsed disease is identified, further evaluation should include:",
        "Relapsed or refractory disease is treated with salvage chemotherapy.",
        "Blinatumomab is given by continuous infusion.",
    ])
    q = terms_of("new r/r pt coming in, what's the workup list")  # "workup" through the bridge
    ranked = concept_ranking(q, chunks, 10)
    assert ranked[0][0] == 1  # the rare term the question is about leads, however often the others repeat
    assert 3 not in [i for i, _ in ranked]  # a chunk sharing no term is left out
    assert concept_ranking(frozenset(), chunks, 10) == []


def test_tokenize_keeps_units_and_hyphen_parts():
    toks = tokenize("The dose is 52 mg/m²/day for Ph-positive ALL")
    assert "mg/m2/day" in toks and "ph-positive" in toks and "positive" in toks and "the" not in toks


def test_query_expansion_adds_brand_generic_and_abbreviations():
    q = expand_query("Blincyto after HCT for Ph+ ALL?")
    assert "blinatumomab" in q and "stem cell transplant" in q and "Philadelphia chromosome positive" in q
    assert "inotuzumab ozogamicin" in expand_query("What is Besponsa?")
    assert "imatinib" in expand_query("gleevec")
    dense = expand_query("Kymriah age limit", dense=True)
    assert "tisagenlecleucel" in dense


def test_hybrid_retrieval_and_langchain_interface(fake_assistant):
    r = fake_assistant.retriever.retrieve("clofarabine dose in pediatric patients")
    assert len(r.passages) == fake_assistant.settings.retrieval.top_k
    assert any("52 mg/m2/day" in p.chunk.text for p in r.passages)
    lc = as_langchain_retriever(fake_assistant.retriever, k=3)
    docs = lc.invoke("inotuzumab ozogamicin CR rate")
    assert len(docs) == 3 and all({"chunk_id", "doc_id", "start", "end"} <= d.metadata.keys() for d in docs)


def test_strategies_differ(fake_assistant):
    dense = fake_assistant.retriever.retrieve("Sprycel CNS", strategy="dense").passages
    bm25 = fake_assistant.retriever.retrieve("Sprycel CNS", strategy="bm25").passages
    assert all(p.bm25_rank is None for p in dense) and all(p.dense_rank is None for p in bm25)


def test_sentence_ranking_maps_the_closest_sentences_to_their_chunks(fake_assistant):
    """``retrieval.sentence_rank`` (off by default) fuses a third list: chunks by their best sentence."""
    store, retriever = fake_assistant.store, fake_assistant.retriever
    vec = retriever.embedder.embed(["clofarabine dose in pediatric patients"])[0]
    ids = store.by_sentence(vec, 5)
    assert len(ids) == 5 == len(set(ids)) and all(i in store.chunks for i in ids)
    best_unit = max(store.unit_rows, key=lambda u: float(store.unit_vector(u) @ vec))
    assert ids[0] == store.chunk_of(best_unit).id
    assert not fake_assistant.settings.retrieval.sentence_rank
    on = fake_assistant.settings.model_copy(deep=True)
    on.retrieval.sentence_rank = True
    from assistant.retrieve import Retriever

    r = Retriever(store, retriever.embedder, on).retrieve("clofarabine dose in pediatric patients")
    assert "sentences" in r.timings_ms and len(r.passages) == on.retrieval.top_k


def test_the_audience_ranking_puts_the_documents_about_the_group_asked_first(fake_assistant):
    """``retrieval.audience_weight`` (0.25, fitted leave-one-set-out): a question about a child lifts the chunks
    of the documents written about children; one about no group, or about both, fuses nothing."""
    from assistant.context import audience_ranking

    store, retriever = fake_assistant.store, fake_assistant.retriever
    ranks = audience_ranking(store, "my 7 year old relapsed two years after treatment, what are his chances")
    assert ranks and {store.docs[store.chunks[c].doc_id].audience_age for c in ranks} == {"children"}
    assert len(set(ranks.values())) == 1  # all tied
    adults = audience_ranking(store, "my husband is 45 and his ALL came back")
    assert adults and {store.docs[store.chunks[c].doc_id].audience_age for c in adults} == {"adults"}
    assert audience_ranking(store, "what is blinatumomab") == {}
    assert audience_ranking(store, "does blinatumomab work in children and adults") == {}
    q = "my 7 year old relapsed two years after treatment, what are his chances"
    on = retriever.retrieve(q).passages
    off_settings = fake_assistant.settings.model_copy(deep=True)
    off_settings.retrieval.audience_weight = 0.0
    from assistant.retrieve import Retriever

    off = Retriever(store, retriever.embedder, off_settings).retrieve(q).passages
    children = lambda ps: sum(store.docs[p.chunk.doc_id].audience_age == "children" for p in ps)  # noqa: E731
    assert fake_assistant.settings.retrieval.audience_weight == 0.25 and children(on) >= children(off)
