"""A small held-out evaluation whose every text is hostile HTML, for the report's tests.

Questions, plan steps, tool-less step results and answers all carry markup that would run a
script or fetch a file if a page showed it unescaped.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from langchain_core.messages import AIMessage

from evals.report import summarize
from evals.results import ResultsLog
from evals.runner import EvalPlan, EvalRunner
from graphs import build_graph
from memento.cli import main
from memento.cli.eval import write_eval_report
from memory import CaseBank
from nodes import MementoDeps
from tests.conftest import make_context
from tests.endpoints import Reply, Request, loopback_endpoint, tool_call_reply
from tests.fakes import (
    EvalItem,
    HashingEmbedder,
    RuleChatModel,
    final_plan_reply,
    plan_reply,
    sums,
)

HOSTILE = (
    "<script>document.title='pwned'</script><img src=http://evil.example/x.png onerror=alert(1)>"
)


def hostile_sums(start: int, count: int) -> list[EvalItem]:
    return sums(start, count, tail=f" {HOSTILE}")


def hostile_adder() -> RuleChatModel:
    """Plans one step, whose executor reply is markup; then answers 'a plus b' right when a is
    even or when shown a successful case (it learns from memory), wrong otherwise."""

    def rule(messages, kwargs):
        system = str(messages[0].content)
        if system.startswith("You are the executor"):
            return AIMessage(content=f"the numbers are added {HOSTILE}")
        task = next(m.content for m in messages if str(m.content).startswith("Task:"))
        if not any("Results of the steps run so far" in str(m.content) for m in messages):
            return plan_reply((f"add the two numbers {HOSTILE}", None))
        a, b = map(int, re.findall(r"\d+", task)[:2])
        successes = system.split("Successful cases:")[1].split("Failed cases:")[0]
        learned = "- Q:" in successes
        return final_plan_reply(str(a + b + (0 if learned else a % 2)))

    return RuleChatModel(messages=iter(()), calls=[], rule=rule)


PLAN = EvalPlan(
    test_tasks=hostile_sums(100, 4),
    train_tasks=hostile_sums(0, 6),
    memories=("none", "kernel"),
    rounds=2,
)


async def evaluate(bank: CaseBank, out: Path) -> tuple[EvalRunner, dict[str, object], Path]:
    """Run the plan, then write its report as `memento eval` does; (runner, summary, page)."""
    model = hostile_adder()
    deps = MementoDeps(bank=bank, embedder=HashingEmbedder(), chat_model=lambda c, r: model)
    runner = EvalRunner(
        build_graph(deps), make_context(namespace="t"), ResultsLog(out / "results.jsonl")
    )
    await runner.run(PLAN)
    summary = summarize(runner.log)
    page = write_eval_report(runner, bank, PLAN, summary, out / "report.html", "sums")
    return runner, summary, page


def _respond(request: Request) -> Reply:
    """An endpoint's planner that answers directly: right when the first number is even."""
    messages = request.body.get("messages", [])
    task = next(m["content"] for m in messages if str(m.get("content", "")).startswith("Task:"))
    a, b = map(int, re.findall(r"\d+", task)[:2])
    answer = str(a + b) if a % 2 == 0 else f"{a + b + 1} {HOSTILE}"
    return tool_call_reply("Plan", {"steps": [], "final_answer": answer})


def _questions(path: Path, items: list[EvalItem]) -> Path:
    lines = [json.dumps({"question": i.question, "answer": i.answers[0]}) for i in items]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_eval_cli(folder: Path) -> int:
    """`memento eval` of PLAN's questions (held-out, none and kernel, 2 rounds) against a
    loopback endpoint, into folder/run (its bank in folder/run/bank); the exit status."""
    config = folder / "memento.json"
    config.write_text(json.dumps({"context": {"llm_max_retries": 0}, "tools": {"enabled": []}}))
    test = _questions(folder / "test.jsonl", list(PLAN.test_tasks))
    train = _questions(folder / "train.jsonl", list(PLAN.train_tasks or []))
    with loopback_endpoint(_respond) as url:
        return main(
            [
                *("eval", str(test), "--train-on", str(train), "--rounds", str(PLAN.rounds)),
                *("--memory", "none,kernel", "--out", str(folder / "run"), "--config", str(config)),
                *("--base-url", url, "--model", "m"),
            ]
        )
