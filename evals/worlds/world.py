"""One seed's world: its tasks, seed and planted cases, and every random draw.

Every draw is a hash of (seed, key), so two retrieval rules on one seed face the same draws:
the same questions, the same luck of each attempt, the same judge errors. A task's draws are
keyed by its own question (`Task.key`), so a reworded question keeps its task's luck.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

import numpy as np

from evals.worlds.config import WorldConfig
from evals.worlds.families import CITIES, FAMILY_SETS, Family
from memory import Case

TRAIN, REPEATED, REWORDED, HELD_OUT = "train", "repeated", "reworded", "held_out"


def pass_key(round_: int, phase: str) -> str:
    """The name of one pass (a round's phase): draws differ between passes, not between rules."""
    return f"r{round_}-{phase}"


@dataclass(frozen=True)
class Task:
    """A question of a family, with its ground truth. `key` is the task's own question (its
    first wording), which names its draws however it is worded; `slots` fill any wording."""

    question: str
    family: Family
    answer: str
    key: str = ""
    slots: tuple[tuple[str, str], ...] = ()


@dataclass
class World:
    """The tasks, the seed cases and the random draws of one seed."""

    config: WorldConfig
    seed: int
    train: list[Task] = field(default_factory=list)
    held_out: list[Task] = field(default_factory=list)
    decoys: list[Task] = field(default_factory=list)
    useful: list[Task] = field(default_factory=list)
    planted: list[Task] = field(default_factory=list)
    by_question: dict[str, Task] = field(default_factory=dict)

    @classmethod
    def build(cls, config: WorldConfig, seed: int) -> World:
        """Distinct questions for every role, drawn from the seed."""
        world = cls(config, seed)
        roles = (
            ("train", config.train_per_family, False),
            ("held_out", config.held_out_per_family, False),
            ("decoys", config.decoys_per_family, config.decoy_wording == "paraphrase"),
            ("useful", config.useful_per_family, config.useful_wording == "paraphrase"),
            ("planted", config.planted_per_family, False),
        )
        counter = 0
        for family in world.families:
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

    @property
    def families(self) -> tuple[Family, ...]:
        return FAMILY_SETS[self.config.families][: self.config.family_count]

    @property
    def phases(self) -> tuple[str, ...]:
        """The passes of a round: training, then the trained questions again, then new ones."""
        return (TRAIN, REWORDED if self.config.reword else REPEATED, HELD_OUT)

    def _task(self, family: Family, counter: int, paraphrased: bool) -> Task:
        a = 2 + int(self.draw("a", family.name, counter) * 40)
        b = 2 + int(self.draw("b", family.name, counter) * 25)
        city = CITIES[int(self.draw("city", family.name, counter) * len(CITIES))]
        slots = (("a", str(a)), ("b", str(b)), ("city", city), ("topic", family.topic))
        text = family.paraphrase if paraphrased else family.template
        question = text.format(**dict(slots))
        answer = str(100 + int(self.draw("answer", question) * 900))
        return Task(question, family, answer, question, slots)

    def draw(self, *key: object) -> float:
        """A uniform number in [0, 1) fixed by the seed and the key."""
        text = "\x00".join(map(str, (self.seed, *key)))
        return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") / 2**64

    def tasks(self, phase: str, round_: int) -> list[Task]:
        """A pass's questions. Training order is shuffled each round (from the seed); with
        `reword`, round r trains on the r-th wording and measures on the next one, unseen."""
        if phase == HELD_OUT:
            return self.held_out
        if phase == REPEATED:
            return self.train
        if phase == REWORDED:
            return [self.reworded(t, round_) for t in self.train]
        order = np.random.default_rng([self.seed, round_]).permutation(len(self.train))
        shuffled = [self.train[i] for i in order]
        return [self.reworded(t, round_ - 1) for t in shuffled] if self.config.reword else shuffled

    def reworded(self, task: Task, index: int) -> Task:
        """The task in its family's `index`-th wording (cycling): same family, task, answer."""
        wordings = task.family.wordings
        question = wordings[index % len(wordings)].format(**dict(task.slots))
        if question == task.question:
            return task
        again = Task(question, task.family, task.answer, task.key, task.slots)
        known = self.by_question.setdefault(question, again)
        if known.key != task.key:
            raise ValueError(f"two tasks share the wording {question!r}")
        return known

    def drifted(self, family: Family, round_: int) -> bool:
        """Whether the family's right approach has changed by this round."""
        after = self.config.drift_after_round
        index = self.families.index(family)
        return after is not None and round_ > after and index < self.config.drift_families

    def approaches(self, family: Family, round_: int) -> tuple[str, ...]:
        """The family's approaches in play in this round, the right one first."""
        if not self.drifted(family, round_):
            return (family.right, family.wrong)
        if self.config.drift_kind == "swap":
            return (family.wrong, family.right)
        return (family.third, family.right, family.wrong)

    def succeeds(self, task: Task, right: bool, pass_key: str) -> bool:
        """Whether an attempt with the right (or a wrong) approach succeeds in this pass."""
        chance = self.config.p_right if right else self.config.p_luck
        return self.draw("success", task.key, pass_key) < chance

    def wrong_answer(self, task: Task) -> str:
        """What a failed attempt answers (one wrong answer per task, whatever the approach)."""
        return str(int(task.answer) + 1)

    def judged_truth(self, task: Task, pass_key: str) -> str:
        """The ground truth handed to the judge: with `judge_noise`, the wrong answer, so a
        right answer scores 0 and a wrong one 1 (the measured success never uses it)."""
        noisy = self.draw("judge", task.key, pass_key) < self.config.judge_noise
        return self.wrong_answer(task) if noisy else task.answer

    def oracle(self, phase: str, round_: int) -> float:
        """The success rate of the right approach on this pass's draws."""
        tasks = self.tasks(phase, round_)
        return float(np.mean([self.succeeds(t, True, pass_key(round_, phase)) for t in tasks]))

    def seed_cases(self, namespace: str) -> list[Case]:
        """The bank's starting cases: lucky decoys (a wrong approach) and useful ones."""
        decoys = [(t, self.approaches(t.family, 1)[1]) for t in self.decoys]
        useful = [(t, self.approaches(t.family, 1)[0]) for t in self.useful]
        return _verified_successes(namespace, [*decoys, *useful], "seed case")

    def planted_cases(self, namespace: str) -> list[Case]:
        """An attacker's cases, written before round `planted_before_round`: wrong approaches
        dressed as successes verified against a ground truth, phrased like the tasks."""
        round_ = self.config.planted_before_round
        planted = [(t, self.approaches(t.family, round_)[1]) for t in self.planted]
        return _verified_successes(namespace, planted, "numeric match")


def _verified_successes(
    namespace: str, items: list[tuple[Task, str]], rationale: str
) -> list[Case]:
    now = time.time()
    return [
        Case(
            id="",
            namespace=namespace,
            question=task.question,
            plan=[approach],
            answer=task.answer,
            reward=1.0,
            judge_rationale=rationale,
            created_at=now,
            updated_at=now,
            provenance="ground_truth",  # past tasks judged against their truth
        )
        for task, approach in items
    ]
