"""The switch's flows, one package each in the party shape (models, logic, state, service, api, pages)."""
