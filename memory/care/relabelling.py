"""A person overrules the judge: a case gets another reward, and the Q it fed follows.

Cases are immutable once visits refer to them (`memory.bank.identity`), so a relabel never edits
one. It writes a new case, provenance `relabelled`, with the old one's question, plan, trajectory
and answer and the person's reward, and removes the old case:

- The visits the relabelled case's run wrote (`visit.run_id == case.run_id`) credited the cases
  that run was shown with the reward the judge gave; that reward is overruled, so the targets of
  the run's last cycle that carry it now carry the person's reward, and the Q of those cases
  follows. Earlier cycles' targets (gamma > 0) hold no reward, only a bootstrap, and stay.
- The old case's own visits credited showing the old, wrongly labelled content (as a success or a
  failure), which no planner will see again: they go with it. The new case starts from the
  prior, since no run has been shown it yet.
- Parametric Q's stored weights were trained on the old targets: they are forgotten and rebuilt
  from the visits on first use.
A case records the run of its first attempt only, so the visits of runs that later produced the
same outcome again keep the judge's reward. Steps run so that a crash leaves a sound bank: the
targets, then the new case, then the old case's removal.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from pydantic import BaseModel

from memory.bank.identity import outcome_key, relabelled_case_id
from memory.bank.records import Case
from memory.errors import CaseBankError

if TYPE_CHECKING:
    from memory.bank.casebank import CaseBank

SAME_TARGET = 1e-9
"""Targets this close to the judge's reward are the reward itself (stored as a float)."""


class Relabelled(BaseModel):
    """What a relabel did: the case before and after, and the visits it touched."""

    old: Case
    new: Case
    visits_rewritten: int
    """Visits of the case's run whose target now carries the person's reward."""
    visits_dropped: int
    """The old case's own visits (credit for showing the old label), removed with it."""


def relabel(bank: CaseBank, case_id: str, reward: float, *, note: str = "") -> Relabelled:
    """Give a case the reward a person stands behind (the module's docstring says what follows)."""
    if isinstance(reward, bool) or not math.isfinite(reward) or not 0.0 <= reward <= 1.0:
        raise CaseBankError(f"a reward must be a number in [0, 1], got {reward!r}")
    old = bank.get(case_id)
    if old is None:
        raise CaseBankError(f"there is no case with id {case_id!r}")
    new = _relabelled(old, reward, note)
    if new.id == old.id:
        raise CaseBankError(f"case {case_id} is already relabelled with reward {reward}")
    rewritten = _rewrite_run_targets(bank, old, reward)
    if rewritten:
        bank.q_params.forget(old.namespace)
    held = bank.get(new.id)  # the same question already relabelled alike: one more attempt
    if held is not None:
        new = held.model_copy(
            update={"attempts": held.attempts + old.attempts, "updated_at": new.updated_at}
        )
    vector = bank.case_vectors([old.id])[old.id]
    bank.put_case(new, vector)
    dropped = len(bank.list_visits(case_id=old.id))
    bank.delete([old.id])
    return Relabelled(old=old, new=new, visits_rewritten=rewritten, visits_dropped=dropped)


def _relabelled(old: Case, reward: float, note: str) -> Case:
    """The new case: the old content under the person's reward, with an id of its own."""
    why = f"relabelled by a person from {old.reward:g} to {reward:g}"
    why += f": {note}" if note else ""
    why += f" (judge said: {old.judge_rationale})" if old.judge_rationale else ""
    new = old.model_copy(
        update={
            "reward": float(reward),
            "provenance": "relabelled",
            "judge_rationale": why,
            "updated_at": round(time.time(), 6),
        }
    )
    case_id = relabelled_case_id(old.namespace, old.question, outcome_key(new))
    return new.model_copy(update={"id": case_id})


def _rewrite_run_targets(bank: CaseBank, case: Case, reward: float) -> int:
    """Give the person's reward to the last-cycle visits of the case's run that hold the judge's."""
    if not case.run_id or abs(reward - case.reward) <= SAME_TARGET:
        return 0
    visits = list(bank.visit_states(case.namespace, run_id=case.run_id))
    if not visits:
        return 0
    last = max(visit.cycle for visit, _ in visits)
    changed = [
        (visit.model_copy(update={"target": float(reward)}), vector)
        for visit, vector in visits
        if visit.cycle == last and abs(visit.target - case.reward) <= SAME_TARGET
    ]
    bank.add_visits(changed)
    return len(changed)
