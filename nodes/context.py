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
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from memory.bank.redaction import mark_secret_variable
from memory.policy import defaults
from nodes.context_checks import (
    COUNTS,
    NON_NEGATIVE,
    POSITIVE_NUMBERS,
    ContextError,
    check_namespaces,
    check_range,
    check_type,
    check_url,
)
from nodes.context_models import ModelSettings, described, from_env

Mode = Literal["train", "eval"]
RetrievalMode = Literal["similarity", "kernel", "parametric", "memrl", "ucb"]
CreditMode = Literal["shared", "contrastive", "followed"]
ExplorationMode = Literal["optimism", "sampling"]
Scorer = Literal["auto", "exact", "numeric", "f1", "llm"]


def default_store() -> str:
    """The embedded bank's folder under the user's data directory (XDG on Linux)."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(data_home) / "memento" / "bank")


@dataclass(kw_only=True)
class MementoContext(ModelSettings):
    """Run configuration for the Memento graph (its `context_schema`): the models
    (`ModelSettings`), then the policy, the loop's limits, the tools and the bank."""

    top_k: int = field(default=4, metadata=described("K: cases shown to the planner (paper: 4)."))
    num_candidates: int = field(
        default=32, metadata=described("N: candidate cases found by vector search and scored.")
    )
    memories_shown: int = field(
        default=3,
        metadata=described(
            "General memories (notes saved to the namespace through the store, e.g. LangMem's) "
            "shown to the planner beside the cases, chosen by the same policy from the N "
            "nearest and credited by the run's reward like cases (0: none shown)."
        ),
    )
    alpha: float = field(
        default=defaults.ALPHA,
        metadata=described(
            "Soft-policy temperature: mu = softmax((score + bonus) / alpha), what exploration "
            "'sampling' and parametric Q draw from and reports show (0.1: benchmarks/README.md)."
        ),
    )
    tau: float = field(
        default=defaults.TAU, metadata=described("Kernel width: k = exp((cos - 1) / tau).")
    )
    lam: float = field(
        default=defaults.LAM,
        metadata=described("Kernel prior weight lambda (on the kernel's scale; must be > 0)."),
    )
    q0: float = field(default=defaults.Q0, metadata=described("Prior Q of a case with no visits."))
    gamma: float = field(
        default=0.0, metadata=described("Discount across replanning cycles (0 = single step).")
    )
    visits_per_case: int = field(
        default=defaults.VISITS_PER_CASE,
        metadata=described("Visits read per candidate when scoring Q (bounds cost)."),
    )
    credit: CreditMode = field(
        default=defaults.CREDIT,
        metadata=described(
            "Kernel credit: followed (the default: the graph credits the task's reward only to "
            "the shown cases whose plan the run's plan followed, those of the plan nearest it "
            "where it followed none; the middleware and MCP server, which see no plan, credit as "
            "shared), shared (the paper's: every case read earns the task's reward, scored as "
            "the reward expected of reading it, its similarity the prior) or contrastive (each "
            "case against the reward earned without it; writes N-K more visits; single-step "
            "only; learns slower from a similarity prior: benchmarks/README.md)."
        ),
    )
    min_similarity: float = field(
        default=defaults.MIN_SIMILARITY,
        metadata=described(
            "Similarity floor: a case less similar than this to the task is never shown "
            "(cosine; 93% of unrelated questions score under 0.2 with the embedded MiniLM; an "
            "embedder that scores paraphrases lower needs a lower floor)."
        ),
    )
    retrieval: RetrievalMode = field(
        default="kernel",
        metadata=described(
            "How cases are scored: kernel (similarity moved by what each case's visits earned), "
            "parametric (a logistic Q model), similarity (plain CBR, nothing learned), or a peer "
            "rule for comparison: memrl (MemRL), ucb (a linear UCB bandit over cases)."
        ),
    )
    similarity_prior: bool = field(
        default=defaults.SIMILARITY_PRIOR,
        metadata=described(
            "Kernel: start every case from its similarity and move it by its visits' evidence "
            "(false: score by learned Q alone, the paper's rule, which ignores similarity on a "
            "cold start)."
        ),
    )
    prior_visits: float = field(
        default=defaults.PRIOR_VISITS,
        metadata=described(
            "Kernel evidence at which learned Q moves a case's score halfway (kappa: the weight "
            "is m / (m + kappa), m the kernel mass of its reads near the task)."
        ),
    )
    exploration: ExplorationMode = field(
        default=defaults.EXPLORATION,
        metadata=described(
            "Kernel: how train mode picks K cases: optimism reads the top K by score plus the "
            "optimism bonus; sampling draws them from mu = softmax((score + bonus) / alpha), the "
            "paper's soft policy (it learned less on the learning suite)."
        ),
    )
    optimism: float = field(
        default=defaults.OPTIMISM,
        metadata=described(
            "Kernel: a bonus, in cosine units, for what a case not yet tried near the task may "
            "hold (optimism x (1 - weight)); it fades with the case's evidence, so train mode "
            "tries cases that similarity ranks lower once the nearer ones keep failing (eval "
            "mode ranks without it)."
        ),
    )
    half_life: float = field(
        default=defaults.HALF_LIFE,
        metadata=described(
            "Kernel: a visit's weight halves for every this many newer visits of the same case, "
            "so credit that stopped being true fades as the case is used (0: never)."
        ),
    )
    change_after: int = field(
        default=defaults.CHANGE_AFTER,
        metadata=described(
            "Kernel: while a case's newest reads, this many or more in a row, all went "
            "against most of its older ones, those weigh half as much again per such read: a "
            "case that stopped working sinks in a few reads, and its history counts again "
            "once a read agrees with it (0: off)."
        ),
    )
    plan_change_after: int = field(
        default=defaults.PLAN_CHANGE_AFTER,
        metadata=described(
            "Kernel: where a plan's newest reads near the task, this many or more in a row, "
            "all failed (most older worked), its read cases start from its record since (0: off)."
        ),
    )
    mode: Mode = field(
        default="train",
        metadata=described("train: sample cases and learn; eval: top-K by Q, nothing written."),
    )
    exclude_same_question: bool = field(
        default=False, metadata=described("Never retrieve a case for the task's own question.")
    )
    max_task_chars: int = field(
        default=20_000, metadata=described("Longest task text accepted, in characters.")
    )
    max_cycles: int = field(
        default=3, metadata=described("Plan-execute cycles before a final answer is forced.")
    )
    max_tool_calls_per_step: int = field(
        default=4, metadata=described("Tool calls the executor may make for one plan step.")
    )
    tool_timeout_s: float = field(default=60.0, metadata=described("Timeout of one tool call."))
    tool_startup_timeout_s: float = field(
        default=60.0,
        metadata=described(
            "Longest wait for an MCP server to start, answer its handshake and list its tools."
        ),
    )
    step_timeout_s: float = field(
        default=300.0,
        metadata=described(
            "Wall-clock limit of one plan step (its model and tool calls together); a step "
            "that runs out reports so to the planner."
        ),
    )
    max_result_chars: int = field(
        default=4000, metadata=described("Tool results and step outputs are cut to this length.")
    )
    scorer: Scorer = field(
        default="auto",
        metadata=described("Reward against a ground truth: auto, exact, numeric, f1 or llm."),
    )
    store: str = field(
        default_factory=lambda: os.environ.get("MEMENTO_STORE") or default_store(),
        metadata=described(
            "Case bank: ':memory:', a folder (embedded Qdrant) or a server URL "
            "($MEMENTO_STORE when not given, else ~/.local/share/memento/bank)."
        ),
    )
    namespace: str = field(
        default_factory=from_env("default", "MEMENTO_NAMESPACE"),
        metadata=described(
            "Tenant / agent whose cases are read and written: 1-128 letters, digits and "
            "_ . @ : - (default 'default'; $MEMENTO_NAMESPACE when not given)."
        ),
    )
    namespace_template: str | None = field(
        default_factory=from_env(None, "MEMENTO_NAMESPACE_TEMPLATE"),
        metadata=described(
            "Per-run namespace in place of 'namespace', e.g. 'memento:{user_id}' (the "
            "LangGraph store namespace ('memento', <user_id>); ':' separates its labels). Each "
            "{name} is filled from this context (user_id) or the run's config['configurable'], "
            "with letters, digits and _ @ - only; a missing value fails the run "
            "($MEMENTO_NAMESPACE_TEMPLATE when not given)."
        ),
    )
    user_id: str | None = field(
        default=None,
        metadata=described(
            "Whose memory the run reads and writes: fills {user_id} in namespace_template "
            "(letters, digits and _ @ -)."
        ),
    )
    max_cases: int | None = field(
        default=None,
        metadata=described(
            "Size budget: most cases a namespace keeps; when a write passes it, the least "
            "recently used cases go until 90% remain (empty: no budget)."
        ),
    )
    seed: int | None = field(
        default=None, metadata=described("Seed of the case sampling (train mode).")
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
        for name in NON_NEGATIVE:
            check_range(name, getattr(self, name), low=0)
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
                "difference, not a value to bootstrap from): set credit to 'followed' (the "
                "default) or 'shared' for gamma > 0"
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
