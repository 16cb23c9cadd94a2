"""Steps of the restart features (NET-08): a party of the running sandbox is killed (SIGKILL, as a
crash), stopped or started again through the supervisor (:mod:`sandbox.supervisor`) of the
session's sandbox, and the scenario checks that what it acknowledged is still there."""

from __future__ import annotations

import time

import requests
from pytest_bdd import given, parsers, then, when

from features.conftest import Contexto
from sandbox.testing import SandboxHandle

RESTART_WAIT_S = 90


def _supervisor(handle: SandboxHandle):  # type: ignore[no-untyped-def]
    assert handle.run is not None and handle.run.supervisor is not None, "el sandbox de la sesión no está supervisado"
    return handle.run.supervisor


def _until_running(handle: SandboxHandle, party: str, *, not_pid: int | None) -> None:
    supervisor = _supervisor(handle)
    deadline = time.monotonic() + RESTART_WAIT_S
    while time.monotonic() < deadline:
        st = supervisor.status[party]
        if st.state == "running" and st.pid is not None and st.pid != not_pid:
            return
        time.sleep(0.05)
    raise AssertionError(f"{party} no volvió a arrancar en {RESTART_WAIT_S} s: {supervisor.status[party]}")


@given(parsers.parse('que "{participante}" se cae y el supervisor lo vuelve a arrancar'))
@when(parsers.parse('"{participante}" se cae y el supervisor lo vuelve a arrancar'))
def se_cae(contexto: Contexto, participante: str) -> None:
    supervisor = _supervisor(contexto.red)
    before = supervisor.status[participante].pid
    supervisor.command(participante, "kill")  # SIGKILL: nothing is flushed, nothing is said goodbye
    _until_running(contexto.red, participante, not_pid=before)


@given(parsers.parse('que "{participante}" está detenido'))
@when(parsers.parse('"{participante}" se detiene'))
def se_detiene(contexto: Contexto, participante: str) -> None:
    supervisor = _supervisor(contexto.red)
    supervisor.command(participante, "stop")
    deadline = time.monotonic() + RESTART_WAIT_S
    while supervisor.status[participante].state != "stopped":
        assert time.monotonic() < deadline, f"{participante} no se detuvo"
        time.sleep(0.05)


@when(parsers.parse('"{participante}" vuelve a arrancar'))
def vuelve(contexto: Contexto, participante: str) -> None:
    _supervisor(contexto.red).command(participante, "start")
    _until_running(contexto.red, participante, not_pid=None)


@when("la plataforma confirma la transacción")
def plataforma_confirma(contexto: Contexto) -> None:
    path = f"/sicoop/v1/withdrawals/{contexto['transaccion']}/confirm"
    answer = requests.post(contexto.red.url("switch") + path, timeout=30)
    assert answer.status_code == 200, answer.text
    contexto["confirmacion"] = answer.json()


@then(parsers.parse('SICOOP respondió "{estado}" aunque CEIBO no lo supo todavía'))
def confirmada_sin_ceibo(contexto: Contexto, estado: str) -> None:
    body = contexto["confirmacion"]
    assert body["status"] == estado and body["issuer_state"] != "posted", body


@then(parsers.parse('SICOOP sigue debiendo a CEIBO la "{accion}" de la transacción'))
def sicoop_debe(contexto: Contexto, accion: str) -> None:
    items = requests.get(contexto.red.url("switch") + "/sicoop/v1/issuer-sync", params={"all": "true"}, timeout=30)
    owed = {t["id"]: t["issuer_sync"] for t in items.json()["items"]}
    assert owed.get(contexto["transaccion"]) == {"aplicación": "post", "anulación": "void"}[accion], owed


@then("SICOOP no debe nada a CEIBO")
def sicoop_no_debe(contexto: Contexto) -> None:
    items = requests.get(contexto.red.url("switch") + "/sicoop/v1/issuer-sync", params={"all": "true"}, timeout=30)
    assert items.json()["items"] == []


@then(parsers.parse("la hora del sandbox sigue siendo la de antes más {minutos:d} minutos"))
def hora_conservada(contexto: Contexto, minutos: int) -> None:
    now = contexto.red.client.now("switch")
    assert (now - contexto["inicio"]).total_seconds() == minutos * 60, (now, contexto["inicio"])
