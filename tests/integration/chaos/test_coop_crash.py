"""The crash test of the coop flows (issue 16, item 7: "then coop with the new flows"): under a load
of PSE payments debited at bank 1066 and collections credited at coop, kill -9 coop (or the switch,
with other seeds) at a seeded moment; supervision starts it again, the load goes on, a step whose
answer was lost is sent again as its caller would; then settle and check that every payment
acknowledged as approved was debited exactly once with ACH's OK, every approved collection credited
once per product, nothing held or owed at coop, money conserved at coop, and both reconciliations
without differences (:mod:`coop_load`). One seed runs in ``make test``; several in ``make test-all``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import requests
from coop_load import CoopLoad, books, check

from sandbox.load.chaos import Chaos, schedule
from sandbox.scripted.coopflows import settle
from sandbox.testing import running_sandbox
from sandbox.world import load_world
from sandbox.world.generate import generate_world, write_world

LOAD_S = 10.0


def coop_crash_run(tmp_path: Path, seed: int, *, parties: tuple[str, ...], kills: int = 1) -> dict[str, object]:
    world_file = tmp_path / "world.yaml"
    write_world(generate_world(30, seed, cards=10, counters=2), world_file)
    world = load_world(world_file)
    with (
        running_sandbox(tmp_path / "var", supervise=True, world=str(world_file)) as sandbox,
        requests.Session() as http,
    ):
        assert sandbox.run is not None
        urls = sandbox.urls
        before = books(http, urls)
        planned = schedule(seed, LOAD_S, kills=kills, parties=parties)
        chaos = Chaos(sandbox.run, planned)
        load = CoopLoad(urls, world, seed, threads=4, duration_s=LOAD_S)
        chaos.start()
        load.run()
        chaos.join(30)
        supervisor = sandbox.run.supervisor
        assert supervisor is not None
        supervisor.wait_running(60)
        crashed = {n: s.crashes for n, s in supervisor.status.items() if s.crashes}
        assert chaos.done and crashed == dict(Counter(d.party for d in chaos.done)), (planned, chaos.done, crashed)
        rounds = settle(http, urls)
        seen = check(http, urls, load, before)
        seen.update(seed=seed, killed=[(d.party, d.at_s) for d in chaos.done], settle_rounds=rounds)
        print(seen)
        assert seen["ok"], seen
        approved = seen["acknowledged_approved"]
        assert isinstance(approved, dict) and approved["pse"] + approved["collection"] >= 4, seen  # a load
        return seen


def test_coop_killed_under_the_new_flows_loses_nothing_it_acknowledged(tmp_path: Path) -> None:
    coop_crash_run(tmp_path, seed=1, parties=("coop",), kills=2)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("seed", "parties", "kills"),
    [(2, ("switch",), 1), (3, ("coop",), 2), (4, ("coop", "switch"), 2), (5, ("coop", "switch"), 2)],
)
def test_coop_or_switch_killed_under_the_new_flows_lose_nothing(
    tmp_path: Path, seed: int, parties: tuple[str, ...], kills: int
) -> None:
    coop_crash_run(tmp_path, seed=seed, parties=parties, kills=kills)
