"""The learning-curve harness: runs the graph over data sets, round after round, per memory mode.

Two protocols:
- held-out (the default, and the only one that supports a learning claim): round 0 measures the
  test questions on an empty bank; each later round first runs the training questions in train
  mode (cases written, Q learned), then measures the test questions in eval mode (nothing
  written), so no test question ever sees its own case.
- same-questions (the paper's protocol, labelled as such): every round runs the same questions in
  train mode; later rounds can retrieve the cases of the very questions they answer.

Memory mode "none" reads an empty namespace and writes nothing: the model alone. It learns
nothing, so it is measured in the first round only and reported as a baseline.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from langchain_core.callbacks import UsageMetadataCallbackHandler
from langgraph.graph.state import CompiledStateGraph

from evals.results import Phase, ResultsLog, Tally, TaskResult
from graphs import MementoContext, Output
from nodes import ModelEndpointError
from nodes.scorers import ALIAS_SEPARATOR
from nodes.write_case import compact_step

MemoryMode = Literal["none", "similarity", "kernel", "parametric"]
Protocol_ = Literal["held-out", "same-questions"]


@dataclass(frozen=True)
class PhaseProgress:
    """Where a phase stands: reported when it starts (`done` counts the tasks done before a
    resume) and after each task."""

    label: str
    done: int
    total: int
    summary: str

    def __str__(self) -> str:
        return f"{self.label}: {self.done}/{self.total}  {self.summary}"


ProgressCallback = Callable[[PhaseProgress], None]


class EvalTask(Protocol):
    """What the harness needs of a data-set item."""

    id: str
    question: str
    answers: list[str]


@dataclass
class EvalPlan:
    """Which questions to run, how often, and with which memory modes."""

    test_tasks: Sequence[EvalTask]
    train_tasks: Sequence[EvalTask] | None = None
    memories: Sequence[MemoryMode] = ("none", "kernel")
    rounds: int = 2
    concurrency: int = 4

    @property
    def protocol(self) -> Protocol_:
        return "same-questions" if self.train_tasks is None else "held-out"


class EvalRunner:
    """Runs an EvalPlan through one compiled graph, logging every task to a ResultsLog."""

    def __init__(
        self,
        graph: CompiledStateGraph,
        base_context: MementoContext,
        log: ResultsLog,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.graph = graph
        self.base = base_context
        self.log = log
        self.on_progress = on_progress or (lambda progress: None)

    def context_for(self, memory: MemoryMode, mode: Phase) -> MementoContext:
        """The run context of a memory mode: its own namespace, and eval mode for 'none'."""
        return dataclasses.replace(
            self.base,
            namespace=f"{self.base.namespace}-{memory}",
            retrieval="similarity" if memory == "none" else memory,
            mode="eval" if memory == "none" else mode,
        )

    async def run(self, plan: EvalPlan) -> None:
        for memory in plan.memories:
            for round_ in self._rounds(plan, memory):
                for phase, tasks in self._phases(plan, memory, round_):
                    await self._run_phase(plan, memory, round_, phase, tasks)

    @staticmethod
    def _rounds(plan: EvalPlan, memory: MemoryMode) -> range:
        """Rounds to run; memory "none" learns nothing, so it is measured once (a baseline)."""
        first = 0 if plan.protocol == "held-out" else 1
        return range(first, first + 1) if memory == "none" else range(first, plan.rounds + 1)

    @staticmethod
    def _phases(
        plan: EvalPlan, memory: MemoryMode, round_: int
    ) -> list[tuple[Phase, Sequence[EvalTask]]]:
        if plan.train_tasks is None:
            return [("train", plan.test_tasks)]
        phases: list[tuple[Phase, Sequence[EvalTask]]] = []
        if round_ > 0 and memory != "none":
            phases.append(("train", plan.train_tasks))
        phases.append(("eval", plan.test_tasks))
        return phases

    async def _run_phase(
        self,
        plan: EvalPlan,
        memory: MemoryMode,
        round_: int,
        phase: Phase,
        tasks: Sequence[EvalTask],
    ) -> None:
        ctx = self.context_for(memory, phase)
        todo = [t for t in tasks if (memory, round_, phase, t.id) not in self.log]
        label = f"{memory} round {round_} {phase}"
        tally = Tally.of(  # the tasks done earlier (one that failed to run is run again)
            r
            for r in self.log
            if (r.memory, r.round, r.phase) == (memory, round_, phase) and not r.failed_to_run
        )
        self.on_progress(PhaseProgress(label, tally.done, len(tasks), tally.describe()))
        if not todo:
            return
        semaphore = asyncio.Semaphore(plan.concurrency)

        async def one(task: EvalTask) -> None:
            async with semaphore:
                result = await self.run_task(task, ctx, memory, round_, phase)
            await asyncio.to_thread(self.log.append, result)  # an fsync: off the event loop
            tally.add(result)
            self.on_progress(PhaseProgress(label, tally.done, len(tasks), tally.describe()))

        try:  # a TaskGroup cancels the tasks in flight when one fails or the run is interrupted
            async with asyncio.TaskGroup() as group:
                for task in todo:
                    group.create_task(one(task))
        except BaseExceptionGroup as failures:
            raise failures.exceptions[0] from None

    async def run_task(
        self, task: EvalTask, ctx: MementoContext, memory: str, round_: int, phase: Phase
    ) -> TaskResult:
        """One task through the graph: a task crash is recorded, an endpoint failure aborts."""
        usage = UsageMetadataCallbackHandler()
        started = time.perf_counter()
        base = {"memory": memory, "round": round_, "phase": phase, "task_id": task.id}
        try:
            out = await self.graph.ainvoke(
                {"task": task.question, "ground_truth": ALIAS_SEPARATOR.join(task.answers)},
                context=ctx,
                config={"callbacks": [usage]},
            )
        except ModelEndpointError:
            raise
        except Exception as exc:  # the task failed to run: recorded, not scored as wrong
            return TaskResult(
                **base,
                question=task.question,
                error=f"{type(exc).__name__}: {exc}",
                seconds=time.perf_counter() - started,
                **_tokens(usage),
            )
        result = Output.model_validate(out)
        judgement = result.judgement
        reward = judgement.reward if judgement is not None else None
        return TaskResult(
            **base,
            question=task.question,
            answer=result.final_answer or "",
            reward=reward,
            correct=None if reward is None else reward >= 0.5,
            judge=judgement.method if judgement is not None else "",
            error=result.error,
            case_written=bool(result.case_id),
            seconds=time.perf_counter() - started,
            retrieved=[c.case_id for c in result.retrieved],
            run_id=result.run_id,
            trajectory=[compact_step(step) for step in result.step_results],
            **_tokens(usage),
        )


def _tokens(usage: UsageMetadataCallbackHandler) -> dict[str, int]:
    totals = {"input_tokens": 0, "output_tokens": 0}
    for metadata in usage.usage_metadata.values():
        totals["input_tokens"] += int(metadata.get("input_tokens", 0))
        totals["output_tokens"] += int(metadata.get("output_tokens", 0))
    return totals
