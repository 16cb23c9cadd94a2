"""Load profiles of the switch's authorization core (SICOOP cash), for Locust.

Run it through ``coop-sandbox load PROFILE`` (it starts a sandbox, runs Locust headless, checks
correctness and writes the report), or by hand against a running sandbox::

    locust -f load/locustfile.py --headless --host http://127.0.0.1:8000 \\
        --coop-profile steady --coop-ceibo http://127.0.0.1:8004 --coop-red http://127.0.0.1:8005

Pieces: :mod:`coop_users` (the users and the mix), :mod:`coop_shape` (the profile as a
``LoadTestShape``), :mod:`coop_runtime` (per-process state, ledger messages, thresholds and the
exit code). Profiles and thresholds: ``profiles.toml`` and ``thresholds.toml`` beside this file.
"""

from __future__ import annotations

from coop_runtime import REPORTS  # noqa: F401 - registers the command-line options and event listeners
from coop_shape import ProfileShape
from coop_users import BareEndpoint, CashNetwork

__all__ = ["BareEndpoint", "CashNetwork", "ProfileShape"]
