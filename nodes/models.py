"""Chat models for the planner, executor and judge, and calls that fail with clear errors."""

from __future__ import annotations

import asyncio
import json
import os
import re
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import httpx
import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable
from langchain_openai import ChatOpenAI

from memory.bank.redaction import redact_text, secrets_in

if TYPE_CHECKING:
    from nodes.context import MementoContext

Role = Literal["planner", "executor", "judge"]
ChatModelFactory = Callable[["MementoContext", Role], BaseChatModel]

OPENAI_URL = "https://api.openai.com/v1"


class ModelEndpointError(RuntimeError):
    """The chat model's endpoint cannot be used: unreachable, unknown model, or no key."""


class ModelRequestError(ModelEndpointError):
    """The endpoint refused a request as malformed (HTTP 400): e.g. a model without tools."""


class ModelCallError(RuntimeError):
    """A model call still failed after its retries (rate limit, server error, timeout)."""


class ConstrainedDecodingError(ModelCallError):
    """The endpoint could not decode a reply under its constraint (a forced tool call or a JSON
    schema): llama.cpp's grammar sampler can reach a dead end for a given prompt ("Unexpected
    empty grammar stack ..."), and the same request then fails the same way again. Callers ask
    once more without the constraint instead of failing the task."""


GRAMMAR_FAILURE = re.compile(r"\bgrammar\b", re.IGNORECASE)
"""How a server says its constrained decoding failed (llama.cpp: "... grammar stack ...",
"failed to parse grammar"); only a server error (HTTP 5xx) saying so degrades a request."""


def model_name(ctx: MementoContext, role: Role) -> str:
    return str(getattr(ctx, f"{role}_model"))


_SYNC_MODELS: dict[tuple[Any, ...], ChatOpenAI] = {}
_LOOP_MODELS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[Any, ...], ChatOpenAI]
]
_LOOP_MODELS = weakref.WeakKeyDictionary()


def _chat_openai(
    model: str,
    base_url: str | None,
    api_key: str,
    temperature: float,
    timeout: float,
    max_retries: int,
    max_tokens: int | None,
) -> ChatOpenAI:
    """One `ChatOpenAI` per setting and event loop, so HTTP connections are reused across
    calls and tasks, and a second event loop (a second `asyncio.run`) gets its own async
    client: langchain-openai shares one per endpoint across loops, whose pooled connections
    then fail with "Event loop is closed"."""
    settings = (model, base_url, api_key, temperature, timeout, max_retries, max_tokens)
    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    cache = _SYNC_MODELS if loop is None else _LOOP_MODELS.setdefault(loop, {})
    if settings not in cache:
        cache[settings] = ChatOpenAI(
            model=model,
            base_url=base_url,
            api_key=api_key,  # type: ignore[arg-type]
            temperature=temperature,
            timeout=timeout,
            max_retries=max_retries,
            max_tokens=max_tokens,  # type: ignore[call-arg]
            http_async_client=httpx.AsyncClient(timeout=timeout) if loop else None,
        )
    return cache[settings]


def chat_model_from_context(ctx: MementoContext, role: Role) -> BaseChatModel:
    """`ChatOpenAI` for a role, against the context's OpenAI-compatible endpoint (one
    instance per setting and event loop, see `_chat_openai`)."""
    api_key = os.environ.get(ctx.api_key_env, "")
    if not api_key and ctx.base_url is None:
        raise ModelEndpointError(
            f"no API key for {OPENAI_URL}: set {ctx.api_key_env}, or set base_url "
            "(MEMENTO_BASE_URL) to an OpenAI-compatible endpoint such as vLLM, Ollama or llama.cpp"
        )
    return _chat_openai(
        model_name(ctx, role),
        ctx.base_url,
        api_key or "not-needed",
        ctx.temperature,
        ctx.llm_timeout_s,
        ctx.llm_max_retries,
        ctx.max_tokens,
    )


def traced(
    runnable: Runnable[Any, Any], *, ctx: MementoContext, role: Role, cycle: int
) -> Runnable[Any, Any]:
    """The runnable named for its part in the loop, so a tracer (LangSmith, any callback
    handler) shows `memento.planner` / `memento.executor` / `memento.judge` runs, tagged
    with the role, the cycle and the namespace (tags reach the chat model's own run too)."""
    return runnable.with_config(
        run_name=f"memento.{role}",
        tags=["memento", f"memento:{role}", f"cycle:{cycle}", f"namespace:{ctx.namespace}"],
        metadata={"memento_role": role, "memento_cycle": cycle, "memento_namespace": ctx.namespace},
    )


async def call_model(
    runnable: Runnable[Any, Any],
    messages: Sequence[BaseMessage],
    *,
    ctx: MementoContext,
    role: Role,
    cycle: int,
) -> Any:
    """Invoke a model (or a chain on it), traced as this role's call in this cycle; endpoint
    failures name the URL and the model.

    The errors carry the endpoint's message with secrets redacted, and not the client's own
    exception, whose text may repeat the key the endpoint was sent.
    """
    where = f"the {role} model {model_name(ctx, role)!r} at {ctx.base_url or OPENAI_URL}"
    try:
        return await traced(runnable, ctx=ctx, role=role, cycle=cycle).ainvoke(list(messages))
    except (openai.RateLimitError, openai.InternalServerError, openai.APITimeoutError) as exc:
        if isinstance(exc, openai.InternalServerError) and GRAMMAR_FAILURE.search(str(exc)):
            error: RuntimeError = ConstrainedDecodingError(
                f"{where} could not decode a constrained reply: {_said(exc)}"
            )
        else:
            error = ModelCallError(
                f"{where} failed after {ctx.llm_max_retries} retries with backoff: {_said(exc)}"
            )
    except openai.APIConnectionError as exc:
        error = ModelEndpointError(f"cannot reach {where}: {_said(exc)}")
    except openai.NotFoundError as exc:
        error = ModelEndpointError(f"{where} was not found: {_said(exc)}")
    except openai.AuthenticationError:
        error = ModelEndpointError(f"{where} refused the API key in {ctx.api_key_env}")
    except openai.PermissionDeniedError as exc:
        error = ModelEndpointError(f"{where} denied the request (HTTP 403): {_said(exc)}")
    except openai.BadRequestError as exc:
        error = ModelRequestError(f"{where} rejected the request (HTTP 400): {_said(exc)}")
    except json.JSONDecodeError as exc:
        error = ModelEndpointError(f"{where} answered with a body that is not JSON: {exc}")
    except ValueError as exc:
        if str(exc).startswith("No generations found in stream"):
            error = ModelEndpointError(
                f"{where} answered a streamed request with no stream (it ignores stream=true): "
                'run without token streaming (stream_mode "updates", "values" or "custom", '
                'not "messages" or astream_events), or use an endpoint that streams'
            )
        elif str(exc).startswith("Unexpected response type"):
            error = ModelEndpointError(f"{where} answered with no chat completion: {_said(exc)}")
        else:
            raise
    raise error from None


def _said(exc: BaseException) -> str:
    """What an endpoint's error said, cut short, with secrets redacted."""
    return truncate(redact_text(f"{type(exc).__name__}: {exc}", secrets_in()), 500)


def message_text(message: BaseMessage) -> str:
    """The plain text of a message whose content may be a list of content blocks."""
    content = message.content
    if isinstance(content, str):
        return content
    parts = [
        block if isinstance(block, str) else str(block.get("text", ""))
        for block in content
        if isinstance(block, str) or block.get("type") == "text"
    ]
    return "\n".join(p for p in parts if p)


def extract_json_object(text: str) -> dict[str, Any] | None:
    """The first JSON object embedded in a text (code fences and prose around it are fine)."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict):
            return value
        start = text.find("{", start + 1)
    return None


def truncate(text: str, limit: int) -> str:
    """Cut text to `limit` characters, saying how much was cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [truncated {len(text) - limit} of {len(text)} characters]"


Notice = Callable[[ConstrainedDecodingError], None]
"""Told when a constrained request is asked again without its constraint (a progress event)."""


def constraint_dropped(role: Role, error: ConstrainedDecodingError) -> dict[str, Any]:
    """The progress event of a constrained request asked again without its constraint: the
    run goes on, and says in one line what happened."""
    return {"event": "constraint_dropped", "role": role, "reason": str(error)}


def ignore_notice(error: ConstrainedDecodingError) -> None:
    """A `Notice` for callers with nobody to tell."""
