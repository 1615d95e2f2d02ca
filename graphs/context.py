"""Everything a user may tune for one run, shown in LangGraph Studio's configuration panel.

Defaults live here, with environment-variable fallbacks applied in `__post_init__` (a value
passed explicitly always wins). `store`, `embedding_model` and the tool settings are read when a
graph's resources are opened (CLI, `make_graph`, `open_resources`); the rest applies per run.
"""

from __future__ import annotations

import os
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Literal

Mode = Literal["train", "eval"]
RetrievalMode = Literal["similarity", "kernel", "parametric"]
Scorer = Literal["auto", "exact", "numeric", "f1", "llm"]

_ENV_FALLBACKS = {
    "planner_model": ("MEMENTO_PLANNER_MODEL", "MEMENTO_MODEL"),
    "executor_model": ("MEMENTO_EXECUTOR_MODEL", "MEMENTO_MODEL"),
    "judge_model": ("MEMENTO_JUDGE_MODEL", "MEMENTO_MODEL"),
    "base_url": ("MEMENTO_BASE_URL", "OPENAI_BASE_URL"),
    "store": ("MEMENTO_STORE",),
    "namespace": ("MEMENTO_NAMESPACE",),
    "embedding_model": ("MEMENTO_EMBEDDING_MODEL",),
}


def default_store() -> str:
    """The embedded bank's folder under the user's data directory (XDG on Linux)."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(data_home) / "memento" / "bank")


def _describe(text: str) -> dict[str, str]:
    return {"description": text}


@dataclass(kw_only=True)
class MementoContext:
    """Run configuration for the Memento graph (its `context_schema`)."""

    planner_model: str = field(
        default="gpt-4.1", metadata=_describe("Chat model that plans and gives the final answer.")
    )
    executor_model: str = field(
        default="gpt-4.1", metadata=_describe("Chat model that runs each plan step with tools.")
    )
    judge_model: str = field(
        default="gpt-4.1",
        metadata=_describe("Chat model that judges answers (scorer 'llm', or no ground truth)."),
    )
    base_url: str | None = field(
        default=None,
        metadata=_describe("OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 (vLLM)."),
    )
    api_key_env: str = field(
        default="OPENAI_API_KEY",
        metadata=_describe("Name of the environment variable holding the API key."),
    )
    temperature: float = field(default=0.0, metadata=_describe("Sampling temperature."))
    embedding_model: str | None = field(
        default=None,
        metadata=_describe(
            "Embeddings model at base_url; empty means the embedded offline embedder."
        ),
    )
    top_k: int = field(default=4, metadata=_describe("K: cases shown to the planner (paper: 4)."))
    num_candidates: int = field(
        default=32, metadata=_describe("N: candidate cases found by vector search and scored.")
    )
    alpha: float = field(
        default=0.05, metadata=_describe("Soft-policy temperature: mu = softmax(Q / alpha).")
    )
    tau: float = field(default=0.3, metadata=_describe("Kernel width: k = exp((cos - 1) / tau)."))
    lam: float = field(
        default=0.01, metadata=_describe("Kernel prior weight lambda (on the kernel's scale).")
    )
    q0: float = field(default=0.5, metadata=_describe("Prior Q of a case with no visits."))
    gamma: float = field(
        default=0.0, metadata=_describe("Discount across replanning cycles (0 = single step).")
    )
    visits_per_case: int = field(
        default=32, metadata=_describe("Visits read per candidate when scoring Q (bounds cost).")
    )
    retrieval: RetrievalMode = field(
        default="kernel", metadata=_describe("How Q is estimated: similarity, kernel, parametric.")
    )
    mode: Mode = field(
        default="train",
        metadata=_describe("train: sample cases and learn; eval: top-K by Q, nothing written."),
    )
    exclude_same_question: bool = field(
        default=False, metadata=_describe("Never retrieve a case for the task's own question.")
    )
    max_cycles: int = field(
        default=3, metadata=_describe("Plan-execute cycles before a final answer is forced.")
    )
    max_tool_calls_per_step: int = field(
        default=4, metadata=_describe("Tool calls the executor may make for one plan step.")
    )
    llm_timeout_s: float = field(default=120.0, metadata=_describe("Timeout of one LLM call."))
    llm_max_retries: int = field(
        default=2, metadata=_describe("Retries (with backoff) of a failed LLM call.")
    )
    tool_timeout_s: float = field(default=60.0, metadata=_describe("Timeout of one tool call."))
    max_result_chars: int = field(
        default=4000, metadata=_describe("Tool results and step outputs are cut to this length.")
    )
    scorer: Scorer = field(
        default="auto",
        metadata=_describe("Reward against a ground truth: auto, exact, numeric, f1 or llm."),
    )
    store: str = field(
        default_factory=default_store,
        metadata=_describe("Case bank: ':memory:', a folder (embedded Qdrant) or a server URL."),
    )
    namespace: str = field(
        default="default", metadata=_describe("Tenant / agent whose cases are read and written.")
    )
    seed: int | None = field(
        default=None, metadata=_describe("Seed of the case sampling (train mode).")
    )

    def __post_init__(self) -> None:
        for name, env_names in _ENV_FALLBACKS.items():
            if getattr(self, name) != _default_of(name):
                continue
            for env_name in env_names:
                if os.environ.get(env_name):
                    setattr(self, name, os.environ[env_name])
                    break
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the first field whose value cannot work."""
        positive = ("top_k", "num_candidates", "max_cycles", "visits_per_case", "max_result_chars")
        for name in positive:
            if (value := getattr(self, name)) < 1:
                raise ValueError(f"context field {name!r} must be at least 1, got {value}")
        for name in ("alpha", "tau", "llm_timeout_s", "tool_timeout_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"context field {name!r} must be > 0, got {getattr(self, name)}")
        if self.lam < 0 or not 0.0 <= self.gamma < 1.0:
            raise ValueError("context fields 'lam' must be >= 0 and 'gamma' in [0, 1)")
        if self.top_k > self.num_candidates:
            raise ValueError(
                f"context field 'top_k' ({self.top_k}) exceeds 'num_candidates' "
                f"({self.num_candidates})"
            )
        _check_choice("mode", self.mode, ("train", "eval"))
        _check_choice("retrieval", self.retrieval, ("similarity", "kernel", "parametric"))
        _check_choice("scorer", self.scorer, ("auto", "exact", "numeric", "f1", "llm"))

    @classmethod
    def field_names(cls) -> set[str]:
        return {f.name for f in fields(cls)}


def _default_of(name: str) -> object:
    spec = MementoContext.__dataclass_fields__[name]
    if spec.default_factory is not MISSING:  # e.g. `store`, whose default is computed
        return spec.default_factory()
    return spec.default


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        choices = ", ".join(allowed)
        raise ValueError(f"context field {name!r} must be one of {choices}; got {value!r}")
