"""The switch's reconciliation, all flows at once: each flow's own report for the day (SICOOP cash
in Paraguay's day, collections and the PSE bank in Colombia's), their difference counts side by
side, and a link to each flow's detailed report.

* :mod:`.service` — runs each flow's report (given as callables by the composition root);
* :mod:`.api`, :mod:`.pages` — ``GET /v1/conciliacion`` and the page ``/conciliacion``.
"""
