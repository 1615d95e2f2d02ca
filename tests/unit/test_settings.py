"""Settings from a config file, env vars and overrides; malformed files name the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphs.settings import ConfigError, load_settings


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "memento.json"
    path.write_text(json.dumps(data))
    return path


def test_file_values_env_and_overrides_layer_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEMENTO_MODEL", "env-model")
    monkeypatch.setenv("MEMENTO_NAMESPACE", "env-ns")
    path = _write(tmp_path, {"context": {"top_k": 2, "namespace": "file-ns"}})
    settings = load_settings(path, top_k=3, store=":memory:")
    assert settings.context.top_k == 3  # override beats file
    assert settings.context.namespace == "file-ns"  # file beats env
    assert settings.context.planner_model == "env-model"  # env beats default


def test_config_env_var_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMENTO_CONFIG", str(_write(tmp_path, {"context": {"top_k": 2}})))
    assert load_settings(store=":memory:").context.top_k == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"contexts": {}}, "unknown section 'contexts'"),
        ({"context": {"top_kk": 3}}, "unknown context field 'top_kk'"),
        ({"context": {"top_k": 0}}, "'top_k' must be at least 1"),
        ({"context": []}, "section 'context' must be a JSON object"),
        ({"tools": {"enabled": "calculator"}}, "'tools.enabled' must be a list"),
    ],
)
def test_malformed_config_names_the_file_and_field(
    tmp_path: Path, data: object, message: str
) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(ConfigError, match=f"config file '{path}'.*{message}"):
        load_settings(path)


def test_every_env_fallback_applies_when_the_field_is_left_at_its_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from nodes.context import MementoContext

    monkeypatch.setenv("MEMENTO_STORE", "/tmp/bank-from-env")
    monkeypatch.setenv("MEMENTO_BASE_URL", "http://127.0.0.1:8000/v1")
    monkeypatch.setenv("MEMENTO_EMBEDDING_MODEL", "text-embedding-3-small")
    context = MementoContext()
    assert context.store == "/tmp/bank-from-env"
    assert context.base_url == "http://127.0.0.1:8000/v1"
    assert context.embedding_model == "text-embedding-3-small"
    assert MementoContext(store=":memory:").store == ":memory:"


def test_model_settings_reach_chat_openai() -> None:
    from nodes import chat_model_from_context
    from nodes.context import MementoContext

    context = MementoContext(
        store=":memory:", base_url="http://127.0.0.1:9/v1", max_tokens=64, planner_model="p"
    )
    model = chat_model_from_context(context, "planner")
    assert (model.model_name, model.max_tokens) == ("p", 64)
    assert str(model.openai_api_base) == "http://127.0.0.1:9/v1"
