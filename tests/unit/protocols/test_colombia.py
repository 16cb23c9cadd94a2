"""Documents and person types are checked before a payment reaches ACH."""

from __future__ import annotations

import pytest

from sandbox.protocols.colombia import document_problem, is_email, is_mobile, normalize_document


@pytest.mark.parametrize(
    ("kind", "number", "user"),
    [("CC", "1033370434", "N"), ("CE", "987654", "N"), ("NIT", "900999000", "J"), ("PP", "AB12345", "N"),
     ("CC", "79555111", None)],
)  # fmt: skip
def test_valid_documents(kind: str, number: str, user: str | None) -> None:
    assert document_problem(kind, number, user) is None


@pytest.mark.parametrize(
    ("kind", "number", "user", "about", "words"),
    [
        ("CC", "12345", "N", "number", "6 a 10"),
        ("CC", "12345678901", "N", "number", "6 a 10"),
        ("CC", "1234567A", "N", "number", "6 a 10"),
        ("XX", "12345678", "N", "type", "uno de"),
        ("CC", "1033370434", "J", "type", "jurídica"),
        ("NIT", "900999000", "N", "type", "natural"),
    ],
)
def test_invalid_documents_say_what_and_why(kind: str, number: str, user: str, about: str, words: str) -> None:
    problem = document_problem(kind, number, user)
    assert problem is not None and problem.about == about and words in problem.message


def test_mobiles_and_emails() -> None:
    assert is_mobile("3104567890") and not is_mobile("6014567890") and not is_mobile("310456789")
    assert is_email("a@b.co") and not is_email("a@b") and not is_email("a b@c.co")


@pytest.mark.parametrize(
    ("kind", "typed", "wire"),
    [
        ("CC", "1.033.370.434", "1033370434"),
        ("CC", " 79.555.111 ", "79555111"),
        ("CC", "79 555 111", "79555111"),
        ("NIT", "900.999.000", "900999000"),
        ("PP", " AB12345 ", "AB12345"),
        ("CC", "79.55.5111", "79.55.5111"),  # badly grouped: kept, and refused by document_problem
    ],
)
def test_documents_are_read_as_people_write_them(kind: str, typed: str, wire: str) -> None:
    """Issue 16: the dots people write between groups of three are dropped, only where the grouping
    is valid; anything else is left for :func:`document_problem` to refuse."""
    assert normalize_document(kind, typed) == wire
    assert (document_problem(kind, wire) is None) is ("." not in wire)


@pytest.mark.parametrize("number", ["１０３３３７０４３４", "١٠٣٣٣٧٠٤٣٤", "1033370434\n", "+1033370434"])
def test_a_document_is_ascii_digits(number: str) -> None:
    problem = document_problem("CC", number)
    assert problem is not None and problem.about == "number"
    assert not is_mobile("３１０４５６７８９０") and not is_mobile("3104567890\n")
