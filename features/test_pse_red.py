from pytest_bdd import scenarios

scenarios("pse_red")
