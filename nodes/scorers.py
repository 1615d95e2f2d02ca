"""Answer scorers: normalised exact match, numeric match, token F1; aliases supported.

A ground truth may hold several accepted answers joined by `<|answer_split|>`; a GSM8K-style
solution ending in `#### N` counts as the answer N.

The numeric scorer reads one number from a predicted answer, the answer's own, not the working
shown beside it (`answer_number`): text in brackets is set aside as working; then a number the
answer starts with wins when no operator follows it ("395 (17*23+4)", "395, since 17*23 = 391");
else the first number after the last `=`, `####` or "answer is"/"answer:" ("17*23+4 = 395");
else the last number ("so we get 395").

`measured_judgement` is the reward of an answer when no judge model is needed (the judge node,
the middleware and `memento mcp` share it).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from fractions import Fraction

from nodes.schemas import Judgement

ALIAS_SEPARATOR = "<|answer_split|>"
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:/\d+)?|-?\.\d+")
_WORKING = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_ANSWER_MARKER = re.compile(r"=|####|answer(?: is|:)", re.IGNORECASE)
_LEADING_NUMBER = re.compile(r"\s*(" + _NUMBER.pattern + r")(?!\s*[-+*/×÷^%\d])")


def split_aliases(truth: str) -> list[str]:
    """The accepted answers in a ground truth (GSM8K solutions reduce to their final number)."""
    if "####" in truth:
        truth = truth.rsplit("####", 1)[1]
    return [alias.strip() for alias in truth.split(ALIAS_SEPARATOR) if alias.strip()]


def normalize_answer(text: str) -> str:
    """Lower case, no punctuation, no articles, single spaces (SQuAD's normalisation)."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in string.punctuation)
    return " ".join(_ARTICLES.sub(" ", text).split())


def parse_number(text: str) -> Fraction | None:
    """The last number in a text ("1,000" and "1000.0" both give 1000), or None."""
    matches = _NUMBER.findall(text.replace("$", ""))
    return _fraction(matches[-1]) if matches else None


def answer_number(answer: str) -> Fraction | None:
    """The number a predicted answer gives, not its working (rule in the module docstring)."""
    text = answer.replace("$", "")
    while (stripped := _WORKING.sub(" ", text)) != text:  # nested brackets, innermost first
        text = stripped
    if not _NUMBER.search(text):
        text = answer.replace("$", "")  # the whole answer was in brackets, e.g. "(395)"
    if leading := _LEADING_NUMBER.match(text):
        return _fraction(leading.group(1))
    markers = list(_ANSWER_MARKER.finditer(text))
    if markers and (after := _NUMBER.search(text, markers[-1].end())):
        return _fraction(after.group())
    return parse_number(text)


def _fraction(token: str) -> Fraction | None:
    try:
        return Fraction(token.replace(",", ""))
    except (ValueError, ZeroDivisionError):
        return None


def exact_match(prediction: str, truth: str) -> float:
    """1.0 when the normalised prediction equals a normalised alias."""
    predicted = normalize_answer(prediction)
    return float(any(predicted == normalize_answer(alias) for alias in split_aliases(truth)))


def numeric_match(prediction: str, truth: str, *, rel_tol: float = 1e-6) -> float:
    """1.0 when the prediction's answer number equals an alias's number (within rel_tol)."""
    predicted = answer_number(prediction)
    if predicted is None:
        return 0.0
    for alias in split_aliases(truth):
        expected = parse_number(alias)
        if expected is not None and abs(predicted - expected) <= rel_tol * max(1, abs(expected)):
            return 1.0
    return 0.0


def token_f1(prediction: str, truth: str) -> float:
    """The best token-overlap F1 of the prediction against any alias."""
    predicted = normalize_answer(prediction).split()
    best = 0.0
    for alias in split_aliases(truth):
        expected = normalize_answer(alias).split()
        common = sum((Counter(predicted) & Counter(expected)).values())
        if common:
            precision, recall = common / len(predicted), common / len(expected)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def is_numeric_truth(truth: str) -> bool:
    """Whether every alias is a plain number (then numbers are compared, not strings)."""
    aliases = split_aliases(truth)
    return bool(aliases) and all(
        re.fullmatch(r"\s*" + _NUMBER.pattern + r"\s*", a.replace("$", "")) for a in aliases
    )


def score_answer(prediction: str, truth: str, scorer: str = "auto") -> tuple[float, str]:
    """(reward, method) for a prediction against a ground truth with a non-LLM scorer.

    'auto' compares numbers when the truth is numeric, else normalised exact match.
    """
    if scorer == "auto":
        scorer = "numeric" if is_numeric_truth(truth) else "exact"
    functions = {"exact": exact_match, "numeric": numeric_match, "f1": token_f1}
    if scorer not in functions:
        raise ValueError(f"unknown scorer {scorer!r}; expected one of {', '.join(functions)}")
    return functions[scorer](prediction, truth), scorer


def measured_judgement(
    answer: str, truth: str, scorer: str, *, error: str | None = None
) -> Judgement | None:
    """The reward when no model is needed, else None (a judge model must decide).

    No answer scores 0; a ground truth with a non-LLM scorer is scored by `score_answer`.
    """
    if not answer:
        return Judgement(reward=0.0, method="no_answer", rationale=error or "no final answer")
    if truth and scorer != "llm":
        reward, method = score_answer(answer, truth, scorer)
        return Judgement(reward=reward, method=method, rationale=f"expected {truth!r}")
    return None
