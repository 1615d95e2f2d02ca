"""Calls to an embeddings endpoint that fail with one clear line, as the chat models' do.

An OpenAI-compatible embeddings endpoint is called when the resources open (the dimension
probe) and by every retrieve. Its failures arrive as the OpenAI client's exceptions, which the
command line would print as a traceback and whose text may repeat the key the endpoint was
sent. `EndpointEmbeddings` turns each into an `EmbeddingEndpointError` naming the model, the
URL and what went wrong (HTTP 400, a server error or a timeout after the retries, an unknown
model, a refused key, no connection), with secrets redacted. It lives beside the chat models'
errors (`nodes.models`) because it needs the bank's redaction, which `memory.embeddings`
(below the bank) cannot import.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import openai
from langchain_core.embeddings import Embeddings

from memory.bank.redaction import redact_text, secrets_in
from nodes.models import OPENAI_URL, truncate


class EmbeddingEndpointError(RuntimeError):
    """The embeddings endpoint failed a call; the message says which and why."""


class EndpointEmbeddings(Embeddings):
    """An endpoint's `Embeddings` whose failures are `EmbeddingEndpointError`s."""

    def __init__(
        self,
        inner: Embeddings,
        *,
        model: str,
        base_url: str | None,
        api_key_env: str,
        timeout_s: float,
        max_retries: int,
    ) -> None:
        self.inner = inner
        self.where = f"the embeddings model {model!r} at {base_url or OPENAI_URL}"
        self.api_key_env, self.timeout_s, self.max_retries = api_key_env, timeout_s, max_retries

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        with self._named():
            return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        with self._named():
            return self.inner.embed_query(text)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        with self._named():
            return await self.inner.aembed_documents(texts)

    async def aembed_query(self, text: str) -> list[float]:
        with self._named():
            return await self.inner.aembed_query(text)

    @contextmanager
    def _named(self) -> Iterator[None]:
        try:
            yield
        except openai.OpenAIError as exc:
            raise EmbeddingEndpointError(self._message(exc)) from None

    def _message(self, exc: openai.OpenAIError) -> str:
        where, said = self.where, _said(exc)
        retries = f"after {self.max_retries} retries"
        if isinstance(exc, openai.APITimeoutError):
            return f"{where} did not answer within {self.timeout_s:g} s, {retries}"
        if isinstance(exc, openai.APIConnectionError):
            return f"cannot reach {where}: {said}"
        if isinstance(exc, openai.AuthenticationError):
            return f"{where} refused the API key in {self.api_key_env}"
        if isinstance(exc, openai.NotFoundError):
            return f"{where} was not found: {said}"
        if isinstance(exc, openai.BadRequestError):
            return f"{where} rejected the request (HTTP 400): {said}"
        if isinstance(exc, openai.RateLimitError | openai.InternalServerError):
            return f"{where} failed {retries} with backoff: {said}"
        if isinstance(exc, openai.APIStatusError):
            return f"{where} answered HTTP {exc.status_code}: {said}"
        return f"{where} failed: {said}"


def _said(exc: BaseException) -> str:
    """What the endpoint's error said, on one line, cut short, with secrets redacted."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return truncate(redact_text(text, secrets_in()), 300)
