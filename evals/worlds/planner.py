"""The scripted chat model of the worlds: a planner whose success depends only on the cases shown.

Used by the benchmarks and tests only, never a product default. It reads the cases of the
planner's prompt (`nodes.plan.format_cases`: verified successes, failures, unverified cases),
picks an approach by the world's `planner` behaviour (see `evals.worlds.config.Planner`), and
succeeds by the world's draw for that approach. Every other role (the executor of a two-cycle
task) gets a one-line reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool

from evals.worlds.world import Task, World, pass_key
from nodes import prompts


class WorldPlanner(BaseChatModel):
    """The planner (and only model) of a world: follows the approach its cases suggest.

    Set `round_` and `phase` before each pass (`start_pass`): the draws are the pass's, and a
    drifting world's right approach is the round's.
    """

    world: Any
    round_: int = 1
    phase: str = "train"

    @property
    def _llm_type(self) -> str:
        return "memento-learning-world"

    @property
    def pass_key(self) -> str:
        return pass_key(self.round_, self.phase)

    def start_pass(self, round_: int, phase: str) -> None:
        """The pass whose draws the next tasks use."""
        self.round_, self.phase = round_, phase

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any) -> Any:
        schemas = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=schemas, tool_choice=tool_choice, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        if not messages[0].text.startswith("You are the planner"):
            return _reply(AIMessage(content="The figures of the task are gathered."))
        world: World = self.world
        task = world.by_question[_task_text(messages)]
        if world.config.cycles > 1 and not _has_progress(messages):
            step = {"description": "Gather the figures of the task", "tool": None}
            return _reply(_plan_call({"steps": [step], "final_answer": None}))
        approach = self.choose(task, messages[0].text)
        right = approach == world.approaches(task.family, self.round_)[0]
        succeeded = world.succeeds(task, right, self.pass_key)
        answer = task.answer if succeeded else world.wrong_answer(task)
        step = self.written(task, approach)
        args = {"steps": [{"description": step, "tool": None}], "final_answer": answer}
        return _reply(_plan_call(args))

    def choose(self, task: Task, system: str) -> str:
        """The approach the world's planner behaviour takes from the cases in `system`."""
        world: World = self.world
        approaches = world.approaches(task.family, self.round_)
        draw = world.draw("choice", task.key, self.pass_key)
        behaviour = world.config.planner
        if behaviour == "any":
            cases = system.split(prompts.CASES_PREAMBLE, 1)[-1]
            right = any(form in cases for form in self.wordings(approaches[0]))
            return approaches[0] if right else _guess(approaches, draw, world)
        successes = _successful_plans(system)
        if behaviour == "first":
            found = [
                (successes.find(form), a)
                for a in approaches
                for form in self.wordings(a)
                if form in successes
            ]
            return min(found)[1] if found else _guess(approaches, draw, world)
        counts = [sum(successes.count(form) for form in self.wordings(a)) for a in approaches]
        if max(counts) == 0:
            return _guess(approaches, draw, world)
        tied = [a for a, n in zip(approaches, counts, strict=True) if n == max(counts)]
        return tied[int(draw * len(tied))]  # one majority, or a fair coin among the tied

    def wordings(self, approach: str) -> tuple[str, ...]:
        """Every text the planner reads as `approach`: itself, and with `reword_plans` its
        rewordings."""
        return (approach, *rewordings(approach)) if self.world.config.reword_plans else (approach,)

    def written(self, task: Task, approach: str) -> str:
        """The step the planner writes for `approach`: itself, or one of its rewordings."""
        if not self.world.config.reword_plans:
            return approach
        forms = rewordings(approach)
        return forms[int(self.world.draw("wording", task.key, self.pass_key) * len(forms))]


def rewordings(approach: str) -> tuple[str, str, str]:
    """Three rewordings of an approach, as a planner might write what it copied: its first
    half, its second half, every other word; each with words of its own, so none is part of
    another approach's text."""
    words = approach.split()
    half = max(2, len(words) // 2)
    return (
        "To begin: " + " ".join(words[:half]).lower(),
        "Then " + " ".join(words[half:]).lower() + ", to start",
        "First, " + " ".join(words[::2]).lower(),
    )


def _guess(approaches: tuple[str, ...], draw: float, world: World) -> str:
    """With nothing to follow: the right approach with p_guess, else a wrong one at random."""
    p = world.config.p_guess
    if draw < p:
        return approaches[0]
    wrong = approaches[1:]
    return wrong[min(int((draw - p) / (1 - p) * len(wrong)), len(wrong) - 1)]


def _plan_call(args: dict[str, Any]) -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": "Plan", "args": args, "id": "plan"}])


def _reply(message: AIMessage) -> ChatResult:
    return ChatResult(generations=[ChatGeneration(message=message)])


def _has_progress(messages: list[BaseMessage]) -> bool:
    """Whether the planner is shown results of earlier steps (a later cycle)."""
    marker = prompts.PLANNER_PROGRESS.split("{results}")[0]
    return any(m.type == "human" and m.text.startswith(marker) for m in messages)


def _task_text(messages: list[BaseMessage]) -> str:
    prefix = prompts.PLANNER_TASK.split("{task}")[0]
    for message in messages:
        if message.type == "human" and message.text.startswith(prefix):
            return message.text[len(prefix) :].strip()
    raise ValueError("no task in the planner's messages")


def _successful_plans(system: str) -> str:
    """The part of the planner's system prompt that lists verified successful cases."""
    start = system.find(prompts.CASES_SUCCESS_HEADER)
    end = system.find(prompts.CASES_FAILURE_HEADER, start)
    return system[start:end] if start >= 0 else ""
