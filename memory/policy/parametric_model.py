"""A small logistic Q model over (state, case) features with a bias per case (paper Eq. 15).

Q(s, c) = sigmoid(w . [s * e_c, cos(s, e_c), 1] + b_c). The shared weights w learn which
directions of agreement between a task and a case predict success, beyond plain similarity;
the per-case bias b_c is the capacity to tell look-alike cases apart (two cases with nearly the
same embedding can have opposite value), and it is learned at its own, faster rate so that a
few reads of a case settle its value on repeated tasks. Numpy only; the parameters are plain
values (`QParams`) that the bank stores (see `memory.bank.q_params`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from memory.bank.q_params import QParams


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30.0, 30.0)))


@dataclass(frozen=True)
class LogisticQModel:
    """The model's shape and learning rates; the learned values live in `QParams`."""

    dim: int
    q0: float = 0.5
    learning_rate: float = 0.5
    case_learning_rate: float = 1.0
    l2: float = 1e-4

    def initial(self) -> QParams:
        """Parameters before any visit: every case at the prior q0."""
        weights = np.zeros(self.dim + 2)
        q0 = min(max(self.q0, 1e-3), 1 - 1e-3)
        weights[-1] = np.log(q0 / (1.0 - q0))
        return QParams(weights)

    def features(self, state: np.ndarray, cases: np.ndarray) -> np.ndarray:
        s = _unit(np.asarray(state, dtype=np.float64))
        e = _unit(np.asarray(cases, dtype=np.float64))
        products = e * s
        cosines = products.sum(axis=1, keepdims=True)
        return np.hstack([products, cosines, np.ones((len(e), 1))])

    def predict(
        self, params: QParams, state: np.ndarray, cases: np.ndarray, case_ids: Sequence[str]
    ) -> np.ndarray:
        """Q for each row of `cases` (whose ids are `case_ids`) in state `state`."""
        biases = np.array([params.biases.get(i, 0.0) for i in case_ids])
        return _sigmoid(self.features(state, cases) @ params.weights + biases)

    def fit_step(
        self,
        params: QParams | None,
        state: np.ndarray,
        cases: np.ndarray,
        case_ids: Sequence[str],
        targets: np.ndarray,
    ) -> QParams:
        """One gradient step of cross-entropy on the given visits (targets in [0, 1])."""
        params = params or self.initial()
        phi = self.features(state, cases)
        error = self.predict(params, state, cases, case_ids) - np.clip(targets, 0.0, 1.0)
        gradient = phi.T @ error / len(targets) + self.l2 * params.weights
        biases = dict(params.biases)
        for case_id, e in zip(case_ids, error, strict=True):
            biases[case_id] = biases.get(case_id, 0.0) - self.case_learning_rate * float(e)
        return QParams(params.weights - self.learning_rate * gradient, biases, params.updates + 1)
