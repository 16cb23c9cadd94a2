from __future__ import annotations

import pytest

from sandbox.kit.errors import InvalidInput
from sandbox.kit.rules import RuleSet

OPS = {"ceibo.hold": {"card_id", "phone"}, "ceibo.post": {"card_id"}, "notify.sms": {"to"}}


def rules(*items: dict[str, object]) -> RuleSet:
    rs = RuleSet(OPS)
    rs.replace(list(items))
    return rs


def test_first_match_wins_in_order() -> None:
    rs = rules(
        {
            "id": "a",
            "match": {"operation": "ceibo.hold", "fields": {"card_id": "DIMO-0001"}},
            "action": {"decline": "card_blocked"},
        },
        {"id": "b", "match": {"operation": "ceibo.*"}, "action": {"decline": "generic"}},
    )
    action = rs.evaluate("ceibo.hold", {"card_id": "DIMO-0001"})
    assert action is not None and action.decline == "card_blocked"
    other = rs.evaluate("ceibo.post", {"card_id": "DIMO-0001"})
    assert other is not None and other.decline == "generic"
    assert rs.evaluate("notify.sms", {"to": "3001234567"}) is None


@pytest.mark.parametrize(
    ("condition", "value", "hit"),
    [
        ("DIMO-0001", "DIMO-0001", True),
        ("DIMO-0001", "DIMO-0002", False),
        (["A", "B"], "B", True),
        (["A", "B"], "C", False),
        ({"prefix": "0981"}, "0981123456", True),
        ({"suffix": "99"}, "0981123456", False),
        ({"in": ["x", 5]}, 5, True),
        (5, "5", True),
    ],
)
def test_field_conditions(condition: object, value: object, hit: bool) -> None:
    rs = rules({"match": {"operation": "ceibo.hold", "fields": {"phone": condition}}, "action": {"delay_s": 1}})
    assert (rs.evaluate("ceibo.hold", {"phone": value}) is not None) is hit


@pytest.mark.parametrize(
    ("amount_minor", "exponent", "hit"),
    [
        (99_999, 2, False),
        (100_000, 2, True),
        (500_000, 2, True),
        (500_001, 2, False),
        (None, 2, False),
        (1000, 0, True),
    ],
)
def test_amount_ranges_are_decimal_and_inclusive(amount_minor: int | None, exponent: int, hit: bool) -> None:
    rs = rules(
        {"match": {"operation": "ceibo.hold", "amount": {"min": "1000.00", "max": "5000"}}, "action": {"decline": "x"}}
    )
    assert (rs.evaluate("ceibo.hold", {}, amount_minor=amount_minor, exponent=exponent) is not None) is hit


def test_times_spends_a_rule_and_hits_are_counted() -> None:
    rs = rules({"id": "twice", "match": {"operation": "notify.sms"}, "action": {"error": {"status": 503}}, "times": 2})
    assert rs.evaluate("notify.sms") is not None
    assert rs.evaluate("notify.sms") is not None
    assert rs.evaluate("notify.sms") is None
    [listed] = rs.list()
    assert listed["hits"] == 2 and listed["spent"] is True


@pytest.mark.parametrize(
    ("rule", "code", "field", "words"),
    [
        (
            {"match": {"operation": "ach.create"}, "action": {"decline": "x"}},
            "unknown_operation",
            "rules[0].match.operation",
            "ceibo.hold",
        ),
        (
            {"match": {"operation": "ceibo.hold", "fields": {"pan": "1"}}, "action": {"decline": "x"}},
            "unknown_field",
            "rules[0].match.fields.pan",
            "card_id",
        ),
        ({"match": {"operation": "ceibo.hold"}, "action": {}}, "invalid_rule", "rules[0].action", "vacía"),
        (
            {"match": {"operation": "ceibo.hold"}, "action": {"decline": "x", "pending": True}},
            "invalid_rule",
            "rules[0].action",
            "solo una",
        ),
        (
            {"match": {"operation": "ceibo.hold"}, "action": {"pending_s": 5}},
            "invalid_rule",
            "rules[0].action",
            "pending",
        ),
        (
            {"match": {"operation": "ceibo.hold", "amount": {"min": "5", "max": "1"}}, "action": {"decline": "x"}},
            "invalid_rule",
            "rules[0].match.amount",
            "mayor",
        ),
        (
            {"match": {"operation": "ceibo.hold", "amount": {"min": "abc"}}, "action": {"decline": "x"}},
            "invalid_rule",
            "rules[0].match.amount",
            "decimal",
        ),
        (
            {"match": {"operation": "ceibo.hold"}, "action": {"decline": "x"}, "extra": 1},
            "invalid_rule",
            "rules[0].extra",
            "permitido",
        ),
        (
            {"match": {"operation": "ceibo.hold"}, "action": {"error": {"status": 200}}},
            "invalid_rule",
            "rules[0].action.error.status",
            "400",
        ),
    ],
)
def test_bad_rules_are_refused_at_load_naming_the_field(
    rule: dict[str, object], code: str, field: str, words: str
) -> None:
    rs = RuleSet(OPS)
    with pytest.raises(InvalidInput) as info:
        rs.replace([rule])
    assert info.value.code == code
    assert info.value.field == field
    assert words in info.value.message
    assert rs.list() == []  # nothing half-loaded


def test_duplicate_ids_and_removal() -> None:
    rs = RuleSet(OPS)
    with pytest.raises(InvalidInput, match="repetidos"):
        rs.replace([{"id": "r", "match": {"operation": "ceibo.hold"}, "action": {"delay_s": 1}}] * 2)
    rs.add({"id": "r", "match": {"operation": "ceibo.hold"}, "action": {"delay_s": 1}})
    with pytest.raises(InvalidInput, match="Ya existe"):
        rs.add({"id": "r", "match": {"operation": "ceibo.hold"}, "action": {"delay_s": 1}})
    assert rs.remove("r") is True
    assert rs.remove("r") is False


def test_undeclared_operation_is_a_programming_error() -> None:
    rs = rules({"match": {"operation": "ceibo.hold"}, "action": {"delay_s": 1}})
    with pytest.raises(KeyError):
        rs.evaluate("ceibo.unknown")
