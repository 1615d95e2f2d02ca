"""A small logistic Q model over (state, case) features, trained online with numpy only."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


class LogisticQModel:
    """Q(s, c) = sigmoid(w . [s*e_c, cos(s, e_c), 1]), learned by binary cross-entropy.

    The element-wise product lets the model learn which directions of agreement between a
    task and a case predict success, beyond plain similarity. Weights start at the prior q0
    and are saved atomically (write to a temporary file, then rename) when `path` is set.
    """

    def __init__(
        self,
        dim: int,
        *,
        q0: float = 0.5,
        learning_rate: float = 0.5,
        l2: float = 1e-4,
        path: Path | None = None,
    ) -> None:
        self.dim = dim
        self.learning_rate = learning_rate
        self.l2 = l2
        self.path = path
        self.weights = np.zeros(dim + 2)
        self.weights[-1] = np.log(q0 / (1.0 - q0))
        self.updates = 0
        if path is not None and path.exists():
            self._load(path)

    def features(self, state: np.ndarray, cases: np.ndarray) -> np.ndarray:
        s = _unit(np.asarray(state, dtype=np.float64))
        e = _unit(np.asarray(cases, dtype=np.float64))
        products = e * s
        cosines = products.sum(axis=1, keepdims=True)
        return np.hstack([products, cosines, np.ones((len(e), 1))])

    def predict(self, state: np.ndarray, cases: np.ndarray) -> np.ndarray:
        """Q for each row of `cases` in state `state`."""
        return 1.0 / (1.0 + np.exp(-self.features(state, cases) @ self.weights))

    def fit_step(self, state: np.ndarray, cases: np.ndarray, targets: np.ndarray) -> None:
        """One gradient step of cross-entropy on the given visits (targets in [0, 1])."""
        phi = self.features(state, cases)
        error = 1.0 / (1.0 + np.exp(-phi @ self.weights)) - np.clip(targets, 0.0, 1.0)
        gradient = phi.T @ error / len(targets) + self.l2 * self.weights
        self.weights -= self.learning_rate * gradient
        self.updates += 1

    def save(self) -> None:
        """Atomic save: a crash leaves either the old or the new weights, never half of them."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez(handle, weights=self.weights, updates=self.updates)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _load(self, path: Path) -> None:
        with np.load(path) as data:
            weights = data["weights"]
            if weights.shape != self.weights.shape:
                raise ValueError(
                    f"parametric Q weights at {path} are for {weights.shape[0] - 2}-d "
                    f"embeddings, not {self.dim}-d"
                )
            self.weights = weights
            self.updates = int(data["updates"])
