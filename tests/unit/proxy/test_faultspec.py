from __future__ import annotations

from typing import Any

import pytest

from sandbox.proxy.faultspec import FaultBook, FaultSpecError, fault_from_dict, parse_fault

PARTIES = {"red", "switch", "ceibo", "gateway", "ach"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'drop_response from=red to=switch op="POST /sicoop/v1/withdrawals/*/confirm" count=1',
            {
                "kind": "drop_response",
                "from": "red",
                "to": "switch",
                "op": "POST /sicoop/v1/withdrawals/*/confirm",
                "count": 1,
                "probability": 1.0,
                "seed": 1,
                "hold_s": 30.0,
            },
        ),
        ("error from=gateway to=ach status=502", {"kind": "error", "status": 502, "count": None}),
        ("error", {"status": 503, "from": "*", "to": "*", "op": "*"}),
        ("delay to=ceibo delay=500ms", {"kind": "delay", "delay_s": 0.5}),
        ("delay delay=2s", {"delay_s": 2.0}),
        ("delay delay=1.5", {"delay_s": 1.5}),
        ("drop_request hold=1m", {"hold_s": 60.0}),
        ("duplicate p=0.25 seed=9", {"probability": 0.25, "seed": 9}),
        ("reset op=confirmWithdrawal", {"op": "confirmWithdrawal"}),
    ],
)
def test_parse(text: str, expected: dict[str, Any]) -> None:
    spec = parse_fault(text, PARTIES).to_dict()
    assert {k: spec[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("text", "field", "says"),
    [
        ("", "kind", "vacía"),
        ("explode", "kind", "no es una falla"),
        ("error from=bank", "from", "participante desconocido"),
        ("error to=", "to", "falta el participante"),
        ("error count=0", "count", "al menos 1"),
        ("error count=dos", "count", "entero"),
        ("error probability=0", "probability", "entre 0"),
        ("error p=1.5", "probability", "entre 0"),
        ("error p=mucho", "probability", "número"),
        ("error status=404", "status", "5xx"),
        ("delay delay=-1", "delay", "duración no válida"),
        ("delay delay=10h", "delay", "duración no válida"),
        ("delay delay=301", "delay", "como máximo"),
        ("drop_request hold=0", "hold", "entre 0"),
        ("error delay=1s", "delay", "solo aplica a delay"),
        ("delay status=500", "status", "solo aplica a error"),
        ("reset hold=1s", "hold", "solo aplica a drop_request, drop_response"),
        ("error op=/a?b", "op", "query string"),
        ("error colour=red", "colour", "clave desconocida"),
        ("error from", None, "clave=valor"),
        ('error op="unclosed', None, "no se puede leer"),
    ],
)
def test_parse_errors_name_the_field(text: str, field: str | None, says: str) -> None:
    with pytest.raises(FaultSpecError, match=says) as info:
        parse_fault(text, PARTIES)
    assert info.value.field == field


@pytest.mark.parametrize(
    "text",
    [
        'drop_response from=red to=switch op="POST /sicoop/v1/withdrawals/*/confirm" count=1',
        "delay to=ceibo delay=0.25s probability=0.5 seed=3",
        "error from=gateway to=ach op=/psewebapinf/** status=502",
        "drop_request hold=5s",
    ],
)
def test_text_form_round_trips(text: str) -> None:
    spec = parse_fault(text)
    assert parse_fault(spec.to_text()) == spec


def test_dict_form_accepts_aliases() -> None:
    spec = fault_from_dict({"kind": "delay", "from_party": "red", "to_party": "switch", "delay_s": 2, "p": 0.5})
    assert (spec.from_party, spec.to_party, spec.delay_s, spec.probability) == ("red", "switch", 2.0, 0.5)


def test_dict_form_refuses_booleans_as_numbers() -> None:
    with pytest.raises(FaultSpecError) as info:
        fault_from_dict({"kind": "error", "count": True})
    assert info.value.field == "count"


def test_unknown_parties_are_accepted_without_a_party_list() -> None:
    assert parse_fault("error from=anyone").from_party == "anyone"


def _plan(book: FaultBook, frm: str = "red", to: str = "switch", path: str = "/sicoop/v1/withdrawals") -> int | None:
    fault = book.plan(frm, to, "POST", path)
    return fault.id if fault else None


def test_count_spends_the_fault_and_it_stays_listed() -> None:
    book = FaultBook()
    book.add(parse_fault("error from=red count=2"))
    assert [_plan(book) for _ in range(4)] == [1, 1, None, None]
    (fault,) = book.faults()
    assert (fault.applied, fault.remaining, fault.spent) == (2, 0, True)


def test_first_match_wins_then_the_next_once_spent() -> None:
    book = FaultBook()
    book.add(parse_fault("error to=switch count=1"))
    book.add(parse_fault("reset to=switch"))
    assert [_plan(book) for _ in range(3)] == [1, 2, 2]


def test_only_matching_flows_are_broken() -> None:
    book = FaultBook()
    book.add(parse_fault('error from=red to=switch op="POST /sicoop/v1/withdrawals/*/confirm"'))
    assert _plan(book, path="/sicoop/v1/withdrawals") is None
    assert _plan(book, frm="gateway", path="/sicoop/v1/withdrawals/w1/confirm") is None
    assert _plan(book, to="ceibo", path="/sicoop/v1/withdrawals/w1/confirm") is None
    assert _plan(book, path="/sicoop/v1/withdrawals/w1/confirm") == 1
    assert book.faults()[0].matched == 1


def test_probability_is_deterministic_for_a_seed() -> None:
    def run(seed: int) -> list[int | None]:
        book = FaultBook()
        book.add(parse_fault(f"error p=0.3 seed={seed}"))
        return [_plan(book) for _ in range(200)]

    first = run(7)
    assert first == run(7)
    assert first != run(8)
    hits = sum(1 for x in first if x)
    assert 40 <= hits <= 80  # ~30 % of 200
    fault_book = FaultBook()
    fault_book.add(parse_fault("error p=0.3 seed=7"))
    for _ in range(200):
        _plan(fault_book)
    assert (fault_book.faults()[0].matched, fault_book.faults()[0].applied) == (200, hits)


def test_remove_and_clear() -> None:
    book = FaultBook()
    book.add(parse_fault("error"))
    second = book.add(parse_fault("reset"))
    assert book.remove(1) and not book.remove(1)
    assert [f.id for f in book.faults()] == [second.id]
    assert book.clear() == 1 and book.faults() == []
    assert book.add(parse_fault("error")).id == 3  # ids are never reused


def test_book_has_a_limit() -> None:
    book = FaultBook(limit=2)
    book.add(parse_fault("error"))
    book.add(parse_fault("error"))
    with pytest.raises(FaultSpecError, match="ya hay 2"):
        book.add(parse_fault("error"))
