"""Bad input gets a clear error naming the problem."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from langchain_core.messages import AIMessage

from graphs import MementoContext, build_graph
from memory import CaseBank, EmbeddingSizeMismatchError
from nodes import MementoDeps, ModelCallError, ModelEndpointError, TaskInputError
from tests.conftest import make_context
from tests.endpoints import Reply, Request, error_reply, loopback_endpoint
from tests.fakes import HashingEmbedder, final_plan_reply, run_task, scripted
from tools import ToolConfigError, build_connections


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_unreachable_llm_endpoint_names_the_url(bank: CaseBank) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    graph = build_graph(MementoDeps(bank=bank, embedder=HashingEmbedder()))
    context = make_context(base_url=url, llm_max_retries=0, llm_timeout_s=5)
    with pytest.raises(ModelEndpointError, match=f"cannot reach the planner model .* at {url}"):
        await graph.ainvoke({"task": "What is 2 + 2?"}, context=context)


def test_no_api_key_and_no_endpoint_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from nodes import chat_model_from_context

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("MEMENTO_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ModelEndpointError, match="set OPENAI_API_KEY"):
        chat_model_from_context(MementoContext(store=":memory:"), "planner")


def test_unknown_mcp_server_is_named() -> None:
    with pytest.raises(ToolConfigError, match="unknown MCP server 'serach'.*calculator"):
        build_connections(enabled=["calculator", "serach"])


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"transport": "carrier-pigeon", "url": "x"}, "unknown transport 'carrier-pigeon'"),
        ({"transport": "stdio"}, "missing field 'command'"),
        ({"transport": "streamable_http"}, "missing field 'url'"),
        ({"command": "python", "args": "-m x"}, "'args' must be a list"),
        ("python -m x", "expected an object"),
    ],
)
def test_malformed_server_config_names_server_and_field(spec: object, message: str) -> None:
    with pytest.raises(ToolConfigError, match=f"MCP server 'mine'.*{message}"):
        build_connections({"mine": spec})


def test_a_bundled_server_can_be_switched_off() -> None:
    assert "calculator" not in build_connections({"calculator": None})


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("top_k", 0, "'top_k' must be at least 1"),
        ("alpha", 0.0, "'alpha' must be > 0"),
        ("mode", "training", "'mode' must be one of train, eval"),
        ("retrieval", "bm25", "'retrieval' must be one of"),
        ("top_k", 64, "'top_k' .* exceeds 'num_candidates'"),
        ("lam", 0.0, "'lam' must be > 0"),  # lam 0 made an unvisited case's Q 0/0
        ("alpha", float("nan"), "'alpha' must be a finite number"),
        ("tau", float("inf"), "'tau' must be a finite number"),
        ("q0", "high", "'q0' must be a number; got 'high'"),
        ("q0", 1.5, "'q0' must be at least 0 and at most 1"),
        ("top_k", 2.5, "'top_k' must be an integer; got 2.5"),
        ("top_k", True, "'top_k' must be an integer; got True"),
        ("seed", "abc", "'seed' must be an integer or null; got 'abc'"),
        ("seed", -1, "'seed' must be at least 0"),
        ("namespace", 123, "'namespace' must be a string; got 123"),
        ("namespace", "../../escaped", "'namespace' must be 1-128 letters"),
        ("namespace", "", "'namespace' must be 1-128 letters"),
        ("temperature", "hot", "'temperature' must be a number; got 'hot'"),
        ("llm_max_retries", -1, "'llm_max_retries' must be at least 0"),
        ("step_timeout_s", 0, "'step_timeout_s' must be > 0"),
        ("gamma", 1.0, "'gamma' must be at least 0 and < 1"),
    ],
)
def test_bad_context_values_name_the_field(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MementoContext(store=":memory:", **{field: value})


async def test_bad_context_values_fail_before_any_model_call(graph_for, bank: CaseBank) -> None:
    """A run's context is checked when the run starts (LangGraph builds it from the dict),
    so a wrong value or an unknown field costs no paid model call."""
    model = scripted(final_plan_reply("4"))
    graph = graph_for(model)
    with pytest.raises(ValueError, match="'q0' must be a number"):
        await graph.ainvoke({"task": "2+2?"}, context={"store": ":memory:", "q0": "high"})
    with pytest.raises(TypeError, match="'topk'"):
        await graph.ainvoke({"task": "2+2?"}, context={"store": ":memory:", "topk": 2})
    assert model.calls == [] and bank.count() == 0


def test_an_unknown_context_field_in_a_mapping_is_named() -> None:
    with pytest.raises(ValueError, match="unknown context field 'topk'; the fields are: "):
        MementoContext.from_mapping({"topk": 2})


@pytest.mark.parametrize("scheme", ["", "local://", "edge://"])
def test_a_bank_built_with_another_embedding_size_is_refused(tmp_path, scheme: str) -> None:
    CaseBank(f"{scheme}{tmp_path}", dim=64).close()
    with pytest.raises(
        EmbeddingSizeMismatchError, match="holds 64-d vectors but the embedder gives 384-d"
    ):
        CaseBank(f"{scheme}{tmp_path}", dim=384)


@contextmanager
def _model_server(
    status: int,
    error: dict[str, str],
    hits: list[str],
    *,
    body: bytes | None = None,
    content_type: str = "application/json",
) -> Iterator[str]:
    """A loopback endpoint that answers every chat request with one API error (or `body`);
    yields its URL."""
    reply = error_reply(status, error) if body is None else Reply(status, body, content_type)

    def respond(request: Request) -> Reply:
        hits.append(request.path)
        return reply

    with loopback_endpoint(respond) as url:
        yield url


async def test_rate_limited_model_is_retried_with_backoff_then_fails_clearly(
    bank: CaseBank,
) -> None:
    hits: list[str] = []
    error = {"message": "slow down", "type": "rate_limit"}
    with _model_server(429, error, hits) as url:
        graph = build_graph(MementoDeps(bank=bank, embedder=HashingEmbedder()))
        context = make_context(base_url=url, llm_max_retries=2)
        with pytest.raises(ModelCallError, match=f"planner model .* at {url} failed after 2"):
            await graph.ainvoke({"task": "What is 2 + 2?"}, context=context)
    assert len(hits) == 3  # the call and its two retries
    assert bank.count() == 0  # no partial write


async def test_an_unknown_model_is_named_with_its_endpoint_and_not_retried(
    bank: CaseBank,
) -> None:
    hits: list[str] = []
    error = {"message": "The model `gpt-9` does not exist", "code": "model_not_found"}
    with _model_server(404, error, hits) as url:
        graph = build_graph(MementoDeps(bank=bank, embedder=HashingEmbedder()))
        context = make_context(base_url=url, planner_model="gpt-9", llm_max_retries=2)
        with pytest.raises(
            ModelEndpointError, match=f"the planner model 'gpt-9' at {url} was not found"
        ):
            await graph.ainvoke({"task": "What is 2 + 2?"}, context=context)
    assert len(hits) == 1  # a 404 is not worth a retry
    assert bank.count() == 0


async def test_unparseable_plan_is_a_recorded_failure(graph_for, bank: CaseBank) -> None:
    model = scripted(AIMessage(content="I cannot do that."), AIMessage(content="No plan, sorry."))
    result = await run_task(
        graph_for(model),
        {"task": "Capital of France?", "ground_truth": "Paris"},
        context=make_context(),
    )
    assert "could not be parsed" in result["error"]
    assert result["judgement"].reward == 0.0
    case = bank.list_cases()[0]
    assert case.reward == 0.0 and "could not be parsed" in (case.error or "")


@pytest.mark.parametrize(
    ("task", "message"),
    [
        ("   ", "task is empty"),
        ("x" * 101, "the task is 101 characters long; the limit is 100"),
        ("caf\udce9?", "not valid UTF-8 text \\(undecodable byte at character 3\\)"),
    ],
)
async def test_bad_task_text_is_refused_before_anything_is_written(
    graph_for, bank: CaseBank, task: str, message: str
) -> None:
    with pytest.raises(TaskInputError, match=message):
        await graph_for(scripted()).ainvoke(
            {"task": task}, context=make_context(max_task_chars=100)
        )
    assert bank.count() == 0


async def test_an_empty_bank_serves_a_task_and_reads_back_empty(
    graph_for, bank: CaseBank, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    from memento.cli import main

    model = scripted(final_plan_reply("Paris"))
    result = await run_task(
        graph_for(model),
        {"task": "Capital of France?", "ground_truth": "Paris"},
        context=make_context(),
    )
    assert result["retrieved"] == [] and bank.count() == 1
    CaseBank(str(tmp_path / "empty"), dim=64).close()
    assert main(["cases", "check", "--store", str(tmp_path / "empty")]) == 0
    assert main(["cases", "list", "--store", str(tmp_path / "empty")]) == 0
    assert "0 cases" in capsys.readouterr().out


async def test_a_judge_that_cannot_work_fails_the_task_loudly(graph_for, bank: CaseBank) -> None:
    """A typo in judge_model (HTTP 404) must not turn every task into 'unjudged'."""
    from nodes import chat_model_from_context

    hits: list[str] = []
    error = {"message": "The model `gpt-4.1-mini-typo` does not exist", "code": "model_not_found"}
    planner = scripted(final_plan_reply("Paris"))
    with _model_server(404, error, hits) as url:
        deps = MementoDeps(
            bank=bank,
            embedder=HashingEmbedder(),
            chat_model=lambda ctx, role: (
                chat_model_from_context(ctx, role) if role == "judge" else planner
            ),
        )
        context = make_context(base_url=url, judge_model="gpt-4.1-mini-typo")
        with pytest.raises(ModelEndpointError, match="the judge model 'gpt-4.1-mini-typo'"):
            await build_graph(deps).ainvoke({"task": "Capital of France?"}, context=context)
    assert bank.count() == 0


async def test_a_judge_that_fails_for_now_leaves_the_task_unjudged(bank: CaseBank) -> None:
    from nodes import chat_model_from_context

    hits: list[str] = []
    planner = scripted(final_plan_reply("Paris"))
    with _model_server(503, {"message": "overloaded"}, hits) as url:
        deps = MementoDeps(
            bank=bank,
            embedder=HashingEmbedder(),
            chat_model=lambda ctx, role: (
                chat_model_from_context(ctx, role) if role == "judge" else planner
            ),
        )
        context = make_context(base_url=url, llm_max_retries=1)
        result = await run_task(build_graph(deps), {"task": "Capital of France?"}, context=context)
    assert result["judgement"].reward is None
    assert "unjudged" in result["judgement"].rationale and "failed after 1" in (
        result["judgement"].rationale
    )
    assert bank.count() == 0 and len(hits) == 2


@pytest.mark.parametrize("namespace", ["../../../escaped/owned", "a/b", ".hidden", "x" * 129])
def test_a_namespace_that_could_be_a_path_is_refused_everywhere(
    tmp_path, namespace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """In the context (API, Studio, config), in the bank itself and on the command line;
    nothing is written anywhere, in or outside the bank's folder."""
    from memento.cli import main
    from memory import Case, CaseBankError

    with pytest.raises(ValueError, match="'namespace' must be 1-128 letters"):
        MementoContext(store=":memory:", namespace=namespace, retrieval="parametric")
    store = tmp_path / "deep" / "bank"
    with CaseBank(str(store), dim=4) as bank:
        case = Case(
            id="", namespace=namespace, question="q", reward=1.0, created_at=0, updated_at=0
        )
        with pytest.raises(CaseBankError, match="is not allowed"):
            bank.add(case, [1.0, 0.0, 0.0, 0.0])
        with pytest.raises(CaseBankError, match="is not allowed"):
            bank.search([1.0, 0.0, 0.0, 0.0], namespace=namespace, limit=4)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    code = main(["cases", "list", "--store", str(store), "--namespace", namespace])
    assert code == 1 and "namespace" in capsys.readouterr().err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_cli_mistakes_are_one_line_each(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    """A store that is a file, a malformed id, another namespace's case: a message, no
    traceback; and a task's escape sequences are shown, not obeyed, by the terminal."""
    from memento.cli import main
    from memory import Case

    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a bank")
    store = str(tmp_path / "bank")
    with CaseBank(store, dim=4) as bank:
        question = "Clear the screen \x1b[2J\x1b]0;owned\x07 please"
        case = Case(
            id="", namespace="team-a", question=question, reward=1.0, created_at=0, updated_at=0
        )
        case_id = bank.add(case, [1.0, 0.0, 0.0, 0.0]).id
    capsys.readouterr()
    assert main(["cases", "list", "--store", str(a_file)]) == 1
    assert "is a file, not a bank's folder" in capsys.readouterr().err
    assert main(["cases", "show", "--store", store, "z" * 8 + "-zzzz-zzzz-zzzz-" + "z" * 12]) == 1
    assert "no case with id" in capsys.readouterr().err
    assert main(["cases", "show", "--store", store, "--namespace", "team-b", case_id]) == 1
    assert "no case with id" in capsys.readouterr().err
    assert main(["cases", "list", "--store", store, "--namespace", "team-a"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\\x1b[2J" in out


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"<html>proxy login</html>", "text/html", "answered with no chat completion"),
        (b"<html>proxy login</html>", "application/json", "answered with a body that is not JSON"),
        (b'{"error": {"message": "no tools here"}}', "application/json", "rejected .*HTTP 400"),
    ],
)
async def test_an_endpoint_that_does_not_speak_openai_is_named(
    graph_for, bank: CaseBank, body: bytes, content_type: str, message: str
) -> None:
    """A proxy's login page, a broken body, a refused request: an error naming the endpoint
    and model, raised before anything is written."""
    hits: list[str] = []
    status = 400 if "400" in message else 200
    with _model_server(status, {}, hits, body=body, content_type=content_type) as url:
        graph = build_graph(MementoDeps(bank=bank, embedder=HashingEmbedder()))
        context = make_context(base_url=url, llm_max_retries=0)
        with pytest.raises(ModelEndpointError, match=f"planner model 'gpt-4.1' at {url} {message}"):
            await graph.ainvoke({"task": "What is 2 + 2?"}, context=context)
    assert bank.count() == 0


def test_an_empty_namespace_names_those_that_have_cases(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`memento eval` writes to one namespace per memory mode: `cases list` / `report` of an
    empty one say where the cases are instead of a bare 0."""
    from memento.cli import main
    from memory import Case

    store = str(tmp_path / "bank")
    with CaseBank(store, dim=4) as bank:
        for i, namespace in enumerate(["default-kernel", "default-kernel", "team-a"]):
            case = Case(id="", namespace=namespace, question=f"q{i}", reward=1.0,
                        created_at=0, updated_at=0)  # fmt: skip
            bank.add(case, [1.0, float(i), 0.0, 0.0])
    capsys.readouterr()
    assert main(["cases", "list", "--store", store]) == 0
    out = capsys.readouterr().out
    assert "namespace 'default' has no cases" in out
    assert "'default-kernel' (2), 'team-a' (1)" in out
    page = tmp_path / "report.html"
    assert main(["cases", "report", "--store", store, "--out", str(page)]) == 0
    assert "'default-kernel' (2)" in capsys.readouterr().out
    assert main(["cases", "list", "--store", store, "--namespace", "team-a"]) == 0
    assert "has no cases" not in capsys.readouterr().out
