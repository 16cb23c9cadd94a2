"""Cash at collection counters (SICOOP, CEIBO, the collection network): features/efectivo."""

from pytest_bdd import scenarios

scenarios("efectivo")
