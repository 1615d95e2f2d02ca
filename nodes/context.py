"""Everything a user may tune for one run, shown in LangGraph Studio's configuration panel.

Defaults live here. A few fields fall back to environment variables (named in their
description) when they are not given: a value passed explicitly always wins, even one equal to
the default. Every value is checked when a context is made (in code, from a config file, or
from a run's context in Studio or the API): a wrong type, an unknown field or a value that
cannot work raises `ContextError` naming the field. `store`, `embedding_model` and the tool
settings are read when a graph's resources are opened (CLI, `make_graph`, `open_resources`);
the rest applies per run.
"""

from __future__ import annotations

import os
import typing
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from memory.bank.redaction import mark_secret_variable
from nodes.context_checks import (
    COUNTS,
    POSITIVE_NUMBERS,
    ContextError,
    check_namespaces,
    check_range,
    check_type,
    check_url,
)

Mode = Literal["train", "eval"]
RetrievalMode = Literal["similarity", "kernel", "parametric"]
CreditMode = Literal["shared", "contrastive"]
Scorer = Literal["auto", "exact", "numeric", "f1", "llm"]


def default_store() -> str:
    """The embedded bank's folder under the user's data directory (XDG on Linux)."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(data_home) / "memento" / "bank")


def _from_env(default: str | None, *env_names: str) -> Callable[[], str | None]:
    """A default factory: the first of these variables that is set, else `default`."""

    def factory() -> str | None:
        return next((os.environ[n] for n in env_names if os.environ.get(n)), default)

    return factory


def _describe(text: str) -> dict[str, str]:
    return {"description": text}


@dataclass(kw_only=True)
class MementoContext:
    """Run configuration for the Memento graph (its `context_schema`)."""

    planner_model: str = field(
        default_factory=_from_env("gpt-4.1", "MEMENTO_PLANNER_MODEL", "MEMENTO_MODEL"),
        metadata=_describe(
            "Chat model that plans and gives the final answer (default gpt-4.1; "
            "$MEMENTO_PLANNER_MODEL or $MEMENTO_MODEL when not given)."
        ),
    )
    executor_model: str = field(
        default_factory=_from_env("gpt-4.1", "MEMENTO_EXECUTOR_MODEL", "MEMENTO_MODEL"),
        metadata=_describe(
            "Chat model that runs each plan step with tools (default gpt-4.1; "
            "$MEMENTO_EXECUTOR_MODEL or $MEMENTO_MODEL when not given)."
        ),
    )
    judge_model: str = field(
        default_factory=_from_env("gpt-4.1", "MEMENTO_JUDGE_MODEL", "MEMENTO_MODEL"),
        metadata=_describe(
            "Chat model that judges answers (scorer 'llm', or no ground truth; default "
            "gpt-4.1; $MEMENTO_JUDGE_MODEL or $MEMENTO_MODEL when not given)."
        ),
    )
    base_url: str | None = field(
        default_factory=_from_env(None, "MEMENTO_BASE_URL", "OPENAI_BASE_URL"),
        metadata=_describe(
            "OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 (vLLM); "
            "$MEMENTO_BASE_URL or $OPENAI_BASE_URL when not given, else OpenAI."
        ),
    )
    api_key_env: str = field(
        default="OPENAI_API_KEY",
        metadata=_describe("Name of the environment variable holding the API key."),
    )
    temperature: float = field(default=0.0, metadata=_describe("Sampling temperature."))
    max_tokens: int | None = field(
        default=None,
        metadata=_describe("Most tokens one model reply may have (empty: the endpoint's limit)."),
    )
    embedding_model: str | None = field(
        default_factory=_from_env(None, "MEMENTO_EMBEDDING_MODEL"),
        metadata=_describe(
            "Embeddings model at base_url; empty means the embedded offline embedder "
            "($MEMENTO_EMBEDDING_MODEL when not given)."
        ),
    )
    top_k: int = field(default=4, metadata=_describe("K: cases shown to the planner (paper: 4)."))
    num_candidates: int = field(
        default=32, metadata=_describe("N: candidate cases found by vector search and scored.")
    )
    alpha: float = field(
        default=0.1,
        metadata=_describe(
            "Soft-policy temperature: mu = softmax(Q / alpha) (0.1: measured best, "
            "benchmarks/README.md)."
        ),
    )
    tau: float = field(default=0.3, metadata=_describe("Kernel width: k = exp((cos - 1) / tau)."))
    lam: float = field(
        default=0.01,
        metadata=_describe("Kernel prior weight lambda (on the kernel's scale; must be > 0)."),
    )
    q0: float = field(default=0.5, metadata=_describe("Prior Q of a case with no visits."))
    gamma: float = field(
        default=0.0, metadata=_describe("Discount across replanning cycles (0 = single step).")
    )
    visits_per_case: int = field(
        default=32, metadata=_describe("Visits read per candidate when scoring Q (bounds cost).")
    )
    credit: CreditMode = field(
        default="contrastive",
        metadata=_describe(
            "Kernel credit: contrastive (each case is scored against the reward earned without "
            "it; writes N-K more visits; single-step only) or shared (paper: read cases share "
            "the reward; needed for gamma > 0)."
        ),
    )
    min_similarity: float = field(
        default=0.3,
        metadata=_describe(
            "Similarity floor: a case less similar than this to the task is never shown "
            "(cosine; unrelated texts score ~0-0.2 with the embedded MiniLM)."
        ),
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
    max_task_chars: int = field(
        default=20_000, metadata=_describe("Longest task text accepted, in characters.")
    )
    max_cycles: int = field(
        default=3, metadata=_describe("Plan-execute cycles before a final answer is forced.")
    )
    max_tool_calls_per_step: int = field(
        default=4, metadata=_describe("Tool calls the executor may make for one plan step.")
    )
    llm_timeout_s: float = field(
        default=120.0, metadata=_describe("Timeout of one LLM or embeddings call.")
    )
    llm_max_retries: int = field(
        default=2, metadata=_describe("Retries (with backoff) of a failed LLM call.")
    )
    tool_timeout_s: float = field(default=60.0, metadata=_describe("Timeout of one tool call."))
    tool_startup_timeout_s: float = field(
        default=60.0,
        metadata=_describe(
            "Longest wait for an MCP server to start, answer its handshake and list its tools."
        ),
    )
    step_timeout_s: float = field(
        default=300.0,
        metadata=_describe(
            "Wall-clock limit of one plan step (its model and tool calls together); a step "
            "that runs out reports so to the planner."
        ),
    )
    max_result_chars: int = field(
        default=4000, metadata=_describe("Tool results and step outputs are cut to this length.")
    )
    scorer: Scorer = field(
        default="auto",
        metadata=_describe("Reward against a ground truth: auto, exact, numeric, f1 or llm."),
    )
    store: str = field(
        default_factory=lambda: os.environ.get("MEMENTO_STORE") or default_store(),
        metadata=_describe(
            "Case bank: ':memory:', a folder (embedded Qdrant) or a server URL "
            "($MEMENTO_STORE when not given, else ~/.local/share/memento/bank)."
        ),
    )
    namespace: str = field(
        default_factory=_from_env("default", "MEMENTO_NAMESPACE"),
        metadata=_describe(
            "Tenant / agent whose cases are read and written: 1-128 letters, digits and "
            "_ . @ : - (default 'default'; $MEMENTO_NAMESPACE when not given)."
        ),
    )
    namespace_template: str | None = field(
        default_factory=_from_env(None, "MEMENTO_NAMESPACE_TEMPLATE"),
        metadata=_describe(
            "Per-run namespace in place of 'namespace', e.g. 'memento:{user_id}' (the "
            "LangGraph store namespace ('memento', <user_id>); ':' separates its labels). Each "
            "{name} is filled from this context (user_id) or the run's config['configurable'], "
            "with letters, digits and _ @ - only; a missing value fails the run "
            "($MEMENTO_NAMESPACE_TEMPLATE when not given)."
        ),
    )
    user_id: str | None = field(
        default=None,
        metadata=_describe(
            "Whose memory the run reads and writes: fills {user_id} in namespace_template "
            "(letters, digits and _ @ -)."
        ),
    )
    max_cases: int | None = field(
        default=None,
        metadata=_describe(
            "Size budget: most cases a namespace keeps; when a write passes it, the least "
            "recently used cases go until 90% remain (empty: no budget)."
        ),
    )
    seed: int | None = field(
        default=None, metadata=_describe("Seed of the case sampling (train mode).")
    )

    def __post_init__(self) -> None:
        self.validate()
        mark_secret_variable(self.api_key_env)  # the key we send is a secret, whatever its name

    def validate(self) -> None:
        """Raise ContextError naming the first field whose value cannot work."""
        hints = typing.get_type_hints(MementoContext)
        for spec in fields(self):
            check_type(spec.name, getattr(self, spec.name), hints[spec.name])
        for name in COUNTS:
            check_range(name, getattr(self, name), low=1)
        for name in POSITIVE_NUMBERS:
            check_range(name, getattr(self, name), above=0)
        check_range("q0", self.q0, low=0, high=1)
        check_range("min_similarity", self.min_similarity, low=-1, high=1)
        check_range("gamma", self.gamma, low=0, below=1)
        check_range("temperature", self.temperature, low=0)
        check_range("llm_max_retries", self.llm_max_retries, low=0)
        check_url("base_url", self.base_url)
        if self.max_tokens is not None:
            check_range("max_tokens", self.max_tokens, low=1)
        if self.seed is not None:
            check_range("seed", self.seed, low=0)
        if self.max_cases is not None:
            check_range("max_cases", self.max_cases, low=1)
        check_namespaces(self.namespace, self.namespace_template, self.user_id)
        if self.top_k > self.num_candidates:
            raise ContextError(
                f"context field 'top_k' ({self.top_k}) exceeds 'num_candidates' "
                f"({self.num_candidates})"
            )
        if self.credit == "contrastive" and self.gamma > 0:
            raise ContextError(
                "context field 'credit' = 'contrastive' needs gamma 0 (contrastive Q is a "
                "difference, not a value to bootstrap from): set credit to 'shared' for gamma > 0"
            )

    @classmethod
    def field_names(cls) -> set[str]:
        return {f.name for f in fields(cls)}

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> MementoContext:
        """A context from a mapping (a config file, a run's context); unknown keys are refused."""
        unknown = set(values) - cls.field_names()
        if unknown:
            names = ", ".join(map(repr, sorted(unknown)))
            known = ", ".join(sorted(cls.field_names()))
            raise ContextError(f"unknown context field {names}; the fields are: {known}")
        return cls(**values)
