"""SICOOP cash: withdrawals and deposits at collection counters, held at CEIBO.

* :mod:`.machine` — the pure state machine of a cash transaction;
* :mod:`.reasons` — reason codes and their Spanish messages;
* :mod:`.directory` — cards by cédula or phone (CEIBO lookup, cached) and their limit policies;
* :mod:`.service` — the use cases (open, confirm, release, sweep, sync with CEIBO);
* :mod:`.reconciliation` — the daily comparison of the switch, CEIBO and the collection network.
"""
