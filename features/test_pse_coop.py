"""PSE payments debited from cooperative accounts (bank 1066, the switch): features/pse_coop."""

from pytest_bdd import scenarios

scenarios("pse_coop")
