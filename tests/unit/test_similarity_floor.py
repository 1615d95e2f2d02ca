"""The figures behind the similarity floor (`benchmarks/similarity_floor.py`), on the lexical
embedder (nothing to download)."""

from __future__ import annotations

from benchmarks.similarity_floor import main, nearest_useful, unrelated_cosines
from evals.worlds.lexical import LexicalEmbedder


def test_the_lexical_embedder_scores_some_paraphrases_as_low_as_unrelated_questions() -> None:
    embedder = LexicalEmbedder()
    unrelated = unrelated_cosines(embedder)
    assert unrelated.size == 190 and unrelated.max() < 0.5
    nearest = nearest_useful(embedder, seed=0)
    assert len(nearest) == 5
    below_old_floor = [name for name, cosines in nearest.items() if cosines.mean() < 0.3]
    assert len(below_old_floor) >= 2  # what a floor of 0.3 hid (issue 25, the lexical world)
    assert min(c.mean() for c in nearest.values()) < unrelated.max()


def test_the_script_prints_both_embedders_and_its_command(capsys) -> None:
    assert main(["--seeds", "0", "--floor", "0.25"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("minilm: unrelated pairs median") and "\nlexical: " in out
    assert out.rstrip().endswith("python -m benchmarks.similarity_floor --seeds 0 --floor 0.25")
