"""The DIMO app page marks a code once it was used and says when the next one comes (issue 17)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from sandbox.config import load_config
from sandbox.kit.clock import Clock
from sandbox.serve import build_party

START = datetime(2026, 1, 15, 15, 0, 10, tzinfo=UTC)  # 10 s into a 30-second step


def test_used_code_is_marked_until_the_next_step(tmp_path: Path) -> None:
    clock = Clock.frozen(START)
    app = build_party("ceibo", load_config(None, state_dir=str(tmp_path), jobs_interval_s=0), clock=clock)
    with TestClient(app) as client:
        fresh = client.get("/app?q=4567890").text
        code = re.search(r'data-soft-token="(\d{6})" data-used="false"', fresh)
        assert code is not None, fresh
        assert "Cambia en 20 s (15/01/2026 12:00:30 (hora de Paraguay, UTC−3))" in fresh
        hold = client.post(
            "/ceibo/v1/holds",
            json={"hold_id": "h-1", "card_id": "DIMO-0001", "kind": "debit", "amount": "1000", "soft_token": code[1]},
        )
        assert hold.json()["result"] == "created", hold.text
        used = client.get("/app?q=4567890").text
        assert f'data-soft-token="{code[1]}" data-used="true"' in used
        assert "Ya usó este código." in used and "El próximo código aparece en 20 s" in used
        clock.advance(20)
        after = client.get("/app?q=4567890").text
        assert 'data-used="false"' in after and code[1] not in after
        assert clock.now() == START + timedelta(seconds=20)
