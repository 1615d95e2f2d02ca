"""Q(s, c) estimators behind one interface: similarity (baseline), kernel, parametric.

All three read from and learn through the case bank, so Q survives crashes and can be
recomputed from stored data. Each `q_values` call scores the N candidates of one state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from memory.bank.casebank import CaseBank
from memory.bank.q_params import QParams, unread_key
from memory.bank.records import ScoredCase
from memory.policy.parametric_model import LogisticQModel

Retrieval = Literal["similarity", "kernel", "parametric"]
Credit = Literal["shared", "contrastive"]


class QEstimator(Protocol):
    """Scores candidate cases for a state and learns from the targets they earned."""

    name: str

    def q_values(self, state: np.ndarray, candidates: Sequence[ScoredCase]) -> np.ndarray:
        """Q(s, c) for each candidate, in the candidates' order."""
        ...

    def learn(
        self,
        state: np.ndarray,
        case_ids: Sequence[str],
        targets: Sequence[float],
        unread_ids: Sequence[str] = (),
    ) -> None:
        """Take in new visits (already stored in the bank by the caller).

        `unread_ids` are the step's candidates left unread (contrastive credit), which earned
        the step's target without being read.
        """
        ...


def kernel_q(
    cosines: np.ndarray, targets: np.ndarray, *, tau: float, lam: float, q0: float
) -> float:
    """Paper Eq. 9: (sum_j k_j y_j + lam q0) / (sum_j k_j + lam), k_j = exp((cos_j - 1) / tau)."""
    weights = np.exp((np.asarray(cosines, dtype=np.float64) - 1.0) / tau)
    weighted_targets = weights @ np.asarray(targets, dtype=np.float64)
    return float((weighted_targets + lam * q0) / (weights.sum() + lam))


def kernel_q_by_group(
    cosines: np.ndarray,
    targets: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    *,
    tau: float,
    lam: float,
    q0: float,
) -> np.ndarray:
    """`kernel_q` of each group 0..n_groups-1 at once (a group with no visits gets q0): the
    same sums, taken with two `bincount`s instead of one small array per case."""
    weights = np.exp((cosines - 1.0) / tau)
    weighted_targets = np.bincount(groups, weights * targets, minlength=n_groups)
    return (weighted_targets + lam * q0) / (np.bincount(groups, weights, minlength=n_groups) + lam)


@dataclass
class SimilarityQ:
    """The non-parametric CBR baseline: Q is the cosine similarity; nothing is learned."""

    name: str = "similarity"

    def q_values(self, state: np.ndarray, candidates: Sequence[ScoredCase]) -> np.ndarray:
        return np.array([c.similarity for c in candidates], dtype=np.float64)

    def learn(
        self,
        state: np.ndarray,
        case_ids: Sequence[str],
        targets: Sequence[float],
        unread_ids: Sequence[str] = (),
    ) -> None:
        return None


@dataclass
class KernelQ:
    """Episodic-control Q over each case's stored visits (paper Eq. 9).

    Only the `visits_per_case` visits nearest to the state are read, so a read costs
    O(N * visits_per_case) whatever the age of the bank. lam is on the kernel's scale: with
    tau = 0.3 a visit at cosine 0.3 weighs ~0.1, so lam = 0.01 lets a handful of such visits
    outweigh the prior q0 (a lam of 1 would drown hundreds of them; see DESIGN.md).

    credit = "shared" (the paper's) scores a case by the targets of the steps that read it, so a
    useless case read beside a useful one shares its reward. credit = "contrastive" gives each
    case its own credit: Q(s, c) = E_k[y | c read] - E_k[y | c a candidate left unread], both
    kernel-weighted with the same prior (so an unvisited case scores 0). It needs the writer to
    store, for every candidate left unread, a visit with `retrieved=False` and the step's
    target; with shared credit such visits are ignored. Contrastive Q is a difference, not a
    value: use it with single-step targets (gamma = 0), not as V(s') in a bootstrap.
    """

    bank: CaseBank
    tau: float = 0.3
    lam: float = 0.01
    q0: float = 0.5
    visits_per_case: int = 32
    credit: Credit = "shared"
    name: str = "kernel"

    def q_values(self, state: np.ndarray, candidates: Sequence[ScoredCase]) -> np.ndarray:
        ids = [c.case.id for c in candidates]
        read = self._kernel_values(state, ids, retrieved=True)
        if self.credit == "shared":
            return read
        if self.credit == "contrastive":
            return read - self._kernel_values(state, ids, retrieved=False)
        raise ValueError(f"credit must be 'shared' or 'contrastive', got {self.credit!r}")

    def _kernel_values(self, state: np.ndarray, ids: list[str], *, retrieved: bool) -> np.ndarray:
        visits = self.bank.nearest_visit_columns(
            state, ids, per_case=self.visits_per_case, retrieved=retrieved
        )
        row = {case_id: i for i, case_id in enumerate(dict.fromkeys(ids))}
        groups = visits.groups
        if groups is None:
            groups = np.array([row[case_id] for case_id in visits.case_ids], dtype=np.intp)
        q = kernel_q_by_group(
            visits.cosines, visits.targets, groups, len(row), tau=self.tau, lam=self.lam, q0=self.q0
        )
        return q[[row[i] for i in ids]]

    def learn(
        self,
        state: np.ndarray,
        case_ids: Sequence[str],
        targets: Sequence[float],
        unread_ids: Sequence[str] = (),
    ) -> None:
        return None  # the visits are the model


@dataclass
class ParametricQ:
    """A logistic model with a bias per case, trained online by cross-entropy (Eq. 15).

    Its parameters are records of the bank (`bank.q_params`), read on every call, so every
    process and engine sharing the bank shares the model; when they are missing (a bank
    imported or copied without them, or written before they existed) they are rebuilt from the
    namespace's stored visits on first use. With contrastive credit each case has a second
    bias, learned from the steps that left it unread, and Q is the difference of the two
    predictions, as with the kernel: an untried case scores 0.
    """

    bank: CaseBank
    model: LogisticQModel
    namespace: str
    credit: Credit = "shared"
    name: str = "parametric"

    def q_values(self, state: np.ndarray, candidates: Sequence[ScoredCase]) -> np.ndarray:
        if not candidates:
            return np.empty(0)
        ids = [c.case.id for c in candidates]
        keys = ids + [unread_key(i) for i in ids] if self.credit == "contrastive" else ids
        vectors = self.bank.case_vectors(ids)
        params = self.bank.q_params.read(self.namespace, keys) or self._rebuilt(keys)
        case_matrix = np.array([vectors[i] for i in ids])
        q = self.model.predict(params, state, case_matrix, ids)
        if self.credit == "contrastive":
            q = q - self.model.predict(params, state, case_matrix, keys[len(ids) :])
        return q

    def learn(
        self,
        state: np.ndarray,
        case_ids: Sequence[str],
        targets: Sequence[float],
        unread_ids: Sequence[str] = (),
    ) -> None:
        target = float(np.mean(targets)) if len(targets) else 0.0
        steps = [(list(case_ids), [float(t) for t in targets], False)]
        if self.credit == "contrastive" and unread_ids:
            steps.append((list(unread_ids), [target] * len(unread_ids), True))
        for ids, y, unread in steps:
            self._fit(state, ids, y, unread=unread)

    def _fit(self, state: np.ndarray, ids: list[str], y: list[float], *, unread: bool) -> None:
        vectors = self.bank.case_vectors(ids)
        known = [i for i, cid in enumerate(ids) if cid in vectors]
        if not known:
            return
        case_matrix = np.array([vectors[ids[i]] for i in known])
        keys = [unread_key(ids[i]) if unread else ids[i] for i in known]
        targets = np.array([y[i] for i in known], dtype=np.float64)
        self.bank.q_params.update(
            self.namespace,
            keys,
            lambda p: self.model.fit_step(p, state, case_matrix, keys, targets),
        )

    def _rebuilt(self, keys: Sequence[str]) -> QParams:
        """Replay the namespace's visits (oldest first) into a model and store it."""
        visits = sorted(
            (
                v
                for v in self.bank.visit_states(self.namespace)
                if v[0].retrieved or self.credit == "contrastive"
            ),
            key=lambda v: (v[0].created_at, v[0].cycle),
        )
        if not visits:
            return self.model.initial()
        vectors = self.bank.case_vectors(list({v.case_id for v, _ in visits}))
        params: QParams | None = None
        for visit, state in visits:
            if visit.case_id in vectors:
                key = visit.case_id if visit.retrieved else unread_key(visit.case_id)
                params = self.model.fit_step(
                    params,
                    np.asarray(state),
                    np.array([vectors[visit.case_id]]),
                    [key],
                    np.array([visit.target]),
                )
        if params is None:
            return self.model.initial()
        stored = self.bank.q_params.update(
            self.namespace, list(params.biases), lambda held: held or params
        )
        return QParams(stored.weights, {k: stored.biases.get(k, 0.0) for k in keys})
