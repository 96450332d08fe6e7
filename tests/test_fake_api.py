"""The base of a plugin's fake provider API (``aimu_core.testing.fake_api``), over a tiny JSON wire."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from aimu_core.testing import FakeAPI, Request, Response, Turn, last_user_text


class FakeTiny(FakeAPI):
    """``POST /chat`` with ``{"messages": [...]}`` answers ``{"text": ...}``; a fault is a 500."""

    def answer(self, request: Request) -> Response:
        if request.path != "/chat":
            return Response.json({"error": "not found"}, 404)
        body = request.json()
        reply = self.next_reply(request, echo=last_user_text(body.get("messages")))
        if isinstance(reply, Response):
            return reply
        if reply.fail:
            return Response.json({"error": reply.fail}, 500)
        return Response.json({"text": reply.text})


def post(fake: FakeAPI, text: str, path: str = "/chat", **headers: str) -> tuple[int, Any]:
    body = {"messages": [{"role": "user", "content": text}]}
    request = urllib.request.Request(
        fake.url + path, json.dumps(body).encode(), {"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.load(error)


@pytest.fixture
def fake() -> Iterator[FakeTiny]:
    with FakeTiny() as server:
        yield server


def test_scripted_replies_play_in_order_then_it_echoes(fake: FakeTiny) -> None:
    fake.script([Turn("first"), "second", Response.json({"raw": True}, 201)])
    fake.script([lambda request: Response.json({"path": request.path})])
    assert post(fake, "hi") == (200, {"text": "first"})
    assert post(fake, "hi") == (200, {"text": "second"})  # a string is a Turn
    assert post(fake, "hi") == (201, {"raw": True})
    assert post(fake, "hi") == (200, {"path": "/chat"})  # a handler gets the request
    assert post(fake, "say this back") == (200, {"text": "say this back"})
    assert [b["messages"][0]["content"] for b in fake.bodies] == ["hi"] * 4 + ["say this back"]


def test_a_turn_fault_is_left_to_the_wire_format(fake: FakeTiny) -> None:
    fake.script([Turn(fail="server_error")])
    assert post(fake, "hi") == (500, {"error": "server_error"})


def test_only_api_calls_are_logged_and_take_a_reply(fake: FakeTiny) -> None:
    fake.script(["kept for the API call"])
    assert post(fake, "hi", path="/elsewhere")[0] == 404
    assert post(fake, "hi", **{"X-Team": "blue"}) == (200, {"text": "kept for the API call"})
    assert [r.path for r in fake.log] == ["/chat"]
    assert fake.headers[-1]["x-team"] == "blue"
    assert len(fake.server.requests) == 2  # the server's own log sees both


def test_reset_forgets_queued_replies(fake: FakeTiny) -> None:
    fake.script(["never sent"])
    fake.reset()
    assert post(fake, "echoed") == (200, {"text": "echoed"})


def test_reset_keeps_the_logs_from_growing_across_rounds(fake: FakeTiny) -> None:
    """A long benchmark resets one server between rounds: its memory must stay flat."""
    for round_ in range(5):
        fake.reset()
        fake.script([f"round {round_}"] * 3)
        for _ in range(3):
            post(fake, "hi", **{"X-Round": str(round_)})
        assert len(fake.log) == len(fake.bodies) == len(fake.headers) == 3
        assert len(fake.server.requests) == 3
        assert {h["x-round"] for h in fake.headers} == {str(round_)}
    fake.reset()
    assert fake.log == [] and fake.bodies == [] and fake.headers == []
    assert fake.server.requests == []


def test_url_lifecycle_and_context_manager() -> None:
    fake = FakeTiny()
    assert fake.url.startswith("http://127.0.0.1:")
    with fake as entered:
        assert entered is fake
        assert post(fake, "up") == (200, {"text": "up"})


def test_the_base_alone_answers_nothing() -> None:
    with FakeAPI() as fake:
        status, body = post(fake, "hi")
    assert status == 500 and "must implement answer()" in body["error"]["message"]


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}], "a"),
        ([{"role": "user", "content": [{"type": "text", "text": "x"}, {"type": "image"}]}], "x"),
        (
            [
                {"role": "user", "content": [{"type": "text", "text": "x"}, {"text": "y"}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t"}]},
            ],
            "x",  # a user turn with no text (tool results only) is passed over
        ),
        (
            [
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "1"}, {"type": "text", "text": "2"}],
                }
            ],
            "1 2",
        ),
        ([{"role": "system", "content": "s"}], ""),
        (None, ""),
        ("not a list", ""),
        (["not a message", {"role": "user", "content": 7}], ""),
    ],
)
def test_last_user_text(messages: Any, expected: str) -> None:
    assert last_user_text(messages) == expected
