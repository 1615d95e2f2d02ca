"""Which model endpoint a command uses: the configured one, or a local llama.cpp server.

With no `base_url` and no API key, `memento` starts the embedded local model (SmolLM2-135M on
llama.cpp, loopback only) for the command's duration and says so: it runs the loop for real,
but it is tiny. Everything still goes through `ChatOpenAI`.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from graphs.settings import MementoSettings
from memento.local_llm import local_llm_server

LOCAL_MODEL_NOTICE = """\
note    no model endpoint is configured (MEMENTO_BASE_URL or {key_env}), so a TINY LOCAL
        MODEL is in use: {model} on llama.cpp at {url}.
        It runs the loop for real but answers poorly. For real work set {key_env}, or
        MEMENTO_BASE_URL (and MEMENTO_MODEL) to any OpenAI-compatible server such as vLLM,
        Ollama or llama.cpp: see the README, "Pointing at a model"."""


def needs_local_model(settings: MementoSettings) -> bool:
    ctx = settings.context
    return ctx.base_url is None and not os.environ.get(ctx.api_key_env)


@asynccontextmanager
async def model_endpoint(settings: MementoSettings) -> AsyncIterator[MementoSettings]:
    """The settings to run with; starts (and always stops) the local server when needed."""
    if not needs_local_model(settings):
        yield settings
        return
    async with local_llm_server() as server:
        context = dataclasses.replace(
            settings.context,
            base_url=server.base_url,
            planner_model=server.model,
            executor_model=server.model,
            judge_model=server.model,
        )
        notice = LOCAL_MODEL_NOTICE.format(
            key_env=settings.context.api_key_env, model=server.model, url=server.base_url
        )
        print(notice, file=sys.stderr, flush=True)
        yield dataclasses.replace(settings, context=context)
