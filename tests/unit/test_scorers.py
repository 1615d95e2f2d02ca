"""The answer scorers: the numeric scorer reads the answer's number, not its working."""

from __future__ import annotations

import pytest

from nodes.scorers import exact_match, numeric_match, score_answer, token_f1


@pytest.mark.parametrize(
    "answer",
    [
        "395",
        "395 (17*23+4)",  # the answer first, its working in brackets
        "395, since 17*23 = 391 and 391 + 4",
        "17*23+4 = 395",  # the working first, the answer after the last '='
        "17 * 23 = 391; 391 + 4 = 395",
        "The answer is 395 (17*23 = 391, then + 4).",
        "So the total comes to $395.",
        "(395)",
    ],
)
def test_the_answer_number_is_scored_in_either_order(answer: str) -> None:
    assert numeric_match(answer, "395") == 1.0


@pytest.mark.parametrize(
    "answer",
    ["391 (17*23, then add 4)", "17*23+4 = 391", "The answer is 391 (not 395)", "no idea"],
)
def test_a_wrong_answer_is_not_rescued_by_its_working(answer: str) -> None:
    assert numeric_match(answer, "395") == 0.0


def test_numbers_with_separators_and_fractions() -> None:
    assert numeric_match("1,000 apples", "1000") == 1.0
    assert numeric_match("-3.5 degrees", "-7/2") == 1.0
    assert numeric_match("Janet makes $18 every day. #### 18", "#### 18") == 1.0


def test_auto_picks_numbers_for_a_numeric_truth_and_exact_match_otherwise() -> None:
    assert score_answer("395 (17*23+4)", "395") == (1.0, "numeric")
    assert score_answer("The Eiffel Tower", "eiffel tower") == (1.0, "exact")
    assert exact_match("Paris, France", "Paris") == 0.0
    assert token_f1("Paris, France", "Paris") == pytest.approx(2 / 3)
