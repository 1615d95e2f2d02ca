"""Secrets from the environment are replaced wherever they turn up."""

from __future__ import annotations

from memory.bank.redaction import redact, secrets_in

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
