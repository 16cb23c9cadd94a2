"""The import-linter contracts of pyproject.toml hold (the party shape's layers: docs/developing.md).

The same check as ``lint-imports`` in ``make check``, here so that ``make test`` (what CI runs)
fails when an import crosses a layer the wrong way.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]


def test_every_import_contract_is_kept(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # import-linter finds the packages from the working directory
    code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert code == 0, report
    assert "0 broken" in report and "BROKEN" not in report
