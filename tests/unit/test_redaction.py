"""Secrets from the environment are replaced wherever they turn up."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest

from memory.bank.redaction import redact, redact_text, secrets_in

ENV = {
    "OPENAI_API_KEY": "sk-planted-0123456789",
    "GITHUB_TOKEN": "ghp_planted_abcdef",
    "DB_PASSWORD": "hunter2hunter2",
    "PATH": "/usr/bin:/bin",
    "SHORT_TOKEN": "abc",
}


def test_only_long_values_of_secret_names_count() -> None:
    assert set(secrets_in(ENV).values()) == {"OPENAI_API_KEY", "GITHUB_TOKEN", "DB_PASSWORD"}


def test_secrets_are_replaced_in_nested_values() -> None:
    case = {
        "answer": "the key is sk-planted-0123456789",
        "trajectory": [{"result": "env: GITHUB_TOKEN=ghp_planted_abcdef PATH=/usr/bin:/bin"}],
        "reward": 1.0,
    }
    clean = redact(case, secrets_in(ENV))
    assert clean["answer"] == "the key is [redacted OPENAI_API_KEY]"
    assert (
        clean["trajectory"][0]["result"]
        == "env: GITHUB_TOKEN=[redacted GITHUB_TOKEN] PATH=/usr/bin:/bin"
    )
    assert clean["reward"] == 1.0
    assert case["answer"].endswith("0123456789")  # the input is not changed


def test_the_process_secrets_follow_every_change_of_the_environment(monkeypatch) -> None:
    """The process's secrets are kept between calls (a case write reads them), but a changed
    value, a new variable, a removed one and a newly marked name are all seen at once."""
    from memory.bank import redaction

    monkeypatch.setenv("MEMENTO_TEST_API_KEY", "first-secret-value")
    assert secrets_in()["first-secret-value"] == "MEMENTO_TEST_API_KEY"
    monkeypatch.setenv("MEMENTO_TEST_API_KEY", "second-secret-value")
    found = secrets_in()
    assert "second-secret-value" in found and "first-secret-value" not in found
    monkeypatch.setenv("MEMENTO_TEST_PLAIN", "plain-but-secret")
    assert "plain-but-secret" not in secrets_in()
    monkeypatch.setattr(redaction, "_MARKED_VARIABLES", {"MEMENTO_TEST_PLAIN"})
    assert secrets_in()["plain-but-secret"] == "MEMENTO_TEST_PLAIN"
    monkeypatch.delenv("MEMENTO_TEST_API_KEY")
    assert "second-secret-value" not in secrets_in()
    secrets_in()["injected"] = "X"  # a caller's copy: the kept answer is not changed
    assert "injected" not in secrets_in()


KEY = "sk-planted-0123456789abcdef"
SECRETS = {KEY: "OPENAI_API_KEY"}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("form", "text"),
    [
        ("as written", KEY),
        ("URL-encoded by quote", quote(KEY, safe="")),
        ("every byte %-encoded", "".join(f"%{b:02X}" for b in KEY.encode())),
        ("every byte %-encoded, lower case", "".join(f"%{b:02x}" for b in KEY.encode())),
        ("JSON-escaped", json.dumps(KEY)[1:-1]),
        ("base64", _b64(KEY)),
        ("URL-safe base64", base64.urlsafe_b64encode(KEY.encode()).decode()),
        ("base64 of a longer text, offset 0", _b64(f"{KEY} was the key")),
        ("base64 of a longer text, offset 1", _b64(f"k={KEY}; more")),
        ("base64 of a longer text, offset 2", _b64(f"Bearer {KEY}\n")),
        ("hex", KEY.encode().hex()),
        ("hex, upper case", KEY.encode().hex().upper()),
        ("upper case", KEY.upper()),
        ("masked, 6 leading", f"{KEY[:6]}****{KEY[-4:]}"),
        ("masked, 10 leading", f"{KEY[:10]}*********{KEY[-4:]}"),
        ("masked, one ellipsis character", f"{KEY[:5]}…{KEY[-4:]}"),
        ("masked, three dots", f"{KEY[:3]}...{KEY[-4:]}"),
    ],
)
def test_every_form_the_docs_name_is_redacted(form: str, text: str) -> None:
    clean = redact_text(f"error: {text} (sent)", SECRETS)
    assert clean.startswith("error: ") and "[redacted OPENAI_API_KEY]" in clean, form
    assert "0123456789" not in clean.upper() and "abcdef" not in clean.lower(), clean


def test_base64_at_any_offset_leaves_only_what_its_neighbours_share() -> None:
    for prefix in ("", "a", "ab", "abc"):
        encoded = _b64(f"{prefix}{KEY}!")
        clean = redact_text(encoded, SECRETS)
        assert clean.count("[redacted OPENAI_API_KEY]") == 1
        assert len(clean) - len("[redacted OPENAI_API_KEY]") <= 8  # partial edge characters


def test_a_secret_as_a_dict_key_is_redacted_like_a_value() -> None:
    call = {"name": "lookup", "args": {KEY: "1", "query": ["x", {f"k_{KEY}": KEY}]}}
    clean = redact(call, SECRETS)
    assert clean == {
        "name": "lookup",
        "args": {
            "[redacted OPENAI_API_KEY]": "1",
            "query": ["x", {"k_[redacted OPENAI_API_KEY]": "[redacted OPENAI_API_KEY]"}],
        },
    }


def test_text_without_a_secret_is_left_alone() -> None:
    text = "17 * 23 + 4 = 395; see https://example.com/a%20b?q=\\n (sk- keys look like sk-…)"
    assert redact_text(text, SECRETS) == text
