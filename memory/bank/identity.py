"""Which stored case a newly written outcome is: an attempt of a question, fixed once written.

Credit must describe what the planner was shown, so a case's question, plan, trajectory, answer
and reward never change after it is stored. A case's id is derived from its namespace, its
normalised question and a fingerprint of its outcome (plan, answer, reward, error): writing a
question again with the same outcome counts one more attempt of the same case; another outcome
is a new case, an attempt of the same question beside the earlier ones.

Banks written before attempts existed hold one case per question under the id
`legacy_case_id(namespace, question)` (their content was overwritten by each repeat). They need
no migration: those cases are read and credited as they are, and every new outcome for their
question becomes a new attempt beside them, so nothing is overwritten from then on.
"""

from __future__ import annotations

import hashlib
import json
import uuid

from memory.bank.records import Case

_ID_NAMESPACE = uuid.UUID("6f1c1f0e-5d1b-4d7e-9a59-0c6b1f3f6a10")


def normalize_question(question: str) -> str:
    """The form under which two questions count as the same task."""
    return " ".join(question.casefold().split())


def outcome_key(case: Case) -> str:
    """A fingerprint of what a reader of the case sees as its outcome.

    The trajectory is left out: tool outputs carry times and ids that differ between runs that
    planned and answered alike.
    """
    outcome = {
        "plan": [" ".join(step.split()) for step in case.plan],
        "answer": " ".join(case.answer.split()),
        "reward": round(case.reward, 6),
        "error": case.error,
    }
    return hashlib.sha256(json.dumps(outcome, sort_keys=True).encode()).hexdigest()


def case_id_for(namespace: str, question: str, outcome: str) -> str:
    """Stable id of one outcome (attempt) of a question within a namespace."""
    key = f"{namespace}\x00{normalize_question(question)}\x00{outcome}"
    return str(uuid.uuid5(_ID_NAMESPACE, key))


def relabelled_case_id(namespace: str, question: str, outcome: str) -> str:
    """The id of a case a person relabelled (`memory.care.relabelling`): its outcome's, marked, so
    that it never meets the judge's case of the same outcome."""
    return case_id_for(namespace, question, f"{outcome}\x00relabelled")


def legacy_case_id(namespace: str, question: str) -> str:
    """The id a bank written before attempts existed gave the single case of a question."""
    return str(uuid.uuid5(_ID_NAMESPACE, f"{namespace}\x00{normalize_question(question)}"))


def content_ids(case: Case) -> tuple[str, str, str]:
    """The ids a stored case with this content may have: its outcome's, its relabelled
    outcome's, and its question's legacy id. Any other id was not derived from this case in
    this namespace (an edited record, or one moved from another namespace)."""
    outcome = outcome_key(case)
    return (
        case_id_for(case.namespace, case.question, outcome),
        relabelled_case_id(case.namespace, case.question, outcome),
        legacy_case_id(case.namespace, case.question),
    )


def attempt_of(previous: Case | None, case: Case, case_id: str, now: float) -> Case:
    """The case to store for a new outcome: `previous` counted once more, or `case` as new.

    An existing case keeps its content and creation time; only its attempt count and
    `updated_at` move, so every visit that refers to it still describes what was shown.
    """
    if previous is not None:
        return previous.model_copy(update={"attempts": previous.attempts + 1, "updated_at": now})
    return case.model_copy(
        update={"id": case_id, "attempts": 1, "created_at": now, "updated_at": now}
    )
