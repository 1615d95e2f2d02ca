"""Human-readable progress of a run, from the graph's `updates` and `custom` stream events."""

from __future__ import annotations

import json
from typing import Any, TextIO

from memento.cli.terminal import printable
from memory.bank.redaction import redact_text, secrets_in
from nodes.schemas import Judgement, Plan, RetrievedCase, StepResult

RESULT_CHARS = 300


def _short(text: str, limit: int = RESULT_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ProgressPrinter:
    """Prints the plan, each step and tool call, the answer, the reward and the case id."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.secrets = secrets_in()

    def say(self, text: str = "") -> None:
        """Print a line, with any secret from the environment redacted."""
        print(printable(redact_text(text, self.secrets)), file=self.out, flush=True)

    def handle(self, mode: str, chunk: Any) -> None:
        if mode == "custom" and isinstance(chunk, dict):
            self._custom(chunk)
        elif mode == "updates" and isinstance(chunk, dict):
            for node, update in chunk.items():
                if isinstance(update, dict):
                    self._update(node, update)

    def _custom(self, event: dict[str, Any]) -> None:
        if event.get("event") == "tool_call":
            args = json.dumps(event.get("args", {}), ensure_ascii=False)
            self.say(f"    tool {event.get('name')}({_short(args, 200)})")
        elif event.get("event") == "constraint_dropped":
            self.say(
                f"note    the {event.get('role')} model's server could not decode a reply under "
                "its schema (a grammar error); asked again in plain text"
            )

    def _update(self, node: str, update: dict[str, Any]) -> None:
        """A node's update, whose records arrive JSON-native as a checkpointer keeps them."""
        if node == "retrieve":
            self._retrieved(
                [RetrievedCase.model_validate(c) for c in update.get("candidates", [])],
                [RetrievedCase.model_validate(c) for c in update.get("retrieved", [])],
            )
        elif node == "plan":
            self._planned(update)
        elif node == "execute":
            for result in update.get("step_results", []):
                self._step(StepResult.model_validate(result))
        elif node == "judge" and update.get("judgement") is not None:
            self._judged(Judgement.model_validate(update["judgement"]))
        elif node == "write_case" and update.get("case_id"):
            self.say(f"case    {update['case_id']} written")
        elif node == "update_q" and update.get("visits_recorded"):
            self.say(f"update  {update['visits_recorded']} visits recorded")

    def _retrieved(self, candidates: list[RetrievedCase], retrieved: list[RetrievedCase]) -> None:
        self.say(f"retrieve  {len(candidates)} candidate cases, {len(retrieved)} read")
        for case in retrieved:
            outcome = "ok  " if case.reward >= 0.5 else "fail"
            self.say(
                f"  [{outcome}] Q={case.q:.3f} mu={case.probability:.3f} "
                f"sim={case.similarity:.3f}  {_short(case.question, 80)}"
            )

    def _planned(self, update: dict[str, Any]) -> None:
        plan = Plan.model_validate(update["plan"]) if update.get("plan") else None
        if update.get("error"):
            self.say(f"plan    failed: {update['error']}")
        if plan is not None and plan.steps and "cycle" in update:
            self.say(f"plan    cycle {update['cycle']}:")
            for i, step in enumerate(plan.steps, start=1):
                tool = f" [{step.tool}]" if step.tool else ""
                self.say(f"  {i}. {_short(step.description, 120)}{tool}")
        if update.get("final_answer") is not None:
            self.say(f"answer  {_short(update['final_answer'])}")

    def _step(self, result: StepResult) -> None:
        self.say(f"  step  {_short(result.description, 120)}")
        for call in result.tool_calls:
            flag = " (error)" if call.error else ""
            self.say(f"    -> {call.name}{flag}: {_short(call.result, 200)}")
        self.say(f"    result: {_short(result.error or result.output)}")

    def _judged(self, judgement: Judgement) -> None:
        reward = "unjudged" if judgement.reward is None else f"{judgement.reward:.2f}"
        self.say(f"reward  {reward} ({judgement.method}) {_short(judgement.rationale, 120)}")
