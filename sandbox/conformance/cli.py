"""``coop-sandbox conformance``: run the conformance scenarios against a participant's own system.

coop-sandbox conformance coop --url http://their-core:9000 [--entity ALIANZA] [--declaration FILE]
                              [--waivers FILE] [--proxy] [--group contrato] [--timeout 5s] [--run NAME]
coop-sandbox conformance switch --url http://their-switch:8000 [...]
coop-sandbox conformance verify reports/conformance/<run> [--digest SHA256]
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sandbox.conformance.report import verify as verify_folder
from sandbox.conformance.runner import EXIT_UNUSABLE, RunOptions, run

conformance_app = typer.Typer(
    help="Conformidad: probar el sistema propio de un participante contra la red (informe para entregar).",
    no_args_is_help=True,
)
console = Console()
err = Console(stderr=True)

Url = Annotated[str, typer.Option("--url", help="URL base del sistema bajo prueba, p. ej. http://10.0.0.5:9000.")]
Entity = Annotated[str, typer.Option("--entity", help="Código de la entidad (cooperativa) que sirve.")]
DeclarationOpt = Annotated[
    Path | None, typer.Option("--declaration", help="YAML: operaciones y tipos de producto que implementa.")
]
WaiversOpt = Annotated[Path | None, typer.Option("--waivers", help="YAML: fallas conocidas, cada una con su motivo.")]
ProxyOpt = Annotated[
    bool,
    typer.Option("--proxy", help="Pasar también las llamadas de la conformidad por el proxy y guardar la captura."),
]
GroupOpt = Annotated[list[str] | None, typer.Option("--group", "-g", help="Solo estos grupos de escenarios.")]
TimeoutOpt = Annotated[str, typer.Option("--timeout", help="Cuánto espera la red una respuesta (5s, 1500ms).")]
RunOpt = Annotated[str | None, typer.Option("--run", help="Nombre de la corrida (carpeta del informe).")]
OutOpt = Annotated[Path, typer.Option("--out", help="Carpeta de los informes.")]
WorldOpt = Annotated[Path | None, typer.Option("--world", help="Archivo de mundo (por defecto el del proyecto).")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="sandbox.toml (puertos de los participantes).")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Mostrar la salida de pytest.")]


def _seconds(text: str) -> float:
    raw = text.strip().lower()
    try:
        if raw.endswith("ms"):
            return float(raw[:-2]) / 1000
        return float(raw.removesuffix("s"))
    except ValueError:
        raise typer.BadParameter(f"tiempo no válido: {text!r} (ejemplos: 5s, 1500ms)") from None


def _go(
    target: str,
    url: str,
    entity: str,
    declaration: Path | None,
    waivers: Path | None,
    proxy: bool,
    group: list[str] | None,
    timeout: str,
    run_name: str | None,
    out: Path,
    world: Path | None,
    verbose: bool,
    config: Path | None = None,
    proxy_port: int | None = None,
) -> None:
    options = RunOptions(
        target=target,
        url=url,
        entity=entity,
        declaration=declaration,
        waivers=waivers,
        capture=proxy,
        timeout_s=_seconds(timeout),
        world=world,
        config=config,
        proxy_port=proxy_port,
        groups=group,
        out_root=out,
        run_name=run_name,
        command="coop-sandbox " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        verbose=verbose,
    )
    result = run(options, echo=lambda line: console.print(line, highlight=False, soft_wrap=True))
    if result.exit_code == EXIT_UNUSABLE:
        err.print(f"[red]No se pudo hacer la corrida:[/red] {result.message}", highlight=False)
    raise typer.Exit(result.exit_code)


@conformance_app.command("coop")
def coop(
    url: Url,
    entity: Entity = "ALIANZA",
    declaration: DeclarationOpt = None,
    waivers: WaiversOpt = None,
    proxy: ProxyOpt = False,
    group: GroupOpt = None,
    timeout: TimeoutOpt = "5s",
    run_name: RunOpt = None,
    out: OutOpt = Path("reports/conformance"),
    world: WorldOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """El núcleo bancario de una cooperativa (contrato coop v1) contra la red. Sale con 0 solo si nada falló."""
    _go("coop", url, entity, declaration, waivers, proxy, group, timeout, run_name, out, world, verbose)


@conformance_app.command("switch")
def switch(
    url: Url,
    entity: Entity = "ALIANZA",
    declaration: DeclarationOpt = None,
    waivers: WaiversOpt = None,
    proxy: ProxyOpt = False,
    group: GroupOpt = None,
    timeout: TimeoutOpt = "5s",
    run_name: RunOpt = None,
    out: OutOpt = Path("reports/conformance"),
    world: WorldOpt = None,
    verbose: VerboseOpt = False,
    config: ConfigOpt = None,
    proxy_port: Annotated[int, typer.Option("--proxy-port", help="Puerto del proxy para su switch.")] = 8090,
) -> None:
    """Un switch completo contra los simuladores de la red. Sale con 0 solo si nada falló.

    Su switch debe llamar a los participantes del sandbox en los puertos de sandbox.toml (o --config)
    y a través del proxy para los casos de falla; la corrida los imprime al arrancar."""
    _go(
        "switch",
        url,
        entity,
        declaration,
        waivers,
        proxy,
        group,
        timeout,
        run_name,
        out,
        world,
        verbose,
        config,
        proxy_port,
    )


@conformance_app.command("verify")
def verify(
    folder: Annotated[Path, typer.Argument(help="Carpeta de un informe (reports/conformance/<corrida>).")],
    digest: Annotated[str | None, typer.Option("--digest", help="SHA-256 del manifiesto publicado.")] = None,
) -> None:
    """Comprueba que nadie editó un informe: cada archivo contra MANIFEST.sha256."""
    problems = verify_folder(folder, digest)
    if problems:
        err.print(f"[red]El informe {folder} fue alterado:[/red]")
        for problem in problems:
            err.print(f"  - {problem}", highlight=False)
        raise typer.Exit(1)
    console.print(f"[green]Intacto:[/green] {folder} (todos los archivos coinciden con MANIFEST.sha256)")
