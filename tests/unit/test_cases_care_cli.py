"""`memento cases delete|relabel|prune|why|search` on a real embedded bank (Qdrant Edge), and
every case where the command leaves something out or cannot choose says so."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from memento.cli import main
from memory import Case, CaseBank, KernelQ, MiniLMEmbedder
from memory.policy.write import record_visits
from tests.backends import scratch_folder
from tests.care_bank import NS, History, learned_bank


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("MEMENTO_CONFIG", raising=False)
    with scratch_folder(tmp_path) as folder:
        yield f"edge://{folder / 'bank'}"


def _run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _history(store: str) -> History:
    with CaseBank(store, dim=8) as bank:
        return learned_bank(bank)


def test_delete_by_prefix_removes_cases_and_visits_all_or_nothing(store: str, capsys) -> None:
    h = _history(store)
    common = ("--store", store, "--namespace", NS)
    code, _, err = _run(capsys, "cases", "delete", h.a.id[:8], "ffffffff", *common)
    assert code == 1 and "no case with id 'ffffffff'" in err and err.count("\n") == 1
    code, out, _ = _run(capsys, "cases", "delete", h.a.id[:8], h.x.id, *common)
    assert code == 0 and "deleted 2 cases and 2 visits from 'n'" in out
    code, _, err = _run(capsys, "cases", "delete", h.b.id, "--store", store)  # namespace default
    assert code == 1 and "in namespace 'default'" in err
    with CaseBank(store, dim=None) as bank:
        assert bank.count(namespace=NS) == 3 and bank.list_visits(case_id=h.a.id) == []


def test_an_id_prefix_that_matches_several_cases_names_them(store: str, capsys) -> None:
    from tests.care_bank import vec

    with CaseBank(store, dim=8) as bank:
        for i, question in enumerate(["What is 2 + 2?", "Name a colour"], start=1):
            case = Case(id=f"99999999-0000-4000-8000-00000000000{i}", namespace=NS,
                        question=question, reward=1.0, created_at=0, updated_at=0)  # fmt: skip
            bank.put_case(case, vec(1.0, i))
    code, _, err = _run(capsys, "cases", "delete", "9999", "--store", store, "--namespace", NS)
    assert code == 1 and "2 cases with id '9999' in namespace 'n'; give more of the id:" in err
    assert "99999999-0000-4000-8000-000000000001  What is 2 + 2?" in err
    assert "99999999-0000-4000-8000-000000000002  Name a colour" in err
    with CaseBank(store, dim=None) as bank:
        assert bank.count(namespace=NS) == 2  # nothing deleted


def test_relabel_prints_what_moved_and_refuses_a_bad_reward(store: str, capsys) -> None:
    h = _history(store)
    common = ("--store", store, "--namespace", NS)
    code, _, err = _run(capsys, "cases", "relabel", h.c.id[:8], "--reward", "2", *common)
    assert code == 1 and "reward must be a number in [0, 1], got 2.0" in err
    code, out, _ = _run(capsys, "cases", "relabel", h.c.id[:8], "--reward", "1", *common,
                        "--note", "checked by hand")  # fmt: skip
    assert code == 0 and f"relabelled {h.c.id[:8]} (reward 0.00, self-judged)" in out
    assert "3 visits its run wrote now carry reward 1.00" in out
    assert "1 visit crediting the old label removed with it" in out
    with CaseBank(store, dim=None) as bank:
        (new,) = [c for c in bank.list_cases(namespace=NS) if c.question == h.c.question]
        assert new.provenance == "relabelled" and "checked by hand" in new.judge_rationale
        assert {v.target for v in bank.list_visits(namespace=NS) if v.run_id == "run-c"} == {1.0}


def test_prune_dry_run_changes_nothing_then_prunes(store: str, capsys) -> None:
    h = _history(store)
    with CaseBank(store, dim=None) as bank:
        for case in (h.b, h.d):  # two cases last used 40 days ago
            old = bank.get(case.id).model_copy(update={"updated_at": time.time() - 40 * 86_400})
            bank.put_case(old, bank.case_vectors([case.id])[case.id])
        bank.delete_visits([v for v in bank.list_visits(namespace=NS) if v.case_id == h.b.id])
        bank.delete_visits([v for v in bank.list_visits(namespace=NS) if v.case_id == h.d.id])
    common = ("--store", store, "--namespace", NS)
    code, out, _ = _run(capsys, "cases", "prune", "--older-than", "30d", "--dry-run", *common)
    assert (
        code == 0
        and out.count("unused for 40.0 days") == 2
        and "dry run: nothing was changed" in out
    )
    assert "would remove 2 cases, 3 stay in 'n'" in out
    with CaseBank(store, dim=None) as bank:
        assert bank.count(namespace=NS) == 5
    code, out, _ = _run(capsys, "cases", "prune", "--older-than", "30d", *common)
    assert code == 0 and "removed 2 cases, 3 stay in 'n'" in out
    code, out, _ = _run(capsys, "cases", "prune", "--max-cases", "1", "--consolidate", *common)
    assert (
        "merged 0 near-duplicate cases into 0; kept cases gained 0 visits" in out
        and "removed 2 cases, 1 stay" in out
    )
    with CaseBank(store, dim=None) as bank:
        assert [c.id for c in bank.list_cases(namespace=NS)] == [h.c.id]  # the last one read


def test_prune_needs_a_rule_and_a_readable_duration(store: str, capsys) -> None:
    _history(store)
    code, _, err = _run(capsys, "cases", "prune", "--store", store)
    assert code == 2 and "give a rule" in err
    with pytest.raises(SystemExit):
        main(["cases", "prune", "--older-than", "soon", "--store", store])
    assert "'soon' is not a duration such as 30d" in capsys.readouterr().err


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def _minilm_bank(store: str, embedder: MiniLMEmbedder) -> dict[str, str]:
    """Three solved questions; a run on a multiplication read the first two and earned 1."""
    questions = ["What is 17 * 23?", "What is 12 times 11?", "What is the capital of France?"]
    task = "What is 19 * 21?"
    ids = {}
    with CaseBank(store, dim=384) as bank:
        for question, run in [*((q, f"run-{i}") for i, q in enumerate(questions)), (task, "run-t")]:
            case = Case(id="", namespace="default", question=question, reward=1.0, run_id=run,
                        provenance="ground_truth", created_at=0, updated_at=0)  # fmt: skip
            ids[question] = bank.add(case, embedder.embed_query(question)).id
        shown = [[ids[questions[0]], ids[questions[1]]]]
        state = [embedder.embed_query(task)]
        record_visits(bank, KernelQ(bank), shown, state, [1.0], namespace="default", run_id="run-t")
    return ids


def test_why_shows_candidates_q_and_the_visits_behind_it(store: str, capsys, minilm) -> None:
    ids = _minilm_bank(store, minilm)
    code, out, _ = _run(capsys, "cases", "why", "What is 18 * 22?", "--store", store)
    assert code == 0, out
    lines = out.splitlines()
    assert "candidates in 'default' (kernel Q, followed credit" in lines[0]
    assert lines[1].startswith("* shown: the top 4 by score, one attempt per question")
    assert lines[1].endswith(": 3 here")  # three candidates above the floor
    assert lines[2].startswith("score = sim + weight x (Q - sim), weight = evidence / (evidence")
    header = next(i for i, line in enumerate(lines) if "evidence weight  bonus  score" in line)
    first = lines[header + 1]
    assert first.startswith("*") and ids["What is 17 * 23?"][:8] in out
    visit_lines = [line for line in lines if line.strip().startswith("visit")]
    assert len(visit_lines) == 2 and all("run run-t" in v for v in visit_lines)
    assert all("target 1.00  read" in v and v.endswith("What is 19 * 21?") for v in visit_lines)
    assert "capital of France" not in out  # below the similarity floor: never a candidate


def test_why_says_which_attempts_it_left_out(store: str, capsys, minilm) -> None:
    ids = _minilm_bank(store, minilm)
    question = "What is 17 * 23?"
    with CaseBank(store, dim=384) as bank:  # a second attempt, another outcome: another case
        case = bank.get(ids[question]).model_copy(update={"id": "", "answer": "400", "reward": 0.0})
        again = bank.add(case, minilm.embed_query(question)).id
    code, out, _ = _run(capsys, "cases", "why", "What is 18 * 22?", "--store", store)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[1].endswith(": 3 here") and lines[2] == (
        "~ left out: 1 other attempt of a question already shown"
    )
    rows = [line for line in lines if line[:1] in "*~ " and line[3:4].isdigit()]
    marks = {token: row[0] for row in rows for token in row[1:].split() if len(token) == 8}
    assert marks[again[:8]] == "~" and marks[ids[question][:8]] == "*"


def test_search_finds_cases_by_meaning(store: str, capsys, minilm) -> None:
    ids = _minilm_bank(store, minilm)
    code, out, _ = _run(capsys, "cases", "search", "Which city is France's capital?",
                        "--store", store, "--limit", "2")  # fmt: skip
    assert code == 0
    rows = out.splitlines()[1:]
    assert len(rows) == 2 and ids["What is the capital of France?"][:8] in rows[0]


def test_a_dry_run_of_merge_and_budget_foretells_the_real_run(store: str, capsys) -> None:
    from tests.care_bank import add_case, vec

    with CaseBank(store, dim=8) as bank:
        for i, question in enumerate(["What is 2 + 2?", "what is 2+2 ?", "Name a colour", "Hi"]):
            add_case(bank, question, vec(1.0, 0.001 * i) if i < 2 else vec(i, 1.0), answer="4")
    common = ("--store", store, "--namespace", NS, "--consolidate", "--max-cases", "2")
    code, out, _ = _run(capsys, "cases", "prune", *common, "--dry-run")
    assert code == 0 and "would merge 1 near-duplicate case into 1" in out
    assert "would remove 1 case, 2 stay in 'n'" in out
    with CaseBank(store, dim=None) as bank:
        assert bank.count(namespace=NS) == 4
    code, out, _ = _run(capsys, "cases", "prune", *common)
    assert "merged 1 near-duplicate case into 1" in out and "removed 1 case, 2 stay" in out
    with CaseBank(store, dim=None) as bank:
        assert bank.count(namespace=NS) == 2


def test_why_says_what_a_negative_q_means_under_contrastive_credit(
    store: str, capsys, minilm, tmp_path: Path
) -> None:
    _minilm_bank(store, minilm)
    config = tmp_path / "contrastive.json"
    config.write_text('{"context": {"credit": "contrastive"}}')
    argv = ("cases", "why", "What is 18 * 22?", "--store", store, "--config", str(config))
    code, out, _ = _run(capsys, *argv)
    assert code == 0, out
    lines = out.splitlines()
    assert "(kernel Q, contrastive credit" in lines[0]
    assert lines[2].startswith("score = sim + weight x Q, weight")
    assert lines[3].startswith("Q below 0: runs that read the case did worse than runs that left")


def test_why_says_which_cases_start_from_their_plans_record(store: str, capsys, minilm) -> None:
    """Two cases of one plan, each read twice with success; then three runs read the first
    and failed: the plan stopped working near the task, and both rows say so."""
    questions = ["What is 17 * 23?", "What is 12 times 11?"]
    state = [minilm.embed_query("What is 19 * 21?")]
    with CaseBank(store, dim=384) as bank:
        ids = []
        for question in questions:
            case = Case(id="", namespace="default", question=question, reward=1.0,
                        plan=["Multiply the two numbers"], provenance="ground_truth",
                        created_at=0, updated_at=0)  # fmt: skip
            ids.append(bank.add(case, minilm.embed_query(question)).id)
        history = [([i], 1.0) for i in ids for _ in range(2)] + [([ids[0]], 0.0)] * 3
        for n, (shown, target) in enumerate(history):
            record_visits(bank, KernelQ(bank), [shown], state, [target], namespace="default",
                          run_id=f"run-{n}")  # fmt: skip
    code, out, _ = _run(capsys, "cases", "why", "What is 18 * 22?", "--store", store)
    assert code == 0, out
    assert "a plan whose cases' newest 3+ reads near the task all failed stopped working" in out
    notes = [line for line in out.splitlines() if "its plan stopped working here" in line]
    assert len(notes) == 2 and all("not the similarity" in note for note in notes)
