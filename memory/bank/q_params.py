"""Parametric Q's weights as records of the case bank's own store.

Weights live beside the cases and visits they were learned from, so every process and every
engine that opens the bank reads the same model (a file next to an embedded bank would be
invisible to a server bank and was named after the namespace, which let a namespace such as
`../../x` write outside the bank). One record holds a namespace's shared weights; one record per
case holds that case's own bias. Updates are read-modify-write under the bank's lock, so
concurrent tasks of one process never create a model twice nor lose each other's steps.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from memory.engines.protocol import Collection, StoredPoint, Where, match

_ID_NAMESPACE = uuid.UUID("3b0f8a52-0a3e-4c55-9a8e-4f1f7c2d9e61")
KEYWORDS = ("namespace",)


@dataclass
class QParams:
    """A namespace's parametric Q: shared weights, per-case biases, and the steps taken."""

    weights: np.ndarray
    biases: dict[str, float] = field(default_factory=dict)
    updates: int = 0


class QParamRecords:
    """Reads and atomically updates the parametric Q records of one bank."""

    def __init__(self, collection: Collection, lock: threading.RLock, dim: int) -> None:
        self._collection = collection
        self._lock = lock
        self._placeholder = [1.0] + [0.0] * (dim - 1)  # the records are found by id, not vector

    def read(
        self, namespace: str, case_ids: Sequence[str], *, model: str = "parametric"
    ) -> QParams | None:
        """The namespace's weights with the biases of these cases (their keys); None before the
        first step. `model` keeps each learner's records apart (`case_key` names their slots)."""
        with self._lock:
            return self._read(namespace, case_ids, model)

    def update(
        self,
        namespace: str,
        case_ids: Sequence[str],
        step: Callable[[QParams | None], QParams],
        *,
        model: str = "parametric",
    ) -> QParams:
        """Apply `step` to the stored parameters and store its result, as one atomic change."""
        with self._lock:
            new = step(self._read(namespace, case_ids, model))
            points = [
                StoredPoint(
                    _global_id(namespace, model),
                    {
                        "namespace": namespace,
                        "kind": "global",
                        "weights": [float(w) for w in new.weights],
                        "updates": new.updates,
                    },
                )
            ]
            points += [
                StoredPoint(
                    _case_id(namespace, case_id),
                    {"namespace": namespace, "kind": "case", "case_id": case_id, "bias": bias},
                )
                for case_id, bias in new.biases.items()
            ]
            self._collection.upsert([(p, self._placeholder) for p in points])
            return new

    def forget(self, namespace: str | None = None) -> None:
        """Delete the stored parameters (of one namespace, or all); they are rebuilt on use."""
        where = Where(must=(match("namespace", namespace),)) if namespace is not None else Where()
        with self._lock:
            self._collection.delete_where(where)

    def forget_cases(self, case_ids: Sequence[str]) -> None:
        """Delete these cases' own records (every slot: both keys of contrastive credit and the
        peer learners'), in any namespace. The shared weights stay, so every other case's Q is
        what it was.
        """
        keys = [*case_ids, *(case_key(c, slot) for c in case_ids for slot in CASE_SLOTS)]
        if keys:
            with self._lock:
                self._collection.delete_where(Where(must=(match("case_id", *keys),)))

    def _read(self, namespace: str, case_ids: Sequence[str], model: str) -> QParams | None:
        ids = [_global_id(namespace, model), *(_case_id(namespace, c) for c in case_ids)]
        points = {p.id: p.payload for p in self._collection.retrieve(ids)}
        shared = points.get(ids[0])
        if shared is None:
            return None
        biases = {
            payload["case_id"]: float(payload["bias"])
            for point_id, payload in points.items()
            if point_id != ids[0]
        }
        return QParams(np.asarray(shared["weights"], dtype=np.float64), biases, shared["updates"])


CASE_SLOTS = ("unread", "memrl", "ucb_n", "ucb_s", "ucb_ss", "ucb_r", "ucb_rs")
"""The keys a case may hold besides its own bias: as a candidate left unread (contrastive
parametric Q) and the peer learners' per-case sums (`memory.policy.peers`)."""


def case_key(case_id: str, slot: str) -> str:
    """The parameter key of one of a case's slots (`CASE_SLOTS`)."""
    return f"{case_id}\x00{slot}"


def unread_key(case_id: str) -> str:
    """The parameter key of a case as a candidate left unread (contrastive parametric Q)."""
    return case_key(case_id, "unread")


def _global_id(namespace: str, model: str = "parametric") -> str:
    own = "" if model == "parametric" else f"\x00{model}"  # parametric's ids predate models
    return str(uuid.uuid5(_ID_NAMESPACE, f"global\x00{namespace}{own}"))


def _case_id(namespace: str, case_id: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, f"case\x00{namespace}\x00{case_id}"))
