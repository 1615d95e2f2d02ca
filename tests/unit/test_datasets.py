"""Data set loaders: typed tasks from each real format; broken records named or counted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals import datasets
from evals.datasets import (
    DatasetError,
    Task,
    data_dir,
    hotpotqa_corpus_path,
    load_dataset,
    load_deepresearcher,
    load_gsm8k,
    load_hotpotqa100,
    load_jsonl,
    load_simpleqa,
)
from tests.conftest import write_lines

# -- the user's own JSONL ----------------------------------------------------------------------


def test_user_jsonl_accepts_answer_answers_numbers_aliases_ids_and_metadata(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "mine.jsonl",
        [
            json.dumps({"question": "2+2?", "answer": 4}),
            "",
            json.dumps({"question": "Capital of France?", "answers": ["Paris", "paris", "Paris"]}),
            json.dumps({"id": "q3", "question": "Color?", "answer": "red<|answer_split|>crimson"}),
            json.dumps({"question": "Q4", "answer": "x", "topic": "t", "metadata": {"level": 2}}),
        ],
    )
    tasks = load_jsonl(path)
    assert [t.id for t in tasks] == ["mine-1", "mine-3", "q3", "mine-5"]
    assert tasks[0].answers == ["4"]
    assert tasks[1].answers == ["Paris", "paris"]
    assert tasks[2].answers == ["red", "crimson"]
    assert tasks[2].ground_truth == "red<|answer_split|>crimson"
    assert tasks[3].metadata == {"topic": "t", "level": 2}
    assert tasks.skipped == [] and len(tasks) == 4


def test_tasks_without_answers_are_allowed_when_asked(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "open.jsonl", [json.dumps({"question": "Plan a trip."})])
    (task,) = load_jsonl(path, require_answers=False)
    assert task.answers == [] and task.ground_truth is None


def test_task_is_immutable() -> None:
    task = Task(id="1", question="q", answers=["a"])
    with pytest.raises(ValueError):
        task.question = "other"  # type: ignore[misc]


# -- the shared formats, on small copies -----------------------------------------------------


@pytest.fixture
def fake_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    gsm = {"question": "How many?", "answer": "Add.\n1000+234 = <<1000+234=1234>>1234\n#### 1,234"}
    write_lines(root / "gsm8k" / "test.jsonl", [json.dumps(gsm)])
    write_lines(
        root / "deepresearcher" / "test.jsonl",
        [json.dumps({"question": "Q", "ground_truth": "A<|answer_split|>B ", "data_source": "nq"})],
    )
    (root / "simpleqa").mkdir(parents=True)
    (root / "simpleqa" / "simple_qa_test_set.csv").write_text(
        "metadata,question,true_answer\n"
        "\"{'topic': 'Art', 'urls': ['u']}\",\"Who painted it,\nand when?\",Monet\n"
        "\"{'topic': 'Music'}\",Who sang?,Cher\n",
        encoding="utf-8",
    )
    question = {"_id": "h1", "question": "Q?", "answer": "yes", "level": "easy", "type": "bridge"}
    (root / "hotpotqa100").mkdir(parents=True)
    (root / "hotpotqa100" / "questions.json").write_text(json.dumps([question]), encoding="utf-8")
    (root / "hotpotqa100" / "corpus.json").write_text("{}", encoding="utf-8")
    monkeypatch.setenv("MEMENTO_DATA_DIR", str(root))
    return root


def test_data_dir_defaults_next_to_the_repository_and_follows_the_env(
    fake_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert data_dir() == fake_data
    monkeypatch.delenv("MEMENTO_DATA_DIR")
    repo = Path(datasets.__file__).resolve().parents[1]
    assert data_dir() == repo.parent / "shared" / "data"


def test_gsm8k_answer_is_the_number_after_the_marks(fake_data: Path) -> None:
    (task,) = load_gsm8k("test")
    assert task.answers == ["1234", "1,234"]
    assert task.metadata["solution"].startswith("Add.") and "####" not in task.metadata["solution"]
    assert task.id == "gsm8k-test-1"


def test_gsm8k_without_final_answer_names_the_line(fake_data: Path) -> None:
    write_lines(
        fake_data / "gsm8k" / "train.jsonl",
        [
            json.dumps({"question": "q", "answer": "#### 1"}),
            json.dumps({"question": "q", "answer": "7"}),
        ],
    )
    with pytest.raises(DatasetError, match="line 2: answer has no '#### N'"):
        load_gsm8k("train")
    assert len(load_gsm8k("train", skip_bad=True).skipped) == 1


def test_deepresearcher_splits_aliases(fake_data: Path) -> None:
    (task,) = load_deepresearcher()
    assert task.answers == ["A", "B"] and task.metadata["data_source"] == "nq"


def test_simpleqa_parses_the_metadata_literal_and_multiline_fields(fake_data: Path) -> None:
    first, second = load_simpleqa()
    assert first.question == "Who painted it,\nand when?" and first.answers == ["Monet"]
    assert first.metadata == {"topic": "Art", "urls": ["u"], "row": 1}
    assert second.id == "simpleqa-2" and second.answers == ["Cher"]


def test_simpleqa_bad_row_names_its_first_line(fake_data: Path) -> None:
    path = fake_data / "simpleqa" / "simple_qa_test_set.csv"
    path.write_text(path.read_text() + "\"{'topic'\",Broken?,x\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="line 5: metadata"):
        load_simpleqa()


def test_hotpotqa_keeps_id_and_facts_and_names_a_bad_item(fake_data: Path) -> None:
    (task,) = load_hotpotqa100()
    assert task.id == "h1" and task.answers == ["yes"] and task.metadata["type"] == "bridge"
    assert hotpotqa_corpus_path() == fake_data / "hotpotqa100" / "corpus.json"
    path = fake_data / "hotpotqa100" / "questions.json"
    path.write_text(json.dumps([{"question": "Q?", "answer": "a"}, {"question": "no answer"}]))
    with pytest.raises(DatasetError, match="item 2"):
        load_hotpotqa100()
    assert [t.id for t in load_hotpotqa100(skip_bad=True)] == ["hotpotqa100-1"]


def test_load_dataset_by_name_or_path(fake_data: Path, tmp_path: Path) -> None:
    assert load_dataset("gsm8k-test")[0].answers[0] == "1234"
    own = write_lines(tmp_path / "own.jsonl", [json.dumps({"question": "q", "answer": "a"})])
    assert load_dataset(str(own))[0].id == "own-1"
    with pytest.raises(ValueError, match="unknown data set"):
        load_dataset("nope")


def test_a_missing_file_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEMENTO_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="MEMENTO_DATA_DIR"):
        load_gsm8k("test")


# -- the real shared data, where present -----------------------------------------------------

SHARED = Path(datasets.__file__).resolve().parents[1].parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="shared/data is not next to the repo")


@needs_shared
def test_the_shared_data_sets_load_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEMENTO_DATA_DIR", raising=False)
    sizes = {
        "gsm8k-train": 7473,
        "gsm8k-test": 1319,
        "hotpotqa100": 100,
        "deepresearcher": 3197,
        "simpleqa": 4326,
    }
    loaded = {name: load_dataset(name) for name in sizes}
    for name, size in sizes.items():
        tasks = loaded[name]
        assert len(tasks) == size and not tasks.skipped, name
        assert all(t.question and t.answers for t in tasks), name
        assert len({t.id for t in tasks}) == size, name
    assert loaded["gsm8k-train"][0].answers == ["72"]
    assert loaded["simpleqa"][0].answers == ["Michio Sugeno"]
    assert loaded["hotpotqa100"][0].answers == ["a spirit"]
    assert loaded["deepresearcher"][1].answers == [
        "Bloomsburg",
        "The Only Town in Pennsylvania",
        "Eyersburg",
    ]
    assert hotpotqa_corpus_path().is_file()
