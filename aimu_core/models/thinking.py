"""Separating ``<think>...</think>`` reasoning from answer text, chunk by chunk."""

from __future__ import annotations

__all__ = ["ThinkSplitter"]

_OPEN, _CLOSE = "<think>", "</think>"


class ThinkSplitter:
    """Split a text stream into ``(thinking, answer)`` pieces.

    Tags may arrive split across chunks (``"<thi"`` then ``"nk>"``): the
    splitter holds back only the characters that could still become a tag.
    Set ``in_thinking=True`` when the prompt already opened the tag (some chat
    templates end with ``<think>``), so reasoning cut off before ``</think>``
    is never mistaken for the answer.
    """

    def __init__(self, *, in_thinking: bool = False) -> None:
        self.in_thinking = in_thinking
        self._pending = ""

    def feed(self, text: str) -> tuple[str, str]:
        """Consume *text*; return the ``(thinking, answer)`` that is now certain."""
        buffer = self._pending + text
        self._pending = ""
        thinking: list[str] = []
        answer: list[str] = []
        while buffer:
            tag = _CLOSE if self.in_thinking else _OPEN
            out = thinking if self.in_thinking else answer
            index = buffer.find(tag)
            if index >= 0:
                out.append(buffer[:index])
                buffer = buffer[index + len(tag) :]
                self.in_thinking = not self.in_thinking
                continue
            keep = _partial_suffix(buffer, tag)
            out.append(buffer[: len(buffer) - keep])
            self._pending = buffer[len(buffer) - keep :]
            break
        return "".join(thinking), "".join(answer)

    def flush(self) -> tuple[str, str]:
        """End of stream: return what was held back as a possible tag start."""
        rest, self._pending = self._pending, ""
        return (rest, "") if self.in_thinking else ("", rest)


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest suffix of *text* that is a proper prefix of *tag*."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:size]):
            return size
    return 0
