from pytest_bdd import scenarios

scenarios("pasarela")
