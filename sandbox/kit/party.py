"""The party app factory: what every party (and the switch) has in common.

A party module provides ``build(ctx: PartyContext) -> FastAPI`` that calls
:func:`create_party_app` with its own routers, state, behaviour-rule operations and jobs. The
factory adds:

* the control API under ``/_sandbox/`` (health, reset, state, clock, tick, rules, journal),
  kept apart from the protocol routes as mojaloop-simulator does;
* one JSON error shape for every 4xx (:mod:`sandbox.kit.errors`);
* request ids, the journal and masked logs (:mod:`sandbox.kit.observe`);
* background jobs on the sandbox clock (sweepers, re-queries), run every
  ``jobs_interval_s`` and on demand by ``POST /_sandbox/tick`` and after every clock change;
* a home page listing the party's pages, and Jinja2 templates with a shared base layout;
* durable state (:mod:`sandbox.kit.durable`): a party opens its store with :meth:`PartyContext.durable`
  and stages the rows it changes; the factory commits them before any answer leaves (every route,
  the lean ones too), after the jobs, on reset, and at shutdown — nothing is acknowledged before it
  is on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.resources
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Protocol

import jinja2
from fastapi import APIRouter, Body, FastAPI, Query, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from sandbox.config import SandboxConfig
from sandbox.kit.behaviour import Dropped, DroppedResponse
from sandbox.kit.clock import Clock, FileClockState
from sandbox.kit.durable import Encoder, RowStore, Snapshot
from sandbox.kit.errors import InvalidInput, NotFound, RequestRefused, error_response, install_error_handlers
from sandbox.kit.fast import FastDispatch, FastRoutes, Message, Receive, Scope, Send
from sandbox.kit.labels import environment
from sandbox.kit.limits import RequestLimits
from sandbox.kit.observe import Journal, RequestContext, RequestContextMiddleware
from sandbox.kit.peers import Peers
from sandbox.kit.rules import RuleSet
from sandbox.world import World, load_world

log = logging.getLogger("sandbox.party")

KIT_TEMPLATES = Path(__file__).with_name("templates")
#: Swagger UI and ReDoc, as shipped by the ``fastapi-offline`` package (installed with the project):
#: the docs pages work on a network closed to the internet, where FastAPI's CDN links stay blank.
DOCS_ASSETS = Path(str(importlib.resources.files("fastapi_offline") / "static"))
DOCS_ASSETS_URL = "/docs-assets"
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'"
)
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)


class PartyState(Protocol):
    """A party's state: back to the world on reset, exportable as JSON."""

    def reset(self) -> None: ...

    def export(self) -> dict[str, Any]: ...


class NoState:
    def reset(self) -> None:
        return None

    def export(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class Job:
    """Work due on the sandbox clock. ``run(now)`` returns how many things it did."""

    name: str
    run: Callable[[datetime], Awaitable[int]]


@dataclass
class PartyContext:
    """Everything a party is wired with; built once per process by :meth:`create`."""

    name: str
    config: SandboxConfig
    clock: Clock
    world: World
    peers: Peers
    journal: Journal
    state_dir: Path
    options: dict[str, Any] = field(default_factory=dict)
    #: The party's durable stores (:meth:`durable`), committed by the app factory.
    stores: list[RowStore] = field(default_factory=list)
    snapshots: list[Snapshot] = field(default_factory=list)

    def durable(self, encode: Encoder | None = None, *, name: str | None = None) -> RowStore:
        """The party's durable rows, in ``<state_dir>/<party>.db`` (``name`` for a second file).
        Rows written for another world are dropped when it opens."""
        world_id = str(self.config.world or "default")
        path = self.state_dir / f"{name or self.name}.db"
        store = RowStore(path, world_id=world_id, encode=encode) if encode else RowStore(path, world_id=world_id)
        self.stores.append(store)
        return store

    def durable_snapshot(self, state: object, attrs: tuple[str, ...]) -> Snapshot:
        """Keep ``state``'s named attributes on disk as one snapshot (low-volume parties), restored
        now if a previous run left one; the app factory writes it after every change."""
        snapshot = Snapshot(self.durable(), state, attrs)
        if not snapshot.restore():
            snapshot.touch()
        self.snapshots.append(snapshot)
        return snapshot

    def touch(self) -> None:
        """The party's snapshots may have changed: write them at the next commit."""
        for snapshot in self.snapshots:
            snapshot.touch()

    async def commit(self) -> None:
        """Every staged row of the party on disk (see :mod:`sandbox.kit.durable`)."""
        for store in self.stores:
            await store.commit()

    @classmethod
    def create(
        cls,
        name: str,
        config: SandboxConfig,
        *,
        clock: Clock | None = None,
        world: World | None = None,
        peers: Peers | None = None,
    ) -> PartyContext:
        state_dir = Path(config.state_dir)
        if clock is None:
            clock_file = state_dir / "run" / "clock"
            clock = Clock(FileClockState(clock_file)) if clock_file.exists() else Clock()
        party = config.party(name)
        return cls(
            name=name,
            config=config,
            clock=clock,
            world=world if world is not None else load_world(config.world),
            # Every configured party's URL, started here or not: a party not started is a peer that
            # does not answer (as when it is down), not a composition root that cannot be built (a
            # load run starts only the switch, CEIBO and red).
            peers=peers or Peers(name, {n: p.url for n, p in config.parties.items()}, proxy_url=config.proxy_url),
            journal=Journal(config.journal_limit),
            state_dir=state_dir,
            options=dict(party.options),
        )

    def limits(self) -> RequestLimits:
        """This party's request limits (:mod:`sandbox.kit.limits`), from the configuration."""
        party = self.config.party(self.name)
        return RequestLimits(
            max_body_bytes=party.max_body_bytes or self.config.max_body_bytes,
            max_json_depth=self.config.max_json_depth,
        )


class ClockChange(BaseModel):
    """Exactly one of: advance by seconds, set to an instant, switch mode, or run on the real time
    plus an offset (``{"offset_s": 0}``: back to the real time)."""

    model_config = ConfigDict(extra="forbid")
    advance_s: float | None = Field(default=None, ge=0, le=10 * 366 * 86400)
    set: AwareDatetime | None = None
    mode: str | None = Field(default=None, pattern="^(real|frozen)$")
    offset_s: float | None = Field(default=None, ge=-30 * 366 * 86400, le=70 * 366 * 86400)

    @model_validator(mode="after")
    def _one(self) -> ClockChange:
        given = [v is not None for v in (self.advance_s, self.set, self.mode, self.offset_s)]
        if sum(given) != 1:
            raise ValueError("indique exactamente uno de advance_s, set, mode u offset_s")
        return self

    @field_validator("set")
    @classmethod
    def _sane_instant(cls, value: datetime | None) -> datetime | None:
        # Sandbox time stays where protocols make sense (TOTP, ACH cycles, epoch arithmetic).
        if value is not None and not (_EARLIEST <= value < _LATEST):
            raise ValueError("debe estar entre 2000-01-01 y 2099-12-31")
        return value


def clock_view(clock: Clock) -> dict[str, Any]:
    reading = clock.reading()
    return {
        "now": clock.now().isoformat(),
        "mode": reading.mode,
        "offset_s": round(clock.offset_s(), 6),
        "clock_id": reading.clock_id,
    }


def make_templates(*dirs: Path, ctx: PartyContext) -> Jinja2Templates:
    """A party's templates (its folders, then the kit's), with the kit's filters (estado, motivo,
    hora, fecha, money…: one language and one clock for people); every page knows its party, the
    world (login pages list their test users from it) and the peers' URLs. ``ctx`` is required so
    that no template set is built without them (a page would fail only when rendered)."""
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in (*dirs, KIT_TEMPLATES)])
    templates = Jinja2Templates(env=environment(loader))
    templates.env.globals.update(party=ctx.name, world=ctx.world, peers=ctx.peers.urls)
    return templates


class JobRunner:
    def __init__(self, ctx: PartyContext, jobs: Sequence[Job]) -> None:
        self.ctx = ctx
        self.jobs = list(jobs)
        self.lock = asyncio.Lock()

    async def run_all(self) -> dict[str, int]:
        done: dict[str, int] = {}
        async with self.lock:
            now = self.ctx.clock.now()
            for job in self.jobs:
                try:
                    done[job.name] = await job.run(now)
                except Exception:  # a failing job must not stop the others or the loop
                    log.exception("job %s failed", job.name)
                    done[job.name] = -1
            self.ctx.touch()
            await self.ctx.commit()
        return done

    async def loop(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            await self.run_all()


def health_router(ctx: PartyContext, *, implemented: bool) -> APIRouter:
    """``GET /_sandbox/health`` alone: liveness probes hit it often, so it is matched first."""
    router = APIRouter(prefix="/_sandbox", tags=["control"])

    @router.get("/health")
    async def health() -> dict[str, Any]:
        return {
            "status": "ok",
            "party": ctx.name,
            "implemented": implemented,
            "now": ctx.clock.now().isoformat(),
        }

    return router


def control_router(
    ctx: PartyContext,
    state: PartyState,
    rules: RuleSet,
    runner: JobRunner,
    *,
    implemented: bool,
) -> APIRouter:
    router = APIRouter(prefix="/_sandbox", tags=["control"])

    @router.post("/reset")
    async def reset() -> dict[str, Any]:
        async with runner.lock:
            state.reset()
            rules.clear()
            ctx.journal.clear()
            ctx.touch()
            await ctx.commit()
        return {"status": "reset", "party": ctx.name}

    @router.get("/state")
    async def export_state() -> dict[str, Any]:
        return {"party": ctx.name, "at": ctx.clock.now().isoformat(), "state": state.export()}

    @router.get("/clock")
    async def get_clock() -> dict[str, Any]:
        return clock_view(ctx.clock)

    @router.post("/clock")
    async def change_clock(change: ClockChange) -> dict[str, Any]:
        if change.advance_s is not None:
            ctx.clock.advance(change.advance_s)
        elif change.set is not None:
            ctx.clock.set(change.set)
        elif change.offset_s is not None:
            ctx.clock.real_time(change.offset_s)
        elif change.mode == "frozen":
            ctx.clock.freeze()
        else:
            ctx.clock.unfreeze()
        jobs = await runner.run_all()
        return {**clock_view(ctx.clock), "jobs": jobs}

    @router.post("/tick")
    async def tick() -> dict[str, Any]:
        return {"party": ctx.name, "now": ctx.clock.now().isoformat(), "jobs": await runner.run_all()}

    @router.get("/rules")
    async def list_rules() -> dict[str, Any]:
        return {
            "rules": rules.list(),
            "operations": {op: sorted(fields) for op, fields in sorted(rules.operations.items())},
        }

    @router.put("/rules")
    async def replace_rules(body: Annotated[Any, Body()]) -> dict[str, Any]:
        rules.replace(body)
        return {"rules": rules.list()}

    @router.post("/rules", status_code=201)
    async def add_rules(body: Annotated[Any, Body()]) -> dict[str, Any]:
        rules.add(body)
        return {"rules": rules.list()}

    @router.delete("/rules")
    async def clear_rules() -> dict[str, Any]:
        rules.clear()
        return {"rules": []}

    @router.delete("/rules/{rule_id}")
    async def delete_rule(rule_id: str) -> dict[str, Any]:
        if not rules.remove(rule_id):
            raise NotFound(f"No existe la regla {rule_id}.", code="rule_not_found", field="rule_id")
        return {"rules": rules.list()}

    @router.get("/journal")
    async def journal(
        limit: Annotated[int, Query(ge=1, le=100_000)] = 100,
        path: Annotated[str | None, Query(max_length=200)] = None,
    ) -> dict[str, Any]:
        entries = ctx.journal.entries(limit=limit, path_prefix=path)
        return {"party": ctx.name, "entries": [e.to_dict() for e in entries]}

    return router


def docs_router(title: str, openapi_url: str = "/openapi.json") -> APIRouter:
    """``/docs`` (Swagger UI) and ``/redoc`` served from :data:`DOCS_ASSETS`: nothing leaves the host."""
    router = APIRouter(include_in_schema=False)
    oauth2_redirect = "/docs/oauth2-redirect"

    def local_only(page: HTMLResponse) -> HTMLResponse:
        # ReDoc's sidebar shows a logo from its vendor's CDN, unconditionally: the browser is told
        # to load nothing from anywhere but this party (the logo then hides itself).
        page.headers["Content-Security-Policy"] = DOCS_CSP
        return page

    @router.get("/docs", response_class=HTMLResponse)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return local_only(
            get_swagger_ui_html(
                openapi_url=root + openapi_url,
                title=f"{title} · OpenAPI",
                oauth2_redirect_url=root + oauth2_redirect,
                swagger_js_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui.css",
                swagger_favicon_url=f"{root}{DOCS_ASSETS_URL}/favicon.png",
            )
        )

    @router.get(oauth2_redirect, response_class=HTMLResponse)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @router.get("/redoc", response_class=HTMLResponse)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return local_only(
            get_redoc_html(
                openapi_url=root + openapi_url,
                title=f"{title} · ReDoc",
                redoc_js_url=f"{root}{DOCS_ASSETS_URL}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{DOCS_ASSETS_URL}/favicon.png",
                with_google_fonts=False,
            )
        )

    return router


class PartyApp(FastAPI):
    """A party's FastAPI app; its lean hot routes (``fast``, :mod:`sandbox.kit.fast`) answer before
    the framework's middleware stack, and everything else goes through FastAPI as usual. The
    request limits (:mod:`sandbox.kit.limits`) apply first, to both paths."""

    fast: FastDispatch | None = None
    limits: RequestLimits = RequestLimits()
    #: Where refusals made here are recorded: the journal and its clock (control routes are not journaled).
    recorder: tuple[Journal, Clock] | None = None

    #: The party's durable stores: what they staged is committed before an answer starts.
    stores: Sequence[RowStore] = ()
    snapshots: Sequence[Snapshot] = ()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        if self.stores:
            path = scope.get("path", "")
            reads = scope.get("method") in ("GET", "HEAD") and path.startswith(_NO_CHANGES)
            send = _durable_send(send, self.stores, () if reads else self.snapshots)
        refused = self.limits.check_declared(scope)
        if refused is not None:  # Content-Length over the limit: not a byte is read
            await self._refuse(scope, receive, send, refused)
            return
        if self.fast is not None:
            try:  # the lean path applies the limits as it reads the body (sandbox.kit.fast)
                if await self.fast(scope, receive, send, self._framework):
                    return
            except RequestRefused as exc:  # raised while the lean path read the body: nothing sent yet
                await self._refuse(scope, receive, send, exc)
                return
        await super().__call__(scope, self.limits.guard(scope, receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, refused: RequestRefused) -> None:
        """Answer a refusal made in front of both paths, in the one shape, and journal it."""
        context = RequestContext(scope)
        try:
            response = error_response(Request(scope, receive), refused.error, refused.status_code, refused.headers)

            async def with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", []), context.id_header]
                await send(message)

            await response(scope, receive, with_id)
            if self.recorder is not None and not scope.get("path", "").startswith("/_sandbox/"):
                journal, clock = self.recorder
                context.record(journal, clock, scope, refused.status_code)
        finally:
            context.leave()

    async def _framework(self, scope: Scope, receive: Receive, send: Send) -> None:
        await super().__call__(scope, self.limits.guard(scope, receive), send)


#: Reads that never change a party's state (a page may: the payer's return from the bank is a GET).
_NO_CHANGES = ("/_sandbox/", "/docs", "/redoc", "/openapi.json", DOCS_ASSETS_URL)


def _durable_send(send: Send, stores: Sequence[RowStore], snapshots: Sequence[Snapshot] = ()) -> Send:
    """``send`` that puts every staged row (and the snapshots of a request that may have changed
    them) on disk before the answer starts (see :mod:`sandbox.kit.durable`): a caller never hears
    of a change a crash could undo."""

    async def durable(message: Message) -> None:
        if message["type"] == "http.response.start":
            for snapshot in snapshots:
                snapshot.touch()
            for store in stores:
                await store.commit()
        await send(message)

    return durable


def create_party_app(
    ctx: PartyContext,
    *,
    title: str,
    description: str,
    state: PartyState | None = None,
    routers: Sequence[APIRouter] = (),
    operations: Mapping[str, set[str] | frozenset[str]] | None = None,
    rules: RuleSet | None = None,
    jobs: Sequence[Job] = (),
    extra_control: Sequence[APIRouter] = (),
    pages: Sequence[tuple[str, str]] = (),
    templates_dir: Path | None = None,
    implemented: bool = True,
    on_startup: Sequence[Callable[[], Awaitable[None]]] = (),
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = (),
    fast_routes: FastRoutes | None = None,
) -> FastAPI:
    """Build a party's FastAPI app. See the module docstring for what is added.

    ``rules``: the party's :class:`RuleSet`, built in its composition root and given to its
    services (through :class:`sandbox.kit.behaviour.Behaviour`); or ``operations`` alone for a
    party whose rules nobody evaluates yet.

    ``fast_routes`` (:mod:`sandbox.kit.fast`): lean handlers of hot routes that are also declared
    in ``routers`` (their documentation, validation and error answers); they answer with the kit's
    request context (request id, journal), in front of FastAPI's middleware stack."""
    state = state or NoState()
    if rules is None:
        rules = RuleSet(operations or {})
    elif operations is not None:
        raise TypeError("give either the party's RuleSet (rules=) or its operations, not both")
    _keep_rules(ctx, rules)
    runner = JobRunner(ctx, jobs)
    templates = make_templates(*([templates_dir] if templates_dir else []), ctx=ctx)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for hook in on_startup:
            await hook()
        task = None
        if jobs and ctx.config.jobs_interval_s > 0:
            task = asyncio.create_task(runner.loop(ctx.config.jobs_interval_s))
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for hook in on_shutdown:
                await hook()
            await ctx.peers.aclose()
            for store in ctx.stores:
                await store.aclose()

    # FastAPI's own /docs and /redoc load their scripts from a CDN: replaced by docs_router().
    app = PartyApp(
        title=title, description=description, lifespan=lifespan, version="0.1.0", docs_url=None, redoc_url=None
    )
    app.stores = ctx.stores
    app.snapshots = ctx.snapshots
    app.state.ctx = ctx
    app.limits = ctx.limits()
    app.recorder = (ctx.journal, ctx.clock)
    app.state.rules = rules
    app.state.party_state = state
    app.state.templates = templates
    app.state.jobs = runner
    install_error_handlers(app)

    async def _dropped(request: Request, exc: Exception) -> DroppedResponse:
        return DroppedResponse()

    app.add_exception_handler(Dropped, _dropped)
    if fast_routes:
        app.fast = FastDispatch(
            fast_routes,
            journal=ctx.journal,
            clock=ctx.clock,
            record_bodies=ctx.config.journal_bodies,
            limits=app.limits,
        )
    app.add_middleware(
        RequestContextMiddleware,
        journal=ctx.journal,
        clock=ctx.clock,
        record_bodies=ctx.config.journal_bodies,
    )
    # FastAPI tries routes in order, and each included router costs a scan of its routes: the
    # health probe first, then the party's own (hot) routes, then the rest of the control API.
    # Control routes live under /_sandbox/ only, so no protocol route can shadow them.
    app.include_router(health_router(ctx, implemented=implemented))
    for router in routers:
        app.include_router(router)
    app.include_router(control_router(ctx, state, rules, runner, implemented=implemented))
    for extra in extra_control:
        app.include_router(extra)
    app.include_router(docs_router(title))
    app.mount(DOCS_ASSETS_URL, StaticFiles(directory=DOCS_ASSETS), name="docs-assets")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(
            request,
            "party_home.html",
            {
                "party": ctx.name,
                "title": title,
                "description": description,
                "pages": pages,
                "implemented": implemented,
                "peers": ctx.peers.urls,
            },
        )

    return app


def _keep_rules(ctx: PartyContext, rules: RuleSet) -> None:
    """The party's behaviour rules in ``<state_dir>/<party>-rules.db``: laid back now if a previous
    run left some (a crash does not lift a fault a test set up), staged at every change and
    committed with the party's other rows before the answer (see :mod:`sandbox.kit.rules`)."""
    rows = ctx.durable(name=f"{ctx.name}-rules")
    for _key, stored in rows.rows("rules"):
        try:
            rules.restore(stored)
        except InvalidInput as exc:  # the party's operations changed since: start without them
            log.warning("%s: stored behaviour rules not restored (%s)", ctx.name, exc.message)
            rows.wipe()
    rules.on_change = lambda dump: rows.put("rules", "all", dump)


def rules_of(request: Request) -> RuleSet:
    rules: RuleSet = request.app.state.rules
    return rules


def require(condition: bool, message: str, *, field: str, code: str = "invalid_field") -> None:
    """Refuse bad input with the one error shape (a tiny helper for protocol handlers)."""
    if not condition:
        raise InvalidInput(message, code=code, field=field)
