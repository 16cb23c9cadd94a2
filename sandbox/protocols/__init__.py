"""Protocol code shared by several parties, written once.

One module or package per protocol: what crosses its wire (models, codes, states), the pure rules
every side of it follows, and the calls one side makes. A party imports these; a party never
imports another party's package (``sandbox.merchant`` never imports ``sandbox.gateway``).

``pse``       ACH Colombia's PSE: return codes, transaction states, the collecting entity's calls
``payu``      PayU Latam: signatures, states and response codes
``colombia``  Colombian identity documents
``paraguay``  Paraguay's wire formats (PYG amounts, mobile numbers)
``sicoop``    CEIBO/SICOOP wire models shared by ceibo, red and the switch
``notify``    the sandbox's SMS and e-mail outbox, as parties call it
``coop``      the cooperatives' core-banking contract (``/coop/v1``)

People and companies driven from tests and scripts are not protocol code: :mod:`sandbox.scripted`.
"""
