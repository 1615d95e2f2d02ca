"""A scripted world for measuring learned retrieval through the real graph, with no LLM.

Tasks come in families (shipping a parcel, a loan's instalment, ...). Each family has one right
approach and one wrong approach that looks just as plausible. The planner is a scripted chat
model whose behaviour depends only on the cases shown in its prompt:

- it reads the *successful* cases of the prompt and counts the plans that use this family's
  right approach and those that use its wrong approach; it follows the majority (a tie is a
  coin flip), and with neither it guesses the right approach with probability `p_guess`;
- the right approach succeeds with probability `p_right`, the wrong one with `p_luck`, so a
  wrong approach sometimes succeeds by luck and leaves a misleading "successful" case behind.

The bank starts with look-alike decoys for every family: lucky successes of the wrong approach,
phrased exactly like the family's tasks, and fewer useful cases (the right approach) phrased
differently, so plain similarity shows mostly decoys. Tasks are the paper's repeated training
questions and held-out questions of the same families. Every random draw is a hash of (seed,
question, pass), so two retrieval methods on one seed face the same draws.

With `cycles=2` a task takes two planning cycles: the planner first asks for one step (the
executor reports the figures gathered), then decides on the second cycle from the cases in its
prompt at that time. That is the world in which gamma > 0 (each cycle retrieving its own cases)
can be compared with single-step learning.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool

from memory import Case
from nodes import prompts

CITIES = ("Lyon", "Porto", "Graz", "Turin", "Ghent", "Bergen", "Cork", "Brno", "Split", "Malmo")


@dataclass(frozen=True)
class Family:
    """A kind of task: how it is asked, how a useful case phrases it, and its two approaches."""

    name: str
    template: str
    paraphrase: str
    right: str
    wrong: str


FAMILIES = (
    Family(
        "parcel",
        "How much does it cost to ship a {a} kg parcel to {city}?",
        "What would a courier charge to send {a} kilos of goods over to {city}?",
        "Look up the carrier's zone rate table for the weight band",
        "Estimate the price from the road distance to the city",
    ),
    Family(
        "loan",
        "What is the monthly payment on a {a}000 euro loan over {b} years?",
        "A bank lends {a}000 euros for {b} years: how big is each monthly instalment?",
        "Apply the annuity formula with the monthly interest rate",
        "Divide the principal by the number of months",
    ),
    Family(
        "recipe",
        "How much flour is needed to bake {a} loaves of the {city} bread recipe?",
        "Scaling the {city} bread recipe up to {a} loaves, what quantity of flour goes in?",
        "Scale every ingredient by the ratio of loaves to the recipe's yield",
        "Add the difference in loaves to every ingredient",
    ),
    Family(
        "clock",
        "What time is it in {city} when it is {a}:00 in Tokyo?",
        "If Tokyo clocks show {a} o'clock, what do clocks in {city} read?",
        "Look up both cities' UTC offsets including daylight saving",
        "Use the longitude difference divided by fifteen",
    ),
    Family(
        "paint",
        "How many litres of paint cover a {a} square metre wall in {city}?",
        "A wall of {a} m2 in {city} needs painting: what volume of paint should be bought?",
        "Divide the area by the label's coverage per litre, times the coats",
        "Multiply the area by the wall's height",
    ),
)


@dataclass(frozen=True)
class WorldConfig:
    """The world's knobs; the defaults are the benchmark's world (see the module docstring)."""

    families: int = 5
    train_per_family: int = 8
    held_out_per_family: int = 8
    decoys_per_family: int = 4
    useful_per_family: int = 2
    p_guess: float = 0.25
    p_right: float = 0.9
    p_luck: float = 0.15
    cycles: int = 1


@dataclass(frozen=True)
class Task:
    """A question of a family, with its ground truth."""

    question: str
    family: Family
    answer: str


@dataclass
class World:
    """The tasks, the seed cases and the random draws of one seed."""

    config: WorldConfig
    seed: int
    train: list[Task] = field(default_factory=list)
    held_out: list[Task] = field(default_factory=list)
    decoys: list[Task] = field(default_factory=list)
    useful: list[Task] = field(default_factory=list)
    by_question: dict[str, Task] = field(default_factory=dict)

    @classmethod
    def build(cls, config: WorldConfig, seed: int) -> World:
        """Distinct questions for every role, drawn from the seed."""
        world = cls(config, seed)
        roles = (
            ("train", config.train_per_family, False),
            ("held_out", config.held_out_per_family, False),
            ("decoys", config.decoys_per_family, False),
            ("useful", config.useful_per_family, True),
        )
        counter = 0
        for family in FAMILIES[: config.families]:
            for role, count, paraphrased in roles:
                made = 0
                while made < count:
                    counter += 1
                    task = world._task(family, counter, paraphrased)
                    if task.question in world.by_question:
                        continue
                    world.by_question[task.question] = task
                    getattr(world, role).append(task)
                    made += 1
        return world

    def _task(self, family: Family, counter: int, paraphrased: bool) -> Task:
        a = 2 + int(self.draw("a", family.name, counter) * 40)
        b = 2 + int(self.draw("b", family.name, counter) * 25)
        city = CITIES[int(self.draw("city", family.name, counter) * len(CITIES))]
        text = family.paraphrase if paraphrased else family.template
        question = text.format(a=a, b=b, city=city)
        return Task(question, family, str(100 + int(self.draw("answer", question) * 900)))

    def draw(self, *key: object) -> float:
        """A uniform number in [0, 1) fixed by the seed and the key."""
        text = "\x00".join(map(str, (self.seed, *key)))
        return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") / 2**64

    def succeeds(self, task: Task, right: bool, pass_key: str) -> bool:
        """Whether an attempt with the right (or the wrong) approach succeeds in this pass."""
        chance = self.config.p_right if right else self.config.p_luck
        return self.draw("success", task.question, pass_key) < chance

    def seed_cases(self, namespace: str) -> list[Case]:
        """The bank's starting cases: lucky decoys (wrong approach) and useful ones."""
        now = time.time()
        return [
            Case(
                id="",
                namespace=namespace,
                question=task.question,
                plan=[task.family.right if useful else task.family.wrong],
                answer=task.answer,
                reward=1.0,
                judge_rationale="seed case",
                created_at=now,
                updated_at=now,
                provenance="ground_truth",  # past tasks judged against their truth
            )
            for useful, tasks in ((False, self.decoys), (True, self.useful))
            for task in tasks
        ]


class WorldPlanner(BaseChatModel):
    """The planner (and only model) of the world: follows the approach its cases suggest.

    Lives in the benchmark's code, never a product default. `pass_key` names the current pass
    (round and phase), so that a question's draws differ between passes but not between methods.
    """

    world: Any
    pass_key: str = ""

    @property
    def _llm_type(self) -> str:
        return "memento-learning-world"

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
        task = self.world.by_question[_task_text(messages)]
        if self.world.config.cycles > 1 and not _has_progress(messages):
            step = {"description": "Gather the figures of the task", "tool": None}
            return _reply(_plan_call({"steps": [step], "final_answer": None}))
        right = self.chooses_right(task, _successful_plans(messages[0].text))
        succeeded = self.world.succeeds(task, right, self.pass_key)
        answer = task.answer if succeeded else str(int(task.answer) + (1 if right else 7))
        approach = task.family.right if right else task.family.wrong
        args = {"steps": [{"description": approach, "tool": None}], "final_answer": answer}
        return _reply(_plan_call(args))

    def chooses_right(self, task: Task, plans: str) -> bool:
        """The majority approach among the successful cases shown; a guess without any."""
        right, wrong = plans.count(task.family.right), plans.count(task.family.wrong)
        if right != wrong:
            return right > wrong
        chance = 0.5 if right else self.world.config.p_guess
        return self.world.draw("choice", task.question, self.pass_key) < chance


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
    """The part of the planner's system prompt that lists successful cases."""
    start = system.find(prompts.CASES_SUCCESS_HEADER)
    end = system.find(prompts.CASES_FAILURE_HEADER, start)
    return system[start:end] if start >= 0 else ""
