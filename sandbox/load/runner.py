"""``coop-sandbox load PROFILE``: one command from a world to a verdict.

1. The target: the given ``--host`` (with ``--ceibo``/``--red``), or a sandbox started here —
   the switch, CEIBO and the collection network on free ports, a fresh state folder
   (``var/load/<profile>``: SQLite by default, ``--database-url`` for PostgreSQL, ``--switch-workers``)
   on a generated world (``var/worlds/load-cards<N>-seed7.yaml``, made once) or ``--world FILE``.
2. A snapshot of money and of the day's reconciliation (:func:`sandbox.load.check.snapshot`).
3. Locust, headless, in its own process (``--processes N``: Locust's master and N workers), writing
   its HTML report and CSVs under ``reports/load/<profile>/``; its master evaluates the thresholds on
   the aggregated stats and writes ``thresholds.json`` and the merged ``ledger.json``.
4. The correctness checks (:func:`sandbox.load.check.verify`), the CPU each process used, and
   ``summary.md`` / ``summary.json``. Exit 0 only when every threshold and every check passed.

When the run cannot be made or checked — the sandbox does not start, a party does not answer the
snapshot or the checks, Locust leaves no verdict or no ledger — :class:`LoadError` says why in one
line (the command exits 2); :func:`unreachable` words a failed call to a party.

``--chaos`` (the runner's own sandbox only): the parties are started supervised, and during Locust's
load :class:`~sandbox.load.crashes.Crashes` kills switch, CEIBO or red with SIGKILL on a seeded
schedule (the crash test's, :mod:`sandbox.load.chaos`); the users ride out each restart (re-sending
the same trace number and body, :mod:`sandbox.load.rideout`); after Locust every party must run again
within :data:`~sandbox.load.crashes.RECOVER_S` (else exit 2); the checks resolve the answers still
lost by asking the switch; the thresholds are reported, not judged (correctness is the verdict).

``coop-sandbox load bench`` runs the ``bench`` profile and then the same users against the switch's
bare ``/_sandbox/health``, back to back on the same sandbox, and prints the ratio.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

import requests

from sandbox.client import ControlError, SandboxClient
from sandbox.config import load_config
from sandbox.load.check import Before, CheckReport, Parties, Urls, snapshot, verify
from sandbox.load.crashes import RECOVER_S, Crashes
from sandbox.load.ledger import Ledger, new_run_id
from sandbox.load.profiles import LOAD_DIR, Profile, load_profiles
from sandbox.load.rideout import CHAOS_RIDE_OUT_S
from sandbox.load.thresholds import HEALTH, HOLDS
from sandbox.runner import SandboxRun, StartError, with_free_ports

LOAD_PARTIES = ("switch", "ceibo", "red")
WORLD_SEED = 7


class LoadError(RuntimeError):
    """The run could not be carried out or checked (not a missed threshold): exit code 2, with this
    one-line reason."""


def unreachable(exc: BaseException, urls: Urls) -> str:
    """One line saying which party failed a call and how (no traceback, no exception repr)."""
    if isinstance(exc, ControlError):
        return f"{exc.party} no responde" if exc.status is None else f"{exc.party} respondió {exc.status} {exc.code}"
    if isinstance(exc, requests.RequestException):
        url = str(exc.request.url) if exc.request is not None and exc.request.url else ""
        party = next((name for name, base in urls.parties().items() if url.startswith(base)), None)
        who = f"{party} ({urls.parties()[party]})" if party else (url.split("?")[0] or "un participante")
        path = url.split("?")[0].removeprefix(urls.parties().get(party or "", ""))
        if isinstance(exc, requests.HTTPError) and exc.response is not None:
            return f"{who} respondió {exc.response.status_code} a {path}"
        if isinstance(exc, requests.Timeout):
            return f"{who} no respondió a tiempo a {path}"
        return f"{who} no responde"
    if isinstance(exc, ValueError):
        return "un participante respondió algo que no es JSON"
    return f"{type(exc).__name__}: {exc}"


@contextmanager
def parties_answer(doing: str, urls: Urls) -> Iterator[None]:
    """A failed call to a party while ``doing`` becomes a :class:`LoadError` naming the party."""
    try:
        yield
    except (requests.RequestException, ControlError, ValueError) as exc:
        raise LoadError(f"No se pudo {doing}: {unreachable(exc, urls)}.") from exc


@dataclass
class LoadOptions:
    profile: str
    host: str | None = None
    ceibo: str | None = None
    red: str | None = None
    users: int | None = None
    duration_s: float | None = None
    processes: int = 0
    world: Path | None = None
    database_url: str | None = None
    switch_workers: int | None = None
    reports: Path = Path("reports/load")
    state_dir: Path = Path("var/load")
    #: Workers on other machines (``locust -f load/locustfile.py --worker --master-host ...``).
    expect_workers: int = 0
    master_bind_host: str = "127.0.0.1"
    check: bool = True
    #: Record py-spy flame graphs (SVG, GIL-holding samples) of the switch and CEIBO during the run.
    flamegraphs: bool = False
    #: Kill parties during the load (``--chaos``): how many kills, drawn from which seed.
    chaos: bool = False
    chaos_seed: int = 1
    chaos_kills: int = 1
    locust_args: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    profile: str
    mix: str
    report_dir: Path
    locust_exit: int
    thresholds: dict[str, Any]
    correctness: CheckReport | None
    cpu_s: dict[str, float]
    wall_s: float
    #: The kills of a ``--chaos`` run (:meth:`sandbox.load.crashes.Crashes.to_dict`).
    chaos: dict[str, Any] | None = None

    @property
    def thresholds_judged(self) -> bool:
        """Thresholds measured across a kill are no verdict on the switch: reported only."""
        return self.chaos is None

    @property
    def ok(self) -> bool:
        return (
            self.locust_exit == 0
            and (bool(self.thresholds.get("ok")) or not self.thresholds_judged)
            and (self.correctness is None or self.correctness.ok)
        )


# -- environment ----------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "-"

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "versions": {n: version(n) for n in ("locust", "uvicorn", "fastapi", "starlette", "sqlalchemy", "httpx")},
    }


def world_for(profile: Profile, world: Path | None, state_dir: Path, out: TextIO) -> Path:
    """The world file: the given one, or a generated one with the profile's number of cards."""
    if world is not None:
        if not world.exists():
            raise LoadError(f"No existe el mundo {world}")
        return world
    target = state_dir.parent / "worlds" / f"load-cards{profile.world_cards}-seed{WORLD_SEED}.yaml"
    if not target.exists():
        from sandbox.world.generate import generate_world, write_world

        print(f"Generando el mundo {target} ({profile.world_cards} tarjetas DIMO)...", file=out, flush=True)
        write_world(generate_world(100, WORLD_SEED, cards=profile.world_cards, counters=100), target)
    return target


@contextmanager
def sandbox_for(
    opts: LoadOptions, profile: Profile, out: TextIO, crashes: Crashes | None = None
) -> Iterator[tuple[Urls, SandboxRun | None]]:
    if opts.host:
        if not opts.ceibo:
            raise LoadError("--host necesita --ceibo (el API de control de CEIBO da los soft-tokens)")
        if crashes is not None:
            raise LoadError("--chaos mata participantes que arranca esta corrida; con --host no arranca ninguno.")
        yield Urls(opts.host.rstrip("/"), opts.ceibo.rstrip("/"), opts.red.rstrip("/") if opts.red else None), None
        return
    state = (opts.state_dir / profile.name).resolve()
    if state.exists():
        shutil.rmtree(state)  # a fresh ledger: the reconciliation judges this run alone
    world = world_for(profile, opts.world, opts.state_dir.resolve(), out)
    os.environ.setdefault("COOP_SANDBOX_CACHE_DIR", str(opts.state_dir.resolve().parent / "cache"))
    config = load_config(None, world=str(world.resolve()), state_dir=str(state), log_level="warning")
    for name, party in config.parties.items():
        party.enabled = name in LOAD_PARTIES
        party.external_url = None
    config.journal_bodies = False  # the journal keeps the last requests only; bodies cost on every one
    if opts.database_url:
        config.parties["switch"].options["database_url"] = opts.database_url
    if opts.switch_workers:
        config.parties["switch"].workers = opts.switch_workers
    config = with_free_ports(config)
    run = SandboxRun(config)
    print(f"Arrancando switch, ceibo y red ({world.name}){' supervisados' if crashes else ''}...", file=out, flush=True)
    try:
        if crashes is not None:
            crashes.run = run
            run.start(timeout_s=180, supervise=True, on_event=crashes.on_event)
        else:
            run.start(timeout_s=180)
    except StartError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "un participante no arrancó"
        raise LoadError(f"No se pudo arrancar el sandbox: {first} (registros en {state / 'logs'}).") from exc
    try:
        urls = config.urls()
        if opts.database_url:  # a server database outlives the state folder: start from the world
            with SandboxClient({"switch": urls["switch"]}) as client:
                client.party("switch").reset()
        yield Urls(urls["switch"], urls["ceibo"], urls["red"]), run
    finally:
        run.stop()


def _pids(run: SandboxRun | None) -> dict[str, int]:
    if run is None:
        return {}
    with run.lock:
        return {name: proc.pid for name, proc in run.procs.items()}


def _cpu_of(pid: int) -> float:
    """CPU seconds of a process and its children (uvicorn workers, Locust's workers)."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with locust
        return 0.0
    try:
        proc = psutil.Process(pid)
        total = sum(proc.cpu_times()[:2])
        for child in proc.children(recursive=True):
            try:
                total += sum(child.cpu_times()[:2])
            except psutil.Error:
                continue
        return float(total)
    except psutil.Error:
        return 0.0


# -- profiles of the parties under load ------------------------------------------------------------
PROFILED = ("switch", "ceibo")


def start_profilers(watch: dict[str, int], report_dir: Path, profile: Profile) -> list[threading.Thread]:
    """py-spy on the switch and CEIBO from 20 % to 80 % of the run: ``profile-<party>.svg``
    (flame graphs of the samples that hold the GIL: the Python work that limits throughput)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        raise LoadError("--profile necesita py-spy (pip install -e '.[load]')")
    threads = []
    for name in PROFILED:
        if name not in watch:
            continue
        cmd = [
            spy, "record", "--pid", str(watch[name]), "--subprocesses", "--gil", "--nonblocking",
            "--rate", "100", "--duration", str(max(2, int(profile.duration_s * 0.6))),
            "--format", "flamegraph", "-o", str(report_dir / f"profile-{name}.svg"),
        ]  # fmt: skip

        def record(cmd: list[str] = cmd, log: Path = report_dir / f"profile-{name}.log") -> None:
            time.sleep(profile.duration_s * 0.2)
            with log.open("w") as out:
                subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False)  # noqa: S603

        thread = threading.Thread(target=record, name=f"py-spy-{name}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads


# -- one Locust run ------------------------------------------------------------------------------
def run_locust(
    opts: LoadOptions,
    profile: Profile,
    urls: Urls,
    report_dir: Path,
    *,
    mix: str,
    run_id: str,
    out: TextIO,
    watch: dict[str, int],
    crashes: Crashes | None = None,
    run: SandboxRun | None = None,
) -> tuple[int, dict[str, float], float]:
    if report_dir.exists():
        shutil.rmtree(report_dir)
    report_dir.mkdir(parents=True)
    cmd = [
        sys.executable, "-m", "locust",
        "-f", str(LOAD_DIR / "locustfile.py"),
        "--headless", "--only-summary",
        "--host", urls.switch,
        "--stop-timeout", "30",
        "--html", str(report_dir / "report.html"),
        "--csv", str(report_dir / "locust"),
        "--coop-profile", profile.name,
        "--coop-mix", mix,
        "--coop-ceibo", urls.ceibo,
        "--coop-red", urls.red or "",
        "--coop-out", str(report_dir),
        "--coop-run-id", run_id,
    ]  # fmt: skip
    if crashes is not None:
        cmd += ["--coop-ride-out", f"{CHAOS_RIDE_OUT_S:g}", "--coop-chaos"]
    if opts.users:
        cmd += ["--coop-users-peak", str(opts.users)]
    if opts.duration_s:
        cmd += ["--coop-duration", f"{opts.duration_s:g}s"]
    if opts.expect_workers:
        cmd += ["--master", "--expect-workers", str(opts.expect_workers), "--master-bind-host", opts.master_bind_host]
    elif opts.processes:
        cmd += ["--processes", str(opts.processes)]
    cmd += opts.locust_args
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")}
    env["PYTHONUNBUFFERED"] = "1"
    cpu_before = {name: _cpu_of(pid) for name, pid in watch.items()}
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    profilers = start_profilers(watch, report_dir, profile) if opts.flamegraphs else []
    log_path = report_dir / "locust.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(  # noqa: S603 - our interpreter, our locustfile
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True, cwd=LOAD_DIR.parent
        )
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                log.write(line)
                if crashes is not None and "Shape test starting" in line:
                    crashes.start()  # the load starts now: the schedule's moments count from here
                if "/INFO/locust.main" in line or "threshold" in line or "ERROR" in line or not line.startswith("["):
                    out.write(line)
                    out.flush()
            code = proc.wait()
        finally:
            if crashes is not None:
                crashes.stop()
    wall = time.monotonic() - started
    for profiler in profilers:
        profiler.join()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    # A party killed during the run: what each of its killed processes used (sampled just before the
    # SIGKILL) plus what the one running now used.
    now = _pids(run) if run is not None else watch
    killed = dict(crashes.killed_cpu_s) if crashes is not None else {}
    cpu = {
        name: round(killed.get(name, 0.0) + _cpu_of(now.get(name, pid)) - cpu_before[name], 2)
        for name, pid in watch.items()
    }
    # Locust (master and the workers it forked, all waited for): what finished children used, but
    # for the killed parties' processes (children of this process too, reaped by the supervisor).
    reaped = (children.ru_utime - children_before.ru_utime) + (children.ru_stime - children_before.ru_stime)
    cpu["locust"] = round(max(0.0, reaped - sum(killed.values())), 2)
    return code, cpu, wall


def run_profile(opts: LoadOptions, out: TextIO = sys.stdout) -> list[RunResult]:
    profiles = load_profiles()
    if opts.profile not in profiles:
        raise LoadError(f"Perfil desconocido {opts.profile!r}; existen: {', '.join(profiles)}")
    profile = profiles[opts.profile].scaled(users=opts.users, duration_s=opts.duration_s)
    results: list[RunResult] = []
    crashes = Crashes(opts.chaos_seed, opts.chaos_kills, profile.duration_s, sample_cpu=_cpu_of) if opts.chaos else None
    if crashes is not None and profile.name == "bench":
        raise LoadError("--chaos no va con bench: bench mide el rendimiento, una caída lo falsearía.")
    with sandbox_for(opts, profile, out, crashes) as (urls, run):
        parties = Parties(urls)
        mixes = ["cash", "bare"] if profile.name == "bench" else ["cash"]
        for mix in mixes:
            report_dir = opts.reports / profile.name / (mix if len(mixes) > 1 else "")
            report_dir = report_dir.resolve()
            before: Before | None = None
            if opts.check and mix == "cash":
                with parties_answer("leer el estado antes de la carga", urls):
                    before = snapshot(parties)
            run_id = new_run_id()
            if crashes is not None:
                planned = ", ".join(f"{k.party} a los {k.at_s:.1f} s" for k in crashes.planned)
                print(f"Caos (semilla {crashes.seed}): {planned}", file=out, flush=True)
            code, cpu, wall = run_locust(
                opts,
                profile,
                urls,
                report_dir,
                mix=mix,
                run_id=run_id,
                out=out,
                watch=_pids(run),
                crashes=crashes,
                run=run,
            )
            if crashes is not None:
                down = crashes.not_running(RECOVER_S)
                if down:
                    party, status = next(iter(down.items()))
                    raise LoadError(
                        f"{party} no volvió a arrancar {RECOVER_S:.0f} s después de la carga con caos "
                        f"(estado {status.state}, {status.crashes} caídas; "
                        f"registros en {(opts.state_dir / profile.name / 'logs').resolve()})."
                    )
            if not (report_dir / "thresholds.json").exists():
                raise LoadError(
                    f"Locust terminó (código {code}) sin dejar su veredicto; ver {report_dir / 'locust.log'}."
                )
            thresholds = _read_json(report_dir / "thresholds.json")
            report = None
            if before is not None:
                if not (report_dir / "ledger.json").exists():
                    raise LoadError(f"Locust no dejó el libro de la corrida; ver {report_dir / 'locust.log'}.")
                print("Verificando: barrido, conciliación, conservación, uso único...", file=out, flush=True)
                ledger = Ledger.read(report_dir / "ledger.json")
                with parties_answer("verificar la corrección después de la carga", urls):
                    report = verify(parties, ledger, before)
                (report_dir / "correctness.json").write_text(json.dumps(report.to_dict(), indent=2) + "\n")
            chaos = crashes.to_dict() if crashes is not None else None
            result = RunResult(profile.name, mix, report_dir, code, thresholds, report, cpu, wall, chaos)
            write_summary(result, opts, urls, run)
            results.append(result)
    if len(results) == 2:
        write_bench(results, opts)
    return results


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"ok": False, "missing": str(path)}
    data: dict[str, Any] = json.loads(path.read_text())
    return data


# -- the summary -----------------------------------------------------------------------------------
def _stats_table(stats: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        "| request | requests | failures | req/s | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in sorted(stats.items(), key=lambda kv: (kv[0] == "Aggregated", kv[0])):
        lines.append(
            f"| `{name}` | {s['num_requests']} | {s['num_failures']} | {s['rps']:.1f} | "
            f"{s['p50_ms']:.0f} | {s['p95_ms']:.0f} | {s['p99_ms']:.0f} |"
        )
    return lines


def cpu_budget(result: RunResult, cores: int) -> dict[str, Any]:
    """CPU milliseconds each process spent per hold (its share of every request of the mix), and the
    holds per second ``cores`` dedicated cores would carry at that cost: a figure that noisy
    neighbours on a shared machine hardly move, unlike the throughput itself."""
    stats = result.thresholds.get("stats", {})
    units = sum(int(stats.get(n, {}).get("num_requests", 0)) for n in (HOLDS if result.mix == "cash" else (HEALTH,)))
    if not units:
        return {}
    per = {name: round(1000 * cpu / units, 3) for name, cpu in result.cpu_s.items()}
    server = sum(v for k, v in per.items() if k != "locust")
    total = server + per.get("locust", 0.0)
    return {
        "unit": "hold" if result.mix == "cash" else "request",
        "cpu_ms_per_unit": per,
        "cores": cores,
        "capacity_per_s_server_only": round(cores * 1000 / server, 1) if server else None,
        "capacity_per_s_with_locust": round(cores * 1000 / total, 1) if total else None,
    }


def by_users(history: Path) -> list[dict[str, Any]]:
    """Throughput and latency at each user count of the run (Locust's stats history, all requests):
    where a ramp's latency starts to climb. The first seconds after each change are left out."""
    if not history.exists():
        return []
    groups: dict[int, list[dict[str, str]]] = {}
    with history.open(newline="") as fh:
        for row in csv.DictReader(fh):
            users = int(row.get("User Count") or 0)
            if row.get("Name") == "Aggregated" and users > 0:
                groups.setdefault(users, []).append(row)

    def median(rows: list[dict[str, str]], key: str) -> float | None:
        values = sorted(float(r[key]) for r in rows if r.get(key) not in (None, "", "N/A"))
        return values[len(values) // 2] if values else None

    out = []
    for users, rows in sorted(groups.items()):
        if len(rows) < 3:  # a count the shape passed through on its way to the next stage
            continue
        steady = rows[2:] if len(rows) > 4 else rows
        out.append(
            {
                "users": users,
                "seconds": len(steady),
                "rps": round(sum(float(r["Requests/s"]) for r in steady) / len(steady), 1),
                "p50_ms": median(steady, "50%"),
                "p95_ms": median(steady, "95%"),
                "p99_ms": median(steady, "99%"),
            }
        )
    return out


CHAOS_THRESHOLDS = (
    "Parties were killed with SIGKILL during this run. Latency and error figures measured across a kill "
    "show the restart, not the switch's speed, so the thresholds below are reported and not judged: the "
    "verdict is correctness (every lost answer resolved, outcomes, conservation, reconciliation, single use). "
    "Judge performance on a run without `--chaos`."
)


def chaos_lines(chaos: dict[str, Any]) -> list[str]:
    """The ``## Chaos`` section of summary.md: each kill and its restart."""
    lines = [
        "## Chaos",
        "",
        f"Seed {chaos['seed']}: {len(chaos['planned'])} kill(s) planned, {len(chaos['kills'])} carried out"
        + (f" ({chaos['not_carried_out']} not: the party was already restarting)" if chaos["not_carried_out"] else "")
        + (f"; longest time down {chaos['max_down_s']:.1f} s" if chaos.get("max_down_s") is not None else ""),
        "",
        "| party | at s (into the load) | pid killed | restarted | new pid | down s |",
        "|---|---:|---:|---|---:|---:|",
    ]
    for k in chaos["kills"]:
        down = f"{k['down_s']:.2f}" if k["down_s"] is not None else "-"
        lines.append(
            f"| {k['party']} | {k['at_s']:.2f} | {k['pid']} | {'yes' if k['restarted'] else '**NO**'} | "
            f"{k['new_pid'] or '-'} | {down} |"
        )
    return lines


def write_summary(result: RunResult, opts: LoadOptions, urls: Urls, run: SandboxRun | None) -> None:
    t = result.thresholds
    env = machine()
    budget = cpu_budget(result, int(env["nproc"] or 1))
    db = "external" if opts.host else (opts.database_url or "SQLite (var/load)")
    judged = "" if result.thresholds_judged else " (reported, not judged: parties were killed)"
    lines = [
        f"# Load run: `{result.profile}` ({result.mix}{', chaos' if result.chaos else ''})",
        "",
        f"**{'PASSED' if result.ok else 'FAILED'}** — thresholds {'ok' if t.get('ok') else 'MISSED'}{judged}"
        + (f", correctness {'ok' if result.correctness.ok else 'FAILED'}" if result.correctness else ""),
        "",
        f"- target: {urls.switch} (database: {db}, switch workers: {opts.switch_workers or 1})",
        f"- users: {t.get('users')}, duration: {t.get('duration_s')} s, Locust processes: {t.get('processes')}",
        f"- holds per second (withdrawals + deposits opened): **{t.get('holds_per_s', 0):.1f}**",
        f"- CPU seconds during the run: {result.cpu_s} over {result.wall_s:.1f} s of wall time",
        f"- CPU ms per {budget.get('unit', '-')}: {budget.get('cpu_ms_per_unit')}; on {budget.get('cores')} "
        f"dedicated cores that is ~{budget.get('capacity_per_s_server_only')}/s for the parties alone, "
        f"~{budget.get('capacity_per_s_with_locust')}/s with Locust on the same cores",
        f"- machine: {env['nproc']} CPUs ({env['cpu']}), Python {env['python']}, load average {env['load_average']}",
        "",
        "## Requests",
        "",
        *_stats_table(t.get("stats", {})),
        "",
        "## Thresholds" + judged,
        "",
        *([] if result.thresholds_judged else [CHAOS_THRESHOLDS, ""]),
        *[f"- {v['subject']} {v['metric']}: {v['observed']:.4g} (limit {v['limit']:g}) — "
          f"{'ok' if v['ok'] else '**MISSED**'}" for v in t.get("verdicts", [])],
    ]  # fmt: skip
    if result.chaos is not None:
        lines += ["", *chaos_lines(result.chaos)]
    steps = by_users(result.report_dir / "locust_stats_history.csv")
    if len(steps) > 1:
        lines += [
            "",
            "## By number of users (all requests; medians of Locust's per-second history)",
            "",
            "| users | seconds | req/s | p50 ms | p95 ms | p99 ms |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {s['users']} | {s['seconds']} | {s['rps']} | {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} |"
            for s in steps
        ]
    if result.correctness is not None:
        lines += ["", "## Correctness", "", result.correctness.markdown(), ""]
        lines.append(f"Settling: {result.correctness.settle}")
    lines += ["", "Locust's report: `report.html`; CSVs: `locust_stats.csv`, `locust_stats_history.csv`, "
              "`locust_failures.csv`; its output: `locust.log`."]  # fmt: skip
    (result.report_dir / "summary.md").write_text("\n".join(lines) + "\n")
    data = {
        "profile": result.profile,
        "mix": result.mix,
        "ok": result.ok,
        "locust_exit": result.locust_exit,
        "thresholds": t,
        "correctness": result.correctness.to_dict() if result.correctness else None,
        "cpu_s": result.cpu_s,
        "cpu_budget": budget,
        "by_users": steps,
        "wall_s": round(result.wall_s, 2),
        "machine": env,
        "database": db,
        "switch_workers": opts.switch_workers or 1,
        "chaos": result.chaos,
        "thresholds_judged": result.thresholds_judged,
    }
    (result.report_dir / "summary.json").write_text(json.dumps(data, indent=2, default=str) + "\n")


def write_bench(results: list[RunResult], opts: LoadOptions) -> str:
    cash, bare = results
    holds = float(cash.thresholds.get("holds_per_s", 0.0))
    cash_stats = cash.thresholds.get("stats", {})
    sicoop = float(cash_stats.get("Aggregated", {}).get("rps", 0.0))
    health = float(bare.thresholds.get("stats", {}).get("Aggregated", {}).get("rps", 0.0))
    ratio = holds / health if health else 0.0
    cores = os.cpu_count() or 1
    hold_cap = cpu_budget(cash, cores).get("capacity_per_s_server_only") or 0.0
    health_cap = cpu_budget(bare, cores).get("capacity_per_s_server_only") or 0.0
    cpu_ratio = hold_cap / health_cap if health_cap else 0.0
    text = (
        f"holds {holds:.1f}/s (all SICOOP requests {sicoop:.1f}/s) vs bare /_sandbox/health {health:.1f}/s: "
        f"holds at {100 * ratio:.1f}% of the bare endpoint (SICOOP requests at "
        f"{100 * (sicoop / health if health else 0):.1f}%); by CPU cost on {cores} dedicated cores: "
        f"{hold_cap:.0f} holds/s vs {health_cap:.0f} health/s ({100 * cpu_ratio:.1f}%)"
    )
    folder = (opts.reports / "bench").resolve()
    figures = {
        "holds_per_s": holds,
        "sicoop_rps": sicoop,
        "health_rps": health,
        "ratio": ratio,
        "capacity_holds_per_s": hold_cap,
        "capacity_health_per_s": health_cap,
        "cpu_ratio": cpu_ratio,
    }
    (folder / "ratio.json").write_text(json.dumps(figures, indent=2) + "\n")
    (folder / "ratio.txt").write_text(text + "\n")
    return text
