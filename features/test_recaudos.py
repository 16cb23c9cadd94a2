from pytest_bdd import scenarios

scenarios("recaudos")
