"""A plain LangChain baseline: RecursiveCharacterTextSplitter chunks, Chroma similarity top 4, same embedder."""

from __future__ import annotations

from typing import Any

from assistant.corpus import clean, load_manifest


class _LCEmbeddings:
    """LangChain's Embeddings interface over the assistant's embedder (same model for a fair comparison)."""

    def __init__(self, embedder: Any) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed([text])[0].tolist()


class LangChainBaseline:
    def __init__(self, assistant: Any, k: int = 4) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma
        from langchain_core.documents import Document
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        s = assistant.settings
        entries = {e["id"]: e for e in load_manifest(s.corpus.dir, s.corpus.manifest)}
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=100, add_start_index=True)
        docs = []
        for doc in assistant.store.docs.values():
            text = clean(doc.raw, entries[doc.id]).text
            docs += splitter.split_documents([Document(page_content=text, metadata={"doc_id": doc.id})])
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        self.db = Chroma(collection_name="baseline",
                         embedding_function=_LCEmbeddings(assistant.embedder),  # type: ignore[arg-type]
                         client=client)
        self.db.add_documents(docs)
        self.k = k
        self.n_chunks = len(docs)

    def retrieve(self, query: str) -> list[str]:
        return [d.page_content for d in self.db.similarity_search(query, k=self.k)]
