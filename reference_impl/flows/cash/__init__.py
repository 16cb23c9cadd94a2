"""SICOOP cash: withdrawals and deposits at collection counters, held at CEIBO.

* :mod:`.models` — SICOOP's wire models;
* :mod:`.logic` — the pure state machine of a cash transaction;
* :mod:`.state` — the transactions and their events in SQL;
* :mod:`.reasons` — reason codes and their Spanish messages;
* :mod:`.directory` — cards by cédula or phone (CEIBO lookup, cached) and their limit policies;
* :mod:`.service` — the use cases (open, confirm, release, sweep, sync with CEIBO);
* :mod:`.api`, :mod:`.pages` — the routes (``/sicoop/v1``) and the pages;
* :mod:`.reconciliation` — the daily comparison of the switch, CEIBO and the collection network.
"""
