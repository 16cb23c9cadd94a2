"""``coop-sandbox load smoke`` end to end, in a subprocess (Locust never runs in the test process).

It starts its own sandbox (switch, CEIBO, the network) on a generated world, runs the smoke
profile, and checks correctness after it: this test asserts the exit code and the report — that
every threshold and every correctness check passed, that Locust's HTML and CSV reports are there,
and that no soft-token reached a report or a log. It asserts no throughput or latency: those are
the profiles' thresholds (load/thresholds.toml) and BENCHMARKS.md.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

COMMAND = Path(sys.executable).with_name("coop-sandbox")
CHECKS = {
    "settled",
    "reconciliation",
    "outcomes (withdrawals)",
    "outcomes (deposits)",
    "conservation",
    "single use",
    "answers",
}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    where = tmp_path_factory.mktemp("load")
    done = subprocess.run(
        [str(COMMAND), "load", "smoke", "--reports", str(where / "reports")],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    return done, where


def test_the_smoke_profile_passes_its_thresholds_and_every_correctness_check(
    smoke: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    done, where = smoke
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    summary = json.loads((where / "reports" / "smoke" / "summary.json").read_text())
    assert summary["ok"] and summary["thresholds"]["ok"], summary["thresholds"]["verdicts"]
    checks = {c["name"]: c for c in summary["correctness"]["checks"]}
    assert set(checks) == CHECKS
    assert all(c["ok"] for c in checks.values()), [c for c in checks.values() if not c["ok"]]
    stats = summary["thresholds"]["stats"]
    for name in ("/sicoop/v1/withdrawals", "/sicoop/v1/withdrawals/{id}/confirm", "/sicoop/v1/withdrawals/{id}/release",
                 "/sicoop/v1/deposits", "/sicoop/v1/deposits/{id}/confirm", "/red/v1/operations"):  # fmt: skip
        assert stats[name]["num_requests"] > 0, name  # every flow of the mix ran
    ledger = json.loads((where / "reports" / "smoke" / "ledger.json").read_text())
    assert ledger["counts"].get("withdrawal.abandoned", 0) > 0 or ledger["counts"]["withdrawal.opened"] < 40
    assert summary["correctness"]["settle"]["advanced_s"] > 0  # the clock moved for the sweeper


def test_the_reports_are_written_and_hold_no_soft_token(smoke: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    done, where = smoke
    folder = where / "reports" / "smoke"
    for name in ("report.html", "locust_stats.csv", "locust_stats_history.csv", "locust_failures.csv", "summary.md"):
        assert (folder / name).stat().st_size > 0, name
    assert "PASSED" in (folder / "summary.md").read_text()
    texts = [p.read_text(errors="replace") for p in folder.iterdir() if p.suffix in (".json", ".csv", ".md", ".log")]
    texts += [p.read_text(errors="replace") for p in (where / "var" / "load" / "smoke" / "logs").glob("*.log")]
    texts.append(done.stdout + done.stderr)
    for text in texts:
        assert not re.search(r'soft_token"?\s*[:=]\s*"?\d{6}', text)
