"""Scripted actors: people and companies driven from a test, a BDD step or a script.

``pse``      a collecting entity and a bank on ACH's APIs, a payer's browser through PSE
``payu``     a merchant on the gateway's PayU API, and its confirmation page
``browser``  a person clicking through pages (merchant portal, checkout, PSE portal, bank)

Only tests, features and tools import these; no party does (an import-linter contract says so).
"""
