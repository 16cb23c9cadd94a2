"""The pytest plugin of a conformance run (``-p sandbox.conformance.plugin``, added by the runner).

While the features run it

* **records the evidence**: every HTTP exchange the steps make (``requests`` and ``httpx``, as the
  steps' clients send them) with the participant or the sandbox's parties, masked
  (:mod:`sandbox.kit.masking`), attached to the scenario; on a failure, also the messages between
  parties the proxy saw during the scenario (the switch calling the participant);
* **enforces the declaration**: a request to the participant for an operation or entity it did
  not declare skips the scenario as *no declarada* (never a pass); for a switch, scenarios of
  undeclared flows are skipped at collection;
* **writes** ``results.json`` in ``--conformance-out``: per scenario its feature, rules (tags
  ``AREA-NN``), steps, outcome, the failed step and its message, operations and exchanges.

It also gives the features a ``conformidad`` fixture (the participant's URL, entity, API key,
timeout, the proxy, and a recording session) for contract scenarios that talk to the participant
directly. Inactive unless ``--conformance-out`` is given.
"""

from __future__ import annotations

import fnmatch
import json
import re
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from pytest_bdd.scenario import scenario_wrapper_template_registry

from sandbox.conformance.declaration import Declaration, everything, load_declaration
from sandbox.conformance.operations import CATALOGUE, classify
from sandbox.conformance.verdict import Case
from sandbox.kit.masking import mask_body, mask_text, mask_value

RULE = re.compile(r"^[A-Z]+-\d{2}$")
UNDECLARED = "no declarada: "
UNAVAILABLE = "no aplica: "
#: Headers worth showing in the evidence (the rest is noise).
_SHOWN_HEADERS = {
    "authorization",
    "idempotency-key",
    "content-type",
    "idempotent-replayed",
    "x-sandbox-party",
    "x-request-id",
    "location",
    "retry-after",
}
_BODY_LIMIT = 6000
#: Rule statements for the coop contract when features/rules.yaml does not have them yet.
COOP_RULES = {
    "COOP-01": "La consulta de asociado por tipo y número de documento responde su nombre y contactos enmascarados; "
    "un documento desconocido responde «no encontrado» y nada más.",
    "COOP-02": "Los productos de un asociado traen tipo (códigos COL-02), número enmascarado, estado y saldo; los "
    "créditos, fecha límite, pago mínimo y total; cada producto dice si admite débito PSE y sus límites de pago.",
    "COOP-03": "Un débito autorizado retiene fondos (o cupo) de un producto activo que lo permite y luego se aplica "
    "o se anula una sola vez; si no, vence a su tiempo.",
    "COOP-04": "Un abono (pago a un crédito, depósito a un ahorro) se acepta solo en un producto activo y dentro de "
    "sus reglas de valor (mínimo, total, límites), y se aplica una sola vez.",
    "COOP-05": "Un débito o abono aplicado se puede reversar; la reversa tiene su propio id, restituye el saldo y se "
    "aplica una sola vez.",
    "COOP-06": "Toda llamada que mueve dinero lleva Idempotency-Key: la misma clave con el mismo cuerpo repite la "
    "primera respuesta, marcada como repetición; con otro cuerpo se rechaza (422); en curso, 409.",
    "COOP-07": "Fondos insuficientes, tope superado, producto inactivo o cerrado y entidad sin el servicio responden "
    "cada uno su propio código estable, nunca un error genérico.",
    "COOP-08": "Quien no recibió una respuesta (tiempo agotado o respuesta perdida) conoce el resultado verdadero "
    "consultando o reintentando con la misma clave; nada se aplica dos veces ni queda a medias.",
}


@dataclass
class Exchange:
    method: str
    url: str
    operation: str | None
    to_participant: bool
    request_headers: dict[str, str]
    request_body: str
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    elapsed_ms: float | None = None
    error: str | None = None


def _headers(headers: Any) -> dict[str, str]:
    return {k: str(mask_value(k, v)) for k, v in dict(headers).items() if k.lower() in _SHOWN_HEADERS}


def _body(raw: bytes | str | None, content_type: str | None) -> str:
    if raw is None:
        return ""
    data = raw.encode() if isinstance(raw, str) else bytes(raw)
    return mask_body(data, content_type, limit=_BODY_LIMIT)


class Recorder:
    """Holds the scenario being run and records what its clients send."""

    def __init__(self, target: str, participant_url: str, declaration: Declaration) -> None:
        self.target = target
        self.participant_url = participant_url.rstrip("/")
        self.declaration = declaration
        self.case: Case | None = None
        self._undo: list[Callable[[], None]] = []

    # -- the declaration ---------------------------------------------------------------------
    def check(self, method: str, url: str) -> str | None:
        """The operation of a request to the participant; skips the scenario when undeclared."""
        operation, entity = classify(self.target, self.participant_url, method, url)
        if operation is None:
            return None
        if not self.declaration.declares(operation):
            self._skip(f"{UNDECLARED}el escenario usa la operación {operation}, que el participante no declaró")
        if not self.declaration.serves(entity):
            self._skip(f"{UNDECLARED}el escenario usa la entidad {entity}, que el participante no declaró")
        return operation

    def _skip(self, reason: str) -> None:
        if self.case is not None:
            self.case.undeclared = reason.startswith(UNDECLARED)
        pytest.skip(reason)

    def control_missing(self, url: str, status: int) -> None:
        """A scenario that forces an outcome through the sandbox's control API *on the participant*
        (behaviour rules, its state) cannot be played against a system without it: skipped, saying
        so — not failed, not passed. Reset and clock are optional hooks the suite already tolerates."""
        if status not in (404, 405, 501) or not url.startswith(self.participant_url + "/_sandbox/"):
            return
        path = url[len(self.participant_url) :].split("?", 1)[0]
        if path.startswith(("/_sandbox/rules", "/_sandbox/state", "/_sandbox/journal", "/_sandbox/tick")):
            self._skip(
                f"{UNAVAILABLE}el escenario fuerza el resultado con el API de control del sandbox en el "
                f"participante ({path}), que su sistema no ofrece; sus casos de falla se prueban con el proxy"
            )

    def record(self, exchange: Exchange) -> None:
        if self.case is None:
            return
        if "/_sandbox/" in exchange.url or "://proxy.sandbox" in exchange.url:
            return  # the control API and the proxy's own endpoint are not evidence
        self.case.exchanges.append(asdict(exchange))
        if exchange.operation:
            self.case.operations.append(exchange.operation)

    # -- the clients ---------------------------------------------------------------------------
    def install(self) -> None:
        self._patch_requests()
        self._patch_httpx()

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    def _patch_requests(self) -> None:
        adapter = requests.adapters.HTTPAdapter
        original = adapter.send
        recorder = self

        def send(self: requests.adapters.HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any) -> Any:
            method, url = request.method or "GET", request.url or ""
            operation = recorder.check(method, url)
            exchange = Exchange(
                method=method,
                url=mask_text(url),
                operation=operation,
                to_participant=operation is not None or url.startswith(recorder.participant_url),
                request_headers=_headers(request.headers),
                request_body=_body(request.body, request.headers.get("content-type")),
            )
            started = time.perf_counter()
            try:
                response = original(self, request, **kwargs)
            except Exception as exc:
                exchange.error = _describe(exc)
                exchange.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
                recorder.record(exchange)
                raise
            exchange.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
            exchange.status = response.status_code
            exchange.response_headers = _headers(response.headers)
            exchange.response_body = _body(response.content, response.headers.get("content-type"))
            recorder.record(exchange)
            recorder.control_missing(url, response.status_code)
            return response

        adapter.send = send  # type: ignore[method-assign,assignment]
        self._undo.append(lambda: setattr(adapter, "send", original))

    def _patch_httpx(self) -> None:
        try:
            import httpx
        except ImportError:  # pragma: no cover - httpx is a dependency
            return
        transport = httpx.HTTPTransport
        original = transport.handle_request
        recorder = self

        def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
            method, url = request.method, str(request.url)
            operation = recorder.check(method, url)
            exchange = Exchange(
                method=method,
                url=mask_text(url),
                operation=operation,
                to_participant=operation is not None or url.startswith(recorder.participant_url),
                request_headers=_headers(request.headers),
                request_body=_body(request.content, request.headers.get("content-type")),
            )
            started = time.perf_counter()
            try:
                response = original(self, request)
                content = response.read()
            except Exception as exc:
                exchange.error = _describe(exc)
                exchange.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
                recorder.record(exchange)
                raise
            exchange.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
            exchange.status = response.status_code
            exchange.response_headers = _headers(response.headers)
            exchange.response_body = _body(content, response.headers.get("content-type"))
            recorder.record(exchange)
            recorder.control_missing(url, response.status_code)
            return response

        transport.handle_request = handle_request  # type: ignore[method-assign]
        self._undo.append(lambda: setattr(transport, "handle_request", original))


def _describe(exc: BaseException) -> str:
    name = type(exc).__name__
    if "Timeout" in name:
        return f"sin respuesta a tiempo ({name})"
    if "Connection" in name or "RemoteProtocol" in name or "ChunkedEncoding" in name:
        return f"la conexión se cerró sin una respuesta completa ({name})"
    return f"{name}: {exc}"


# -- the fixture for contract scenarios -------------------------------------------------------
@dataclass
class Conformidad:
    """What a contract scenario needs to talk to the participant."""

    target: str
    url: str
    entity: str
    api_key: str
    timeout_s: float
    declaration: Declaration
    proxy_url: str | None
    via_proxy: bool
    world: dict[str, Any]
    http: requests.Session

    def entity_url(self, path: str = "") -> str:
        return f"{self.url}/coop/v1/entities/{self.entity}{path}"

    def proxies(self, through_proxy: bool = False) -> dict[str, str] | None:
        if (through_proxy or self.via_proxy) and self.proxy_url:
            return {"http": self.proxy_url, "https": self.proxy_url}
        return None

    def declares_type(self, product_type: str) -> bool:
        return product_type in self.declaration.product_types


# -- the plugin -------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "conformance run (coop-sandbox conformance)")
    group.addoption("--conformance-out", default=None, help="folder for results.json (activates the plugin)")
    group.addoption("--conformance-target", default="coop", choices=sorted(CATALOGUE))
    group.addoption("--conformance-url", default=None, help="the participant's base URL")
    group.addoption("--conformance-entity", default="ALIANZA")
    group.addoption("--conformance-declaration", default=None)
    group.addoption("--conformance-timeout", type=float, default=5.0, help="seconds the network waits for an answer")
    group.addoption("--conformance-proxy", default=None, help="the proxy between the network and the participant")
    group.addoption("--conformance-via-proxy", action="store_true", help="send the contract calls through the proxy")
    group.addoption("--conformance-world", default=None, help="world YAML (API keys, personas)")
    group.addoption(
        "--conformance-groups",
        default=None,
        help='JSON: [{"name", "globs": [feature files], "operation": name or null}]; others deselected',
    )


_STATE = pytest.StashKey["ConformancePlugin"]()


def pytest_configure(config: pytest.Config) -> None:
    out = config.getoption("--conformance-out")
    if not out:
        return
    for rule, statement in COOP_RULES.items():
        config.addinivalue_line("markers", f"{rule}: {statement}")
    config.addinivalue_line("markers", "conformidad: contract scenarios of the conformance run")
    config.addinivalue_line("markers", "proxy: the scenario breaks the link through the proxy")
    target = config.getoption("--conformance-target")
    url = config.getoption("--conformance-url") or ""
    entity = config.getoption("--conformance-entity")
    path = config.getoption("--conformance-declaration")
    declaration = load_declaration(Path(path), target, entity) if path else everything(target, entity)
    plugin = ConformancePlugin(config, Path(out), Recorder(target, url, declaration))
    config.stash[_STATE] = plugin
    config.pluginmanager.register(plugin, "conformance-recorder")


class ConformancePlugin:
    def __init__(self, config: pytest.Config, out: Path, recorder: Recorder) -> None:
        self.config = config
        self.out = out
        self.recorder = recorder
        self.cases: dict[str, Case] = {}
        self.proxy_url: str | None = config.getoption("--conformance-proxy")
        self._flow_mark: int = 0
        #: [{"name", "globs": [feature files, relative to the root], "operation": declared name | None}]
        self.item_groups: dict[str, str] = {}
        #: For a switch, a group is one declared operation (flow): its scenarios exercise it.
        self.item_operations: dict[str, str] = {}
        self.groups: list[dict[str, Any]] = json.loads(config.getoption("--conformance-groups") or "[]")
        self.root = config.rootpath

    def _group_of(self, item: pytest.Item) -> dict[str, Any] | None:
        function = getattr(item, "obj", None)
        scenario = scenario_wrapper_template_registry.get(function) if callable(function) else None
        where = Path(scenario.feature.filename) if scenario is not None else Path(item.path)
        try:
            relative = where.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            relative = where.as_posix()
        tags = {m.name for m in item.iter_markers()}
        for group in self.groups:
            if any(fnmatch.fnmatchcase(relative, pattern) for pattern in group["globs"]):
                return group
            if tags & set(group.get("tags") or ()):
                return group
        return None

    # -- collection: the groups, and a switch's undeclared flows -----------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        if not self.groups:
            return
        declaration = self.recorder.declaration
        keep, drop = [], []
        for item in items:
            group = self._group_of(item)
            if group is None:
                drop.append(item)
                continue
            keep.append(item)
            self.item_groups[item.nodeid] = group["name"]
            operation = group.get("operation")
            if operation:
                self.item_operations[item.nodeid] = operation
            if operation and not declaration.declares(operation):
                item.add_marker(
                    pytest.mark.skip(
                        reason=f"{UNDECLARED}el grupo «{group['name']}» es la operación "
                        f"{operation}, que el participante no declaró"
                    )
                )
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.recorder.install()
        # The project's rule-coverage report belongs to `make test`: a conformance run must not overwrite it.
        if self.config.pluginmanager.has_plugin("rule-coverage"):
            self.config.pluginmanager.unregister(name="rule-coverage")

    # -- per test ----------------------------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
        case = Case(
            test=item.nodeid,
            feature=str(item.path.name),
            scenario=item.name,
            rules=sorted({m.name for m in item.iter_markers() if RULE.match(m.name)}),
            outcome="passed",
            group=self.item_groups.get(item.nodeid, ""),
        )
        if item.nodeid in self.item_operations:
            case.operations.append(self.item_operations[item.nodeid])
        function = getattr(item, "obj", None)
        template = scenario_wrapper_template_registry.get(function) if callable(function) else None
        if template is not None:  # names known before the scenario starts (a skip in a fixture keeps them)
            case.feature, case.scenario = template.feature.name, template.name
        self.cases[item.nodeid] = case
        self.recorder.case = case
        self._flow_mark = self._latest_flow()
        try:
            return (yield)
        finally:
            self.recorder.case = None
            if case.outcome == "skipped" and (case.skip_reason or "").startswith(UNDECLARED):
                case.undeclared = True
            if case.outcome != "skipped":
                case.operations.extend(self._network_operations())

    def _network_operations(self) -> list[str]:
        """The operations the network (the switch) asked of the participant during the test, as the
        proxy saw them: an end-to-end scenario exercises the core through the switch, not directly."""
        if not self.proxy_url:
            return []
        base = self.recorder.participant_url
        found = []
        for flow in self._flows(limit=200):
            if int(flow.get("seq", 0)) <= self._flow_mark or flow.get("to") != self.recorder.target:
                continue
            operation, _ = classify(self.recorder.target, base, str(flow.get("method")), base + str(flow.get("path")))
            if operation:
                found.append(operation)
        return found

    def pytest_bdd_before_scenario(self, request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
        case = self.cases.get(request.node.nodeid)
        if case is None:
            return
        case.feature = feature.name
        case.scenario = scenario.name
        case.steps = [{"keyword": s.keyword, "text": s.name, "status": "pending"} for s in scenario.steps]
        tags = set(scenario.tags) | set(feature.tags)
        case.rules = sorted({*case.rules, *(t for t in tags if RULE.match(t))})

    def pytest_bdd_after_step(self, request: pytest.FixtureRequest, step: Any) -> None:
        self._step(request, step, "passed")

    def pytest_bdd_step_error(self, request: pytest.FixtureRequest, step: Any, exception: Exception) -> None:
        case = self._step(request, step, "failed")
        if case is not None:
            case.failed_step = f"{step.keyword} {step.name}"
            case.message = _message(exception)

    def _step(self, request: pytest.FixtureRequest, step: Any, status: str) -> Case | None:
        case = self.cases.get(request.node.nodeid)
        if case is None:
            return None
        for entry in case.steps:
            if entry["text"] == step.name and entry["status"] == "pending":
                entry["status"] = status
                break
        return case

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        case = self.cases.get(item.nodeid)
        if case is None:
            return report
        case.duration_s += report.duration
        if report.skipped and case.outcome != "failed":
            case.outcome = "skipped"
            if isinstance(report.longrepr, tuple):
                case.skip_reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        elif report.failed:
            case.outcome = "failed"
            if case.message is None and call.excinfo is not None:
                case.message = _message(call.excinfo.value)
                if report.when != "call":
                    case.failed_step = f"({'preparación' if report.when == 'setup' else 'cierre'} del escenario)"
            case.peer_traffic = self._peer_traffic()
        return report

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.recorder.uninstall()
        self.out.mkdir(parents=True, exist_ok=True)
        data = {"cases": [asdict(c) for c in self.cases.values()]}
        for case in data["cases"]:
            case.pop("waiver", None)
            case.pop("status", None)
        (self.out / "results.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")

    # -- the proxy's view ----------------------------------------------------------------------
    def _latest_flow(self) -> int:
        if not self.proxy_url:
            return 0
        flows = self._flows(limit=1)
        return max((int(f.get("seq", 0)) for f in flows), default=0)

    def _flows(self, limit: int) -> list[dict[str, Any]]:
        try:
            answer = requests.get(
                "http://proxy.sandbox/_flows", params={"limit": limit}, timeout=5, proxies={"http": str(self.proxy_url)}
            )
            flows: list[dict[str, Any]] = answer.json().get("flows", [])
            return flows
        except (requests.RequestException, ValueError):
            return []

    def _peer_traffic(self) -> list[dict[str, Any]]:
        """The messages between parties (e.g. the switch calling the participant) during the test."""
        if not self.proxy_url:
            return []
        return [f for f in self._flows(limit=50) if int(f.get("seq", 0)) > self._flow_mark]


def _message(exc: BaseException) -> str:
    """The step's own words: an assertion's message without pytest's ``assert ...`` rewrite."""
    text = str(exc).strip()
    if isinstance(exc, AssertionError):
        text = re.split(r"\nassert |\n\s*assert ", text, maxsplit=1)[0].strip()
    return mask_text(text or type(exc).__name__)[:4000]


@pytest.fixture(scope="session")
def conformidad(pytestconfig: pytest.Config) -> Iterator[Conformidad]:
    """The participant under test: URL, entity, API key (from the world), timeout, proxy, and a
    session whose calls are recorded as evidence."""
    plugin: ConformancePlugin | None = pytestconfig.stash.get(_STATE, None)
    if plugin is None:
        pytest.skip("solo en una corrida de conformidad (coop-sandbox conformance)")
    entity = pytestconfig.getoption("--conformance-entity")
    world_path = pytestconfig.getoption("--conformance-world")
    world = _world(world_path)
    key = next(
        (e.get("core_api_key") for e in world.get("entities", []) if e.get("code") == entity and e.get("core_api_key")),
        f"coop-{entity.lower()}-key",
    )
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {key}"
        http.headers["X-Sandbox-Party"] = "switch"
        yield Conformidad(
            target=plugin.recorder.target,
            url=plugin.recorder.participant_url,
            entity=entity,
            api_key=key,
            timeout_s=pytestconfig.getoption("--conformance-timeout"),
            declaration=plugin.recorder.declaration,
            proxy_url=plugin.proxy_url,
            via_proxy=pytestconfig.getoption("--conformance-via-proxy"),
            world=world,
            http=http,
        )


def _world(path: str | None) -> dict[str, Any]:
    if path is None:
        path = str(Path(__file__).resolve().parents[1] / "world" / "default.yaml")
    data: dict[str, Any] = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return data
