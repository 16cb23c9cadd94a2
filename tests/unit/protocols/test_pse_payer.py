"""A PSE payer is checked in order before anything reaches ACH; the first problem names its attribute."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sandbox.protocols.pse.payer import FORM_FIELDS, Payer, payer_problem

GOOD = Payer("N", "1022", "CC", "79555111", "ALEJANDRO GONZALEZ", "a@example.com", "3115556677", "127.0.0.1")


def test_a_good_payer_has_no_problem() -> None:
    assert payer_problem(GOOD) is None
    assert payer_problem(replace(GOOD, user_type="J", document_type="NIT", document_number="900123456")) is None


@pytest.mark.parametrize(
    ("change", "about", "code"),
    [
        ({"user_type": "X"}, "user_type", "invalid_field"),
        ({"bank_code": "0"}, "bank_code", "bank_required"),
        ({"bank_code": ""}, "bank_code", "bank_required"),
        ({"document_type": "NIT", "document_number": "900123456"}, "document_type", "invalid_document"),
        ({"document_number": "12"}, "document_number", "invalid_document"),
        ({"full_name": "  "}, "full_name", "missing_field"),
        ({"email": "a@b"}, "email", "invalid_field"),
        ({"phone": "6014567890"}, "phone", "invalid_field"),
        # checked in order: a bad person type is reported before a missing bank
        ({"user_type": "X", "bank_code": "0"}, "user_type", "invalid_field"),
    ],
)
def test_the_first_problem_names_its_attribute(change: dict[str, str], about: str, code: str) -> None:
    problem = payer_problem(replace(GOOD, **change))
    assert problem is not None and (problem.about, problem.code) == (about, code)
    assert problem.message and about in FORM_FIELDS
