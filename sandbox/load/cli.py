"""The ``coop-sandbox load`` command (registered by :mod:`sandbox.cli`)."""

from __future__ import annotations

import re
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Annotated

import typer

from sandbox.load.profiles import ProfileError, load_profiles, parse_duration


def _duration(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "sin detalle"


def _write_traceback(where: Path) -> Path:
    """The current exception's traceback in ``where/error.log`` (or a temporary file)."""
    text = traceback.format_exc()
    try:
        where.mkdir(parents=True, exist_ok=True)
        path = where / "error.log"
        path.write_text(text)
    except OSError:
        with tempfile.NamedTemporaryFile("w", prefix="coop-load-", suffix=".log", delete=False) as tmp:
            tmp.write(text)
            path = Path(tmp.name)
    return path


def load(
    profile: Annotated[str, typer.Argument(help="smoke, steady, ramp, spike, soak o bench (load/profiles.toml).")],
    host: Annotated[
        str | None, typer.Option(help="URL de un switch ya corriendo (si no, se arranca un sandbox para la prueba).")
    ] = None,
    ceibo: Annotated[str | None, typer.Option(help="Con --host: URL de CEIBO (soft-tokens, saldos).")] = None,
    red: Annotated[str | None, typer.Option(help="Con --host: URL de la red de cobranzas (bocas, cajas).")] = None,
    users: Annotated[int | None, typer.Option(min=1, help="Usuarios en el pico (escala el perfil).")] = None,
    duration: Annotated[str | None, typer.Option(help="Duración, p. ej. 30s o 5m (escala el perfil).")] = None,
    processes: Annotated[int, typer.Option(min=0, help="Procesos de Locust (maestro + N trabajadores).")] = 0,
    world: Annotated[Path | None, typer.Option(help="Mundo a usar (por defecto uno generado para el perfil).")] = None,
    database_url: Annotated[str | None, typer.Option(help="Base de datos del switch (SQLite por defecto).")] = None,
    switch_workers: Annotated[int | None, typer.Option(min=1, help="Procesos del switch (use PostgreSQL).")] = None,
    reports: Annotated[Path, typer.Option(help="Carpeta de informes.")] = Path("reports/load"),
    expect_workers: Annotated[
        int, typer.Option(min=0, help="Trabajadores de Locust en otras máquinas: este proceso es el maestro.")
    ] = 0,
    master_bind_host: Annotated[str, typer.Option(help="Con --expect-workers: dónde escucha el maestro.")] = "0.0.0.0",  # noqa: S104
    no_check: Annotated[bool, typer.Option("--no-check", help="Sin las verificaciones de corrección.")] = False,
    profile_parties: Annotated[
        bool, typer.Option("--profile", help="Gráficos de llama (py-spy) del switch y de CEIBO durante la carga.")
    ] = False,
    chaos: Annotated[
        bool,
        typer.Option(
            "--chaos",
            help="Mata (SIGKILL) switch, CEIBO o red durante la carga; el supervisor los reinicia. Los umbrales "
            "se informan sin juzgarse: el veredicto es la corrección. No va con --host ni con bench.",
        ),
    ] = False,
    chaos_seed: Annotated[int, typer.Option(help="Con --chaos: semilla del calendario de caídas.")] = 1,
    chaos_kills: Annotated[int, typer.Option(min=1, max=20, help="Con --chaos: cuántas caídas.")] = 1,
) -> None:
    """Corre un perfil de carga de Locust contra el núcleo de autorización (SICOOP) y da un veredicto.

    Escribe el informe HTML y los CSV de Locust, los umbrales y las verificaciones de corrección en
    reports/load/PERFIL/; termina con código 1 si falla un umbral o una verificación, y con código 2
    y una línea que dice por qué si la corrida no se pudo hacer o verificar (un participante que no
    responde, Locust sin veredicto).

    Con --chaos mata con SIGKILL switch, CEIBO o red en momentos sembrados de la carga (el supervisor
    los reinicia); las respuestas perdidas se resuelven consultando al switch; los umbrales se
    informan sin juzgarse y el código de salida es el de la corrección; si un participante no vuelve
    a arrancar, código 2.
    """
    from sandbox.load.runner import LoadError, LoadOptions, run_profile, write_bench

    try:
        known = load_profiles()
    except ProfileError as exc:
        raise typer.BadParameter(str(exc)) from None
    if profile not in known:
        raise typer.BadParameter(f"perfil desconocido {profile!r}; existen: {', '.join(known)}")
    if (ceibo or red) and not host:
        raise typer.BadParameter("--ceibo y --red van con --host")
    if host and not (ceibo and red):
        raise typer.BadParameter(
            "--host necesita --ceibo (soft-tokens, saldos) y --red (las bocas de cobranza y sus cajas)"
        )
    if chaos and host:
        raise typer.BadParameter(
            "--chaos mata participantes que arranca esta corrida; con --host no arranca ninguno (quite --host)"
        )
    if chaos and profile == "bench":
        raise typer.BadParameter("--chaos no va con bench: bench mide el rendimiento y una caída lo falsearía")
    if re.match(r"^\d+$", duration or "x"):
        duration = f"{duration}s"
    opts = LoadOptions(
        profile=profile,
        host=host,
        ceibo=ceibo,
        red=red,
        users=users,
        duration_s=_duration(duration),
        processes=processes,
        world=world,
        database_url=database_url,
        switch_workers=switch_workers,
        reports=reports,
        expect_workers=expect_workers,
        master_bind_host=master_bind_host,
        check=not no_check,
        flamegraphs=profile_parties,
        chaos=chaos,
        chaos_seed=chaos_seed,
        chaos_kills=chaos_kills,
    )
    try:
        results = run_profile(opts)
    except LoadError as exc:
        typer.echo(f"coop-sandbox load: {_one_line(str(exc))}", err=True)
        raise typer.Exit(2) from None
    except Exception as exc:  # a bug, or something unforeseen: still one line and exit 2, the detail in a file
        detail = _write_traceback(reports / profile)
        typer.echo(
            f"coop-sandbox load: no se pudo completar la corrida: {_one_line(f'{type(exc).__name__}: {exc}')}"
            f" (detalle en {detail})",
            err=True,
        )
        raise typer.Exit(2) from None
    for result in results:
        state = "PASSED" if result.ok else "FAILED"
        typer.echo(f"{result.profile} ({result.mix}): {state} — {result.report_dir / 'summary.md'}")
        if result.chaos is not None:
            for kill in result.chaos["kills"]:
                down = f"back after {kill['down_s']:.1f} s (pid {kill['new_pid']})" if kill["restarted"] else "NOT back"
                typer.echo(f"  chaos  {kill['party']} killed at {kill['at_s']:.1f} s (pid {kill['pid']}), {down}")
            missed = "" if result.thresholds.get("ok") else " (some missed)"
            typer.echo(f"  thresholds reported, not judged under chaos{missed}: the verdict is correctness")
        if result.correctness is not None:
            for check in result.correctness.checks:
                typer.echo(f"  {'ok    ' if check.ok else 'FAILED'} {check.name}: {check.detail}")
    if len(results) == 2:
        typer.echo(write_bench(results, opts))
    sys.stdout.flush()
    if not all(r.ok for r in results):
        raise typer.Exit(1)
