"""benchmarks.followed_match: the pairs a shared-credit bank records, judged by the rule."""

from __future__ import annotations

import time

from benchmarks.followed_match import ShownPair, shown_pairs, summary
from memory import Case, CaseBank
from memory.policy.kernel import KernelQ
from memory.policy.write import record_visits
from tests.fakes import HashingEmbedder


def _case(bank: CaseBank, embedder: HashingEmbedder, question: str, plan: list[str], run: str):
    now = time.time()
    case = Case(
        id="", namespace="default", question=question, plan=plan, reward=1.0, run_id=run,
        created_at=now, updated_at=now,
    )  # fmt: skip
    return bank.add(case, embedder.embed_query(question))


def test_each_run_is_paired_with_the_cases_it_was_shown_and_judged_by_the_rule(
    bank: CaseBank, embedder: HashingEmbedder
) -> None:
    copied = _case(bank, embedder, "Ship 12 kg to Lyon?", ["2. Look up the rate table."], "r0")
    other = _case(bank, embedder, "Ship 13 kg to Graz?", ["Guess from the weight"], "r1")
    _case(bank, embedder, "Ship 14 kg to Cork?", ["Look up the rate table [calculate]"], "r2")
    _case(bank, embedder, "Ship 15 kg to Brno?", ["Ask the customer"], "r3")
    shared = KernelQ(bank, credit="shared")
    state = embedder.embed_query("Ship")
    for run in ("r2", "r3"):  # each run was shown both earlier cases
        record_visits(
            bank, shared, [[copied.id, other.id]], [state], [1.0], namespace="default", run_id=run
        )
    pairs = shown_pairs(bank, embedder, "default")
    verdicts = sorted((p.run_question[:10], p.case_question[:10], p.followed) for p in pairs)
    assert verdicts == [
        ("Ship 14 kg", "Ship 12 kg", True),  # renumbered, punctuated, another tool: a copy
        ("Ship 14 kg", "Ship 13 kg", False),
        ("Ship 15 kg", "Ship 12 kg", False),
        ("Ship 15 kg", "Ship 13 kg", False),
    ]
    assert summary(pairs).startswith("2 runs, 4 cases shown to them; followed: 1 (1 by a step")
    none = sorted((p for p in pairs if p.run_question.startswith("Ship 15")), key=_cosine)
    assert [p.credited for p in none] == [False, True]  # followed none: only the nearest
    assert summary(pairs).endswith(
        "runs that followed none: 1 (0 without steps, credited as shared; 1 credit the plan "
        f"nearest theirs, at cosine {none[1].cosine:.2f} (median; "
        f"{none[1].cosine:.2f}-{none[1].cosine:.2f}))"
    )


def _cosine(pair: ShownPair) -> float:
    return pair.cosine
