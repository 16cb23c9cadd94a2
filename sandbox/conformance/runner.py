"""One conformance run: start what the participant needs around it, run the scenarios, judge, report.

``run(options)`` validates the declaration and the waivers, checks that the participant answers,
starts the proxy (always: the fault cases break the link through it) and, when an end-to-end group
is in the run, the whole sandbox with the participant as an external party
(``--external coop=URL``); then runs the scenario groups with pytest in a child process (the
:mod:`sandbox.conformance.plugin` records the evidence), stops everything, and writes the report
folder ``reports/conformance/<run>/``. Exit code: 0 only when nothing failed; 1 when something
failed; 2 when the run could not be made (bad input, participant down, sandbox not started).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from sandbox.config import ConfigError, SandboxConfig, dump_for_child, load_config
from sandbox.conformance.declaration import (
    ConformanceFileError,
    Declaration,
    Waivers,
    everything,
    load_declaration,
    load_waivers,
)
from sandbox.conformance.groups import Group, groups_for
from sandbox.conformance.operations import CATALOGUE
from sandbox.conformance.plugin import COOP_RULES
from sandbox.conformance.report import results_json, write_html, write_junit, write_manifest
from sandbox.conformance.verdict import Case, Verdict, judge, summary_line
from sandbox.kit.clock import Clock
from sandbox.kit.masking import mask_text
from sandbox.proxy.launcher import DEFAULT_PORT, ProxyProcess, ProxySettings, ProxyStartError
from sandbox.runner import SandboxRun, StartError, free_port
from sandbox.testing import ATTACH_ENV, TEST_CLOCK_START, suite_config

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2
TARGET_TITLES = {"coop": "Núcleo bancario de una cooperativa (contrato coop v1)", "switch": "Switch de la red"}


class RunError(RuntimeError):
    """The run could not be made; the message says why (exit code 2)."""


@dataclass
class RunOptions:
    target: str
    url: str
    entity: str = "ALIANZA"
    declaration: Path | None = None
    waivers: Path | None = None
    #: Keep the masked capture of the traffic (HAR, mitmproxy file, contract report) in the report.
    capture: bool = False
    #: Send the contract scenarios' own calls through the proxy too (always with ``capture``).
    via_proxy: bool = False
    timeout_s: float = 5.0
    world: Path | None = None
    #: sandbox.toml with the parties' ports (a switch under test calls them there).
    config: Path | None = None
    #: Where the proxy listens (a switch under test sends its peer calls through it); default: a
    #: free port for a core, 8090 for a switch.
    proxy_port: int | None = None
    groups: list[str] | None = None
    out_root: Path = Path("reports/conformance")
    state_root: Path = Path("var/conformance")
    run_name: str | None = None
    root: Path = field(default_factory=lambda: project_root())
    command: str = ""
    pytest_args: list[str] = field(default_factory=list)
    #: Show pytest's output as it runs (otherwise it goes to the run's log).
    verbose: bool = False


@dataclass
class RunResult:
    exit_code: int
    folder: Path | None
    verdict: Verdict | None
    manifest_digest: str | None = None
    message: str = ""


def project_root() -> Path:
    """Where the scenarios are: the current folder when it is a coop-sandbox checkout, else the
    checkout this package runs from (an editable install)."""
    here = Path.cwd()
    if (here / "features").is_dir() and (here / "sandbox").is_dir():
        return here
    return Path(__file__).resolve().parents[2]


def _now() -> datetime:
    return Clock().now()


def _run_name(target: str, started: datetime) -> str:
    return f"{target}-{started.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"


def _versions(root: Path) -> dict[str, str]:
    out = {
        "coop-sandbox": _version("coop-sandbox"),
        "python": platform.python_version(),
        "pytest": _version("pytest"),
        "pytest-bdd": _version("pytest-bdd"),
        "mitmproxy": _version("mitmproxy"),
    }
    try:
        commit = subprocess.run(  # noqa: S603 - git with fixed arguments
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(  # noqa: S603
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
        if commit:
            out["commit"] = commit + (" (con cambios sin confirmar)" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return out


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "no instalado"


def _world_facts(path: Path) -> dict[str, Any]:
    raw = path.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    seed = re.search(r"semilla (\d+)", text) or re.search(r"seed(\d+)", path.name)
    return {
        "file": str(path),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "seed": seed.group(1) if seed else "— (mundo fijo, sin generador)",
    }


def _rules_catalogue(root: Path) -> dict[str, str]:
    import yaml

    rules = dict(COOP_RULES)
    path = root / "features" / "rules.yaml"
    if path.is_file():
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        rules.update({str(k): str(v) for k, v in (data.get("rules") or {}).items()})
    return rules


def _check_participant(url: str) -> None:
    if not re.match(r"^https?://[^/\s]+", url):
        raise RunError(f"--url debe ser una URL http(s)://host:puerto, no {url!r}")
    try:
        requests.get(url, timeout=10)
    except requests.RequestException as exc:
        raise RunError(f"el participante no responde en {url}: {type(exc).__name__}. ¿Está arrancado?") from None


def load_inputs(options: RunOptions) -> tuple[Declaration, Waivers]:
    declaration = (
        load_declaration(options.declaration, options.target, options.entity)
        if options.declaration
        else everything(options.target, options.entity)
    )
    waivers = load_waivers(options.waivers) if options.waivers else Waivers()
    return declaration, waivers


def run(options: RunOptions, echo: Callable[[str], None] = print) -> RunResult:
    try:
        return _run(options, echo)
    except (ConformanceFileError, RunError, ConfigError, ValueError) as exc:
        return RunResult(EXIT_UNUSABLE, None, None, message=str(exc))


def _run(options: RunOptions, echo: Callable[[str], None]) -> RunResult:
    options.url = options.url.rstrip("/")
    declaration, waivers = load_inputs(options)
    groups = groups_for(options.target, options.groups)
    root = options.root.resolve()
    present: list[tuple[Group, list[Path]]] = []
    claimed: set[Path] = set()
    for group in groups:  # a feature file belongs to the first group that names it
        files = [f for f in group.files(root) if f not in claimed]
        claimed.update(files)
        present.append((group, files))
    runnable = [(g, files) for g, files in present if files]
    if not runnable:
        raise RunError(
            "ninguno de los grupos de escenarios existe en este proyecto: " + ", ".join(g.name for g in groups)
        )
    _check_participant(options.url)
    world = (options.world or root / "sandbox" / "world" / "default.yaml").resolve()
    if not world.is_file():
        raise RunError(f"no existe el archivo de mundo {world}")

    started = _now()
    name = options.run_name or _run_name(options.target, started)
    folder = (options.out_root if options.out_root.is_absolute() else root / options.out_root) / name
    if folder.exists():
        raise RunError(f"la carpeta del informe ya existe: {folder} (use otro --run)")
    state = (options.state_root if options.state_root.is_absolute() else root / options.state_root) / name
    work = state / "work"
    work.mkdir(parents=True, exist_ok=True)

    needs_sandbox = any(g.needs_sandbox for g, _ in runnable)
    config = _sandbox_config(options, state / "sandbox", world)
    settings = ProxySettings(port=options.proxy_port or (free_port() if options.target == "coop" else DEFAULT_PORT))
    sandbox: SandboxRun | None = None
    proxy: ProxyProcess | None = None
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    echo(f"Conformidad {options.target}: {options.url} (entidad {options.entity}); informe en {folder}")
    try:
        if needs_sandbox:
            echo("Arrancando el sandbox alrededor del participante (con el proxy)...")
            sandbox = SandboxRun(config, proxy=settings)
            sandbox.start(timeout_s=90)
            env[ATTACH_ENV] = str(sandbox.run_dir / "config.json")
            if options.target == "switch":
                echo("Su switch debe llamar a estos participantes (puertos de sandbox.toml o --config):")
                for party, url in config.urls().items():
                    echo(f"  {party:9} {url}{'  (su switch)' if party == 'switch' else ''}")
                echo(f"  proxy     {settings.url}  (sus llamadas a los participantes, para los casos de falla)")
        else:
            echo("Arrancando el proxy entre la red y el participante...")
            config.proxy_url = settings.url
            config_file = dump_for_child(config, state / "sandbox" / "run" / "config.json")
            proxy = ProxyProcess(
                settings,
                config_file=config_file,
                state_dir=state / "sandbox",
                log_path=state / "sandbox" / "logs" / "proxy.log",
            )
            proxy.start(timeout_s=60)
        args = _pytest_args(options, runnable, declaration, world, work, settings.url, root)
        echo(f"Escenarios: {', '.join(f'{g.name} ({len(f)} archivos)' for g, f in runnable)}")
        log = state / "pytest.log"
        with log.open("wb") as out:
            proc = subprocess.run(  # noqa: S603 - our own interpreter and pytest
                args,
                cwd=root,
                env=env,
                check=False,
                stdout=None if options.verbose else out,
                stderr=subprocess.STDOUT if not options.verbose else None,
            )
    except (StartError, ProxyStartError) as exc:
        raise RunError(f"no se pudo arrancar el sandbox: {exc}") from None
    finally:
        if sandbox is not None:
            sandbox.stop()
        if proxy is not None:
            proxy.stop()
    results = work / "results.json"
    if not results.is_file():
        tail = "" if options.verbose else (state / "pytest.log").read_text(errors="replace")[-3000:]
        raise RunError(f"pytest no produjo resultados (código {proc.returncode}).\n{tail}")
    cases = [Case.from_json(c) for c in json.loads(results.read_text(encoding="utf-8"))["cases"]]
    finished = _now()
    verdict = judge(cases, declaration, waivers, finished.astimezone(UTC).date())

    folder.mkdir(parents=True)
    facts = _facts(options, declaration, waivers, world, started, finished, folder, root)
    shutil.copyfile(work / "cucumber.json", folder / "cucumber.json") if (work / "cucumber.json").is_file() else None
    if options.capture:
        _copy_capture(state / "sandbox" / "proxy", folder / "capture")
    write_junit(folder / "junit.xml", verdict, suite_name=f"conformidad.{options.target}")
    catalogue = _rules_catalogue(root)
    group_rows = [
        {"name": g.name, "title": g.title, "available": bool(files), "cases": sum(c.group == g.name for c in cases)}
        for g, files in present
    ]
    operations = {op.name: op.title for op in CATALOGUE[options.target]}
    write_html(folder / "report.html", verdict, facts, catalogue, operations, group_rows)
    (folder / "results.json").write_text(results_json(verdict, facts), encoding="utf-8")
    (folder / "run.json").write_text(json.dumps(facts, ensure_ascii=False, indent=1), encoding="utf-8")
    digest = write_manifest(folder)
    echo(summary_line(verdict))
    for reason in verdict.reasons():
        echo(f"  - {reason}")
    echo(f"Informe: {folder / 'report.html'}")
    echo(f"SHA-256 del manifiesto: {digest} (guárdelo: `coop-sandbox conformance verify {folder} --digest {digest}`)")
    return RunResult(EXIT_OK if verdict.ok else EXIT_FAILED, folder, verdict, digest)


def _sandbox_config(options: RunOptions, state: Path, world: Path) -> SandboxConfig:
    """The sandbox around the participant: frozen clock, jobs on tick. For a coop core every party
    listens on a free port (the core is only called). A switch calls the parties itself, so they
    listen where its configuration points: the ports of ``sandbox.toml`` (or ``--config``)."""
    overrides: dict[str, Any] = {"world": str(world)} if options.world else {}
    if options.target == "coop":
        return suite_config(state, {options.target: options.url}, **overrides)
    base = load_config(
        options.config, state_dir=str(state), clock="frozen", clock_start=TEST_CLOCK_START.isoformat(),
        jobs_interval_s=0, log_level="warning", **overrides,
    )  # fmt: skip
    base.parties[options.target].external_url = options.url
    return base


def _pytest_args(
    options: RunOptions,
    runnable: list[tuple[Group, list[Path]]],
    declaration: Declaration,
    world: Path,
    work: Path,
    proxy_url: str,
    root: Path,
) -> list[str]:
    collect = list(dict.fromkeys(g.collect for g, _ in runnable))
    # A group is a declared operation only for its own target (a switch's flows); for a core, the
    # operations are the contract's, recognised request by request.
    own = f"{options.target}."
    groups = [{"name": g.name, "globs": list(g.globs), "tags": list(g.tags),
               "operation": g.operation if g.operation and g.operation.startswith(own) else None}
              for g, _ in runnable]  # fmt: skip
    args = [
        sys.executable,
        "-m",
        "pytest",
        *collect,
        "-p",
        "sandbox.conformance.plugin",
        "--conformance-out",
        str(work),
        "--conformance-target",
        options.target,
        "--conformance-url",
        options.url,
        "--conformance-entity",
        options.entity,
        "--conformance-timeout",
        str(options.timeout_s),
        "--conformance-proxy",
        proxy_url,
        "--conformance-world",
        str(world),
        "--conformance-groups",
        json.dumps(groups),
        f"--cucumberjson={work / 'cucumber.json'}",
        "-m",
        "slow or not slow",  # every scenario of the groups, the slow fault cases too
        "-p",
        "no:cacheprovider",
        "-q",
        "-rN",
        "--rootdir",
        str(root),
    ]
    if options.declaration:
        args += ["--conformance-declaration", str(options.declaration.resolve())]
    if options.via_proxy or options.capture:
        args.append("--conformance-via-proxy")
    return args + list(options.pytest_args)


def _facts(
    options: RunOptions,
    declaration: Declaration,
    waivers: Waivers,
    world: Path,
    started: datetime,
    finished: datetime,
    folder: Path,
    root: Path,
) -> dict[str, Any]:
    return {
        "target": options.target,
        "target_title": TARGET_TITLES[options.target],
        "participant": declaration.participant,
        "url": mask_text(options.url),
        "entity": options.entity,
        "command": mask_text(options.command or "coop-sandbox conformance"),
        "declaration": {
            "file": str(options.declaration) if options.declaration else None,
            "implicit": declaration.implicit,
            "operations": list(declaration.operations),
            "product_types": list(declaration.product_types),
            "entities": list(declaration.entities),
        },
        "waivers": {"file": str(options.waivers) if options.waivers else None, "count": len(waivers.waivers)},
        "world": _world_facts(world),
        "clock": f"congelado, inicia en {TEST_CLOCK_START.isoformat()} (sandbox); el participante usa su propio reloj",
        "timeout_s": options.timeout_s,
        "proxy": "captura del tráfico en capture/ (enmascarada)"
        if options.capture
        else "solo para los casos de falla (sin captura guardada)",
        "capture": options.capture,
        "versions": _versions(root),
        "started_at": started.astimezone(UTC).isoformat(timespec="seconds"),
        "finished_at": finished.astimezone(UTC).isoformat(timespec="seconds"),
        "report_dir": str(folder),
    }


def _copy_capture(source: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("capture.har", "capture.mitm", "contract.json", "contract.md"):
        if (source / name).is_file():
            shutil.copyfile(source / name, dest / name)
