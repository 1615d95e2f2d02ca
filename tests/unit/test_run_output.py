"""`memento run`'s output explains itself to someone who has not read the docs: what sim, Q and
mu mean on the retrieve lines (once), what the reward's scale is, and that an eval-mode run
wrote nothing."""

from __future__ import annotations

import io
from pathlib import Path

from graphs.settings import load_settings
from memento.cli.progress import ProgressPrinter
from memento.cli.run import run_task
from tests.fakes import HashingEmbedder, final_plan_reply, scripted

TASK = {"task": "Name the capital of France.", "ground_truth": "Paris"}


async def _run(store: Path, mode: str, answer: str = "Paris", **context: object) -> str:
    settings = load_settings(
        None, store=str(store), base_url="http://127.0.0.1:9/v1", mode=mode, **context
    )
    settings.enabled_servers = []
    model = scripted(final_plan_reply(answer))
    out = io.StringIO()
    await run_task(
        settings,
        TASK,
        ProgressPrinter(out),
        embedder=HashingEmbedder(dim=64),
        chat_model=lambda ctx, role: model,
    )
    return out.getvalue()


async def test_a_first_run_says_the_planner_had_no_memory_and_what_the_reward_means(
    tmp_path: Path,
) -> None:
    out = await _run(tmp_path / "bank", "train")
    assert "retrieve  0 candidate cases, 0 read (no similar case in the bank yet" in out
    assert "reward  1.00 (1 = right, 0 = wrong; exact)" in out
    assert "sim = " not in out  # no case was read: nothing to explain


async def test_the_retrieve_lines_say_once_what_sim_q_and_mu_mean(tmp_path: Path) -> None:
    await _run(tmp_path / "bank", "train")
    out = await _run(tmp_path / "bank", "train", answer="Lyon")
    lines = out.splitlines()
    read = next(i for i, line in enumerate(lines) if line.startswith("retrieve  1 candidate case,"))
    legend = " ".join(" ".join(lines[read + 1 : read + 4]).split())
    assert "sim = similarity to this task" in legend
    assert "Q = the reward expected of reading the case" in legend  # shared credit: 0 to 1
    assert "mu = the policy's chance of reading it" in legend
    assert "Q=" in lines[read + 4] and "mu=" in lines[read + 4] and "sim=" in lines[read + 4]
    assert out.count("sim = ") == 1
    assert "reward  0.00 (1 = right, 0 = wrong;" in out
    assert "visits recorded (Q learns from this reward)" in out


async def test_with_similarity_retrieval_q_is_said_to_be_the_similarity(tmp_path: Path) -> None:
    await _run(tmp_path / "bank", "train")
    out = await _run(tmp_path / "bank", "train", retrieval="similarity")
    assert "Q = sim (similarity retrieval learns no Q)" in out


async def test_an_eval_run_says_it_wrote_nothing(tmp_path: Path) -> None:
    await _run(tmp_path / "bank", "train")
    out = await _run(tmp_path / "bank", "eval")
    assert "eval mode: measures only, writes nothing" in out.splitlines()[1]
    assert out.splitlines()[-1] == "update  eval mode: nothing was written (no case, no visit)"
    assert "written\n" not in out
