"""``<think>`` splitting across chunk boundaries (``ThinkSplitter``)."""

from __future__ import annotations

import pytest

from aimu_core.models import (
    ThinkSplitter,
)


def split_all(pieces: list[str], *, in_thinking: bool = False) -> tuple[str, str]:
    splitter = ThinkSplitter(in_thinking=in_thinking)
    thinking, answer = "", ""
    for piece in pieces:
        t, a = splitter.feed(piece)
        thinking, answer = thinking + t, answer + a
    t, a = splitter.flush()
    return thinking + t, answer + a


CASES = [
    ("<think>plan it</think>The answer.", ("plan it", "The answer.")),
    ("no tags at all", ("", "no tags at all")),
    ("a < b and c <th d", ("", "a < b and c <th d")),
    ("<think>x < y</thinking> still</think>done", ("x < y</thinking> still", "done")),
    ("pre<think>one</think>mid<think>two</think>post", ("onetwo", "premidpost")),
    ("<think>cut off before the end", ("cut off before the end", "")),
    ("ends with a partial tag <thin", ("", "ends with a partial tag <thin")),
    ("<think>ends inside </thi", ("ends inside </thi", "")),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_think_splitter_whole_and_at_every_split_point(
    text: str, expected: tuple[str, str]
) -> None:
    assert split_all([text]) == expected
    assert split_all(list(text)) == expected  # one character at a time
    for i in range(len(text) + 1):
        assert split_all([text[:i], text[i:]]) == expected, i


def test_think_splitter_holds_back_only_a_possible_tag() -> None:
    splitter = ThinkSplitter()
    assert splitter.feed("Hello <") == ("", "Hello ")
    assert splitter.feed("b>") == ("", "<b>")
    assert splitter.feed("<think") == ("", "")
    assert splitter.feed(">why") == ("why", "")
    assert splitter.feed("</think>") == ("", "")
    assert splitter.in_thinking is False


def test_think_splitter_prompt_already_opened_the_tag() -> None:
    assert split_all(["reasoning</think>answer"], in_thinking=True) == ("reasoning", "answer")
    # reasoning cut off by max_tokens is never mistaken for the answer
    assert split_all(["still reasoning"], in_thinking=True) == ("still reasoning", "")
