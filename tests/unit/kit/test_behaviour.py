"""The kit applies every behaviour action one way (sandbox.kit.behaviour), whatever the party."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import APIRouter

from sandbox.kit.behaviour import Behaviour, Dropped
from sandbox.kit.errors import Forced, SandboxError
from sandbox.kit.party import create_party_app
from sandbox.kit.rules import RuleSet

OPS = {"demo.move": {"account"}}


class _Clock:
    """Records requested sleeps instead of sleeping (deterministic, instant)."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def behaviour(*rules: dict[str, object]) -> tuple[Behaviour, _Clock]:
    rs = RuleSet(OPS)
    rs.replace(list(rules))
    clock = _Clock()
    return Behaviour(rs, sleep=clock.sleep), clock


def rule(action: dict[str, object]) -> dict[str, object]:
    return {"match": {"operation": "demo.move", "fields": {"account": "A"}}, "action": action}


async def _move(b: Behaviour, done: list[str], account: str = "A") -> str:
    async with b.at("demo.move", {"account": account}) as forced:
        if forced.decline:
            raise SandboxError(forced.message or "declined", code=forced.decline, status=409)
        done.append(account)
        return "moved"


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_no_rule_carries_out_and_answers_at_once() -> None:
    b, clock = behaviour()
    done: list[str] = []
    assert run(_move(b, done)) == "moved"
    assert done == ["A"]
    assert clock.slept == []


def test_error_answers_the_rule_error_without_carrying_out() -> None:
    b, clock = behaviour(rule({"error": {"status": 502, "code": "core_down", "message": "caído"}, "delay_s": 2}))
    done: list[str] = []
    with pytest.raises(Forced) as info:
        run(_move(b, done))
    assert (info.value.status, info.value.code, info.value.message) == (502, "core_down", "caído")
    assert done == []
    assert clock.slept == [2]


def test_decline_is_the_partys_answer_and_nothing_is_done() -> None:
    b, _ = behaviour(rule({"decline": "insufficient_funds", "message": "sin fondos"}))
    done: list[str] = []
    with pytest.raises(SandboxError) as info:
        run(_move(b, done))
    assert info.value.code == "insufficient_funds"
    assert done == []


def test_delay_delays_every_answer_after_carrying_out() -> None:
    b, clock = behaviour(rule({"delay_s": 1.5}))
    done: list[str] = []
    assert run(_move(b, done)) == "moved"
    assert done == ["A"]
    assert clock.slept == [1.5]


def test_delay_also_delays_a_decline() -> None:
    b, clock = behaviour(rule({"decline": "x", "delay_s": 0.5}))
    with pytest.raises(SandboxError):
        run(_move(b, []))
    assert clock.slept == [0.5]


def test_drop_carries_out_then_loses_the_answer() -> None:
    b, _ = behaviour(rule({"drop": True}))
    done: list[str] = []
    with pytest.raises(Dropped):
        run(_move(b, done))
    assert done == ["A"]


def test_rules_match_only_their_fields() -> None:
    b, _ = behaviour(rule({"drop": True}))
    done: list[str] = []
    assert run(_move(b, done, account="B")) == "moved"
    assert done == ["B"]


def test_pending_is_read_by_the_party() -> None:
    b, _ = behaviour(rule({"pending": True, "pending_s": 60, "then": "decline"}))
    forced = b.forcing("demo.move", {"account": "A"})
    assert (forced.pending, forced.pending_s, forced.then) == (True, 60, "decline")
    assert not b.forcing("demo.move", {"account": "B"}).matched


def test_a_party_app_closes_the_connection_on_drop(tmp_path: object) -> None:
    """Through a real party app: the answer starts and never completes, though the move was made
    (uvicorn then closes the connection: the caller gets no answer)."""
    from sandbox.config import SandboxConfig
    from sandbox.kit.party import PartyContext

    rs = RuleSet(OPS)
    rs.replace([rule({"drop": True})])
    b = Behaviour(rs)
    done: list[str] = []
    ctx = PartyContext.create("notify", SandboxConfig(state_dir=str(tmp_path)))
    router = APIRouter()

    @router.post("/move/{account}")
    async def move(account: str) -> dict[str, str]:
        return {"result": await _move(b, done, account)}

    app = create_party_app(ctx, title="t", description="d", routers=[router], rules=rs)

    async def call(account: str) -> list[dict[str, object]]:
        sent: list[dict[str, object]] = []
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": f"/move/{account}",
            "raw_path": f"/move/{account}".encode(),
            "query_string": b"",
            "headers": [(b"host", b"party")],
            "client": ("127.0.0.1", 1),
            "server": ("party", 80),
            "root_path": "",
        }

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, object]) -> None:
            sent.append(message)

        await app(scope, receive, send)  # type: ignore[arg-type]
        return sent

    answered = asyncio.run(call("B"))
    assert answered[-1]["type"] == "http.response.body" and b"moved" in answered[-1]["body"]  # type: ignore[operator]
    dropped = asyncio.run(call("A"))
    assert [m["type"] for m in dropped] == ["http.response.start"]
    assert done == ["B", "A"]
