"""Other papers' retrieval rules as estimators of this product, for the learning benchmark.

They run on the product's own path (the graph's nodes, the bank, the read and write sides), so
the comparison measures the rule and nothing else:

- `MemRLQ` (MemRL): candidates above the similarity floor ranked by 0.5 z(similarity) +
  0.5 z(Q), a Q per case updated in one step with rate 0.1 from the reward of each task that
  read it, epsilon-greedy in train mode.
- `UCBQ` (a contextual bandit over cases, as CASCADE retrieves): a disjoint linear UCB, one
  arm per case with features [1, similarity]: score theta . x, bonus alpha sqrt(x' A^-1 x); train
  mode takes the top K by score + bonus (the bonus is its exploration), eval mode by the score.

Their per-case numbers are records of the bank (`memory.bank.q_params`, one model each), so
they survive restarts and go with a case when it is deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from memory.bank.casebank import CaseBank
from memory.bank.q_params import QParams, case_key
from memory.bank.records import ScoredCase
from memory.policy.scores import ScoredByParts, ScoreParts, Selection, similarities

UCB_SLOTS = ("ucb_n", "ucb_s", "ucb_ss", "ucb_r", "ucb_rs")


def standardized(values: np.ndarray) -> np.ndarray:
    """z-scores over the candidates (all 0 where they do not differ, or are fewer than two:
    numpy warns of the spread of an empty array)."""
    spread = values.std() if values.size > 1 else 0.0
    return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)


@dataclass
class _PerCaseRecords:
    """A peer's per-case numbers, read and updated as records of the bank."""

    bank: CaseBank
    namespace: str
    model: str

    def read(self, ids: Sequence[str], slots: Sequence[str]) -> dict[str, float]:
        keys = [case_key(i, slot) for i in ids for slot in slots]
        params = self.bank.q_params.read(self.namespace, keys, model=self.model)
        return params.biases if params is not None else {}

    def update(self, ids: Sequence[str], slots: Sequence[str], change: dict[str, float]) -> None:
        """Add `change[key]` to each key's number (a key not held yet starts at 0)."""
        keys = [case_key(i, slot) for i in ids for slot in slots]

        def step(held: QParams | None) -> QParams:
            biases = dict(held.biases) if held is not None else {}
            for key, delta in change.items():
                biases[key] = biases.get(key, 0.0) + delta
            return QParams(np.zeros(0), biases, (held.updates if held else 0) + 1)

        self.bank.q_params.update(self.namespace, keys, step, model=self.model)


@dataclass
class MemRLQ(ScoredByParts):
    """MemRL's rule: z-scored similarity and Q, one-step Q updates, epsilon-greedy."""

    bank: CaseBank
    namespace: str
    q0: float = 0.5
    rate: float = 0.1
    name: str = "memrl"
    selection: Selection = "epsilon_greedy"

    def _records(self) -> _PerCaseRecords:
        return _PerCaseRecords(self.bank, self.namespace, self.name)

    def _q(self, ids: Sequence[str]) -> np.ndarray:
        held = self._records().read(ids, ["memrl"])
        return np.array([self.q0 + held.get(case_key(i, "memrl"), 0.0) for i in ids])

    def score_parts(self, state: np.ndarray, candidates: Sequence[ScoredCase]) -> ScoreParts:
        similarity = similarities(candidates)
        q = self._q([c.case.id for c in candidates])
        score = 0.5 * standardized(similarity) + 0.5 * standardized(q)
        return ScoreParts.of_similarity(similarity, score=score)._replace(learned=q)

    def learn(
        self,
        state: np.ndarray,
        case_ids: Sequence[str],
        targets: Sequence[float],
        unread_ids: Sequence[str] = (),
    ) -> None:
        if not case_ids:
            return
        q = self._q(case_ids)  # Q <- Q + rate (r - Q), stored as its offset from q0
        change = {
            case_key(i, "memrl"): self.rate * (float(y) - float(held))
            for i, y, held in zip(case_ids, targets, q, strict=True)
        }
        self._records().update(case_ids, ["memrl"], change)


@dataclass
class UCBQ(ScoredByParts):
    """A disjoint linear UCB over cases with features [1, similarity] (ridge 1)."""

    bank: CaseBank
    namespace: str
    alpha: float = 1.0
    name: str = "ucb"
    selection: Selection = "greedy"

    def score_parts(self, state: np.ndarray, candidates: Sequence[ScoredCase]) -> ScoreParts:
        similarity = similarities(candidates)
        ids = [c.case.id for c in candidates]
        held = _PerCaseRecords(self.bank, self.namespace, self.name).read(ids, UCB_SLOTS)
        n, s, ss, r, rs = (
            np.array([held.get(case_key(i, slot), 0.0) for i in ids]) for slot in UCB_SLOTS
        )
        a11, a12, a22 = 1.0 + n, s, 1.0 + ss  # A = I + sum x x', x = [1, sim]
        det = a11 * a22 - a12 * a12
        theta0, theta1 = (a22 * r - a12 * rs) / det, (a11 * rs - a12 * r) / det
        mean = theta0 + theta1 * similarity
        spread = (a22 - 2 * a12 * similarity + a11 * similarity**2) / det  # x' A^-1 x
        bonus = self.alpha * np.sqrt(np.maximum(spread, 0.0))
        parts = ScoreParts.of_similarity(similarity, score=mean)
        return parts._replace(learned=mean, evidence=n, bonus=bonus)

    def learn(
        self,
        state: np.ndarray,
        case_ids: Sequence[str],
        targets: Sequence[float],
        unread_ids: Sequence[str] = (),
    ) -> None:
        if not case_ids:
            return
        vectors = self.bank.case_vectors(case_ids)
        unit = state / (np.linalg.norm(state) or 1.0)
        change: dict[str, float] = {}
        for case_id, y in zip(case_ids, targets, strict=True):
            if case_id not in vectors:
                continue
            vector = np.asarray(vectors[case_id])
            sim = float(vector @ unit / (np.linalg.norm(vector) or 1.0))
            for slot, value in zip(UCB_SLOTS, (1.0, sim, sim * sim, y, y * sim), strict=True):
                change[case_key(case_id, slot)] = change.get(case_key(case_id, slot), 0) + value
        _PerCaseRecords(self.bank, self.namespace, self.name).update(case_ids, UCB_SLOTS, change)
