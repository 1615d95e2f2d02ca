"""Parametric Q (paper Eq. 15): a logistic model over (state, case) features with a bias per
case, trained online by cross-entropy on the visits, its parameters records of the bank."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from memory.bank.casebank import CaseBank
from memory.bank.q_params import QParams, unread_key
from memory.bank.records import ScoredCase
from memory.policy.parametric_model import LogisticQModel
from memory.policy.scores import Credit, ScoredByParts, ScoreParts, Selection, similarities


@dataclass
class ParametricQ(ScoredByParts):
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
    selection: Selection = "soft"

    @property
    def credits_unread(self) -> bool:
        return self.credit == "contrastive"

    def score_parts(self, state: np.ndarray, candidates: Sequence[ScoredCase]) -> ScoreParts:
        q = self._predicted(state, candidates)
        return ScoreParts.of_similarity(similarities(candidates), score=q)._replace(learned=q)

    def _predicted(self, state: np.ndarray, candidates: Sequence[ScoredCase]) -> np.ndarray:
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
