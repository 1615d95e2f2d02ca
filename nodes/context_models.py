"""The chat and embedding models a run talks to: the first part of a run's context.

Kept apart from the rest of `MementoContext` (its base class) so each module stays short;
Studio's configuration panel shows these fields first. Defaults may come from environment
variables, named in each description.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field


def from_env(default: str | None, *env_names: str) -> Callable[[], str | None]:
    """A default factory: the first of these variables that is set, else `default`."""

    def factory() -> str | None:
        return next((os.environ[n] for n in env_names if os.environ.get(n)), default)

    return factory


def described(text: str) -> dict[str, str]:
    return {"description": text}


@dataclass(kw_only=True)
class ModelSettings:
    """Which models plan, execute, judge and embed, where they are served, and how long a call
    may take."""

    planner_model: str = field(
        default_factory=from_env("gpt-4.1", "MEMENTO_PLANNER_MODEL", "MEMENTO_MODEL"),
        metadata=described(
            "Chat model that plans and gives the final answer (default gpt-4.1; "
            "$MEMENTO_PLANNER_MODEL or $MEMENTO_MODEL when not given)."
        ),
    )
    executor_model: str = field(
        default_factory=from_env("gpt-4.1", "MEMENTO_EXECUTOR_MODEL", "MEMENTO_MODEL"),
        metadata=described(
            "Chat model that runs each plan step with tools (default gpt-4.1; "
            "$MEMENTO_EXECUTOR_MODEL or $MEMENTO_MODEL when not given)."
        ),
    )
    judge_model: str = field(
        default_factory=from_env("gpt-4.1", "MEMENTO_JUDGE_MODEL", "MEMENTO_MODEL"),
        metadata=described(
            "Chat model that judges answers (scorer 'llm', or no ground truth; default "
            "gpt-4.1; $MEMENTO_JUDGE_MODEL or $MEMENTO_MODEL when not given)."
        ),
    )
    base_url: str | None = field(
        default_factory=from_env(None, "MEMENTO_BASE_URL", "OPENAI_BASE_URL"),
        metadata=described(
            "OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 (vLLM); "
            "$MEMENTO_BASE_URL or $OPENAI_BASE_URL when not given, else OpenAI."
        ),
    )
    api_key_env: str = field(
        default="OPENAI_API_KEY",
        metadata=described("Name of the environment variable holding the API key."),
    )
    temperature: float = field(default=0.0, metadata=described("Sampling temperature."))
    max_tokens: int | None = field(
        default=None,
        metadata=described("Most tokens one model reply may have (empty: the endpoint's limit)."),
    )
    embedding_model: str | None = field(
        default_factory=from_env(None, "MEMENTO_EMBEDDING_MODEL"),
        metadata=described(
            "Embeddings model at base_url; empty means the embedded offline embedder "
            "($MEMENTO_EMBEDDING_MODEL when not given)."
        ),
    )
    llm_timeout_s: float = field(
        default=120.0, metadata=described("Timeout of one LLM or embeddings call.")
    )
    llm_max_retries: int = field(
        default=2, metadata=described("Retries (with backoff) of a failed LLM call.")
    )
