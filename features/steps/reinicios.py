"""Steps of the restart features (NET-08): a party of the running sandbox is killed (SIGKILL, as a
crash), stopped or started again through the supervisor (:mod:`sandbox.supervisor`) of the
session's sandbox, and the scenario checks that what it acknowledged is still there."""

from __future__ import annotations

import time
from typing import Any

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
    contexto[f"estado de {participante}"] = _state(contexto, participante)
    supervisor.command(participante, "kill")  # SIGKILL: nothing is flushed, nothing is said goodbye
    _until_running(contexto.red, participante, not_pid=before)


def _state(contexto: Contexto, party: str) -> dict[str, Any]:
    answer = requests.get(contexto.red.url(party) + "/_sandbox/state", timeout=30)
    assert answer.status_code == 200, answer.text
    state: dict[str, Any] = answer.json()["state"]
    for volatile in ("bank_list",):  # a cache of ACH's bank list, not state
        state.pop(volatile, None)
    for part in state.values():  # the process's own counters (the switch's group commit)
        if isinstance(part, dict):
            part.pop("group_commit", None)
    return state


@then(parsers.parse('"{participante}" conserva todo lo que tenía antes de caerse'))
def conserva(contexto: Contexto, participante: str) -> None:
    assert _state(contexto, participante) == contexto[f"estado de {participante}"]


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


# -- coop and the switch's PSE 1066 and collections flows (issue 16, items 3 and 9) ----------------------
def _coop_sync(contexto: Contexto, *, todas: bool = True) -> dict[str, Any]:
    params = {"all": "true"} if todas else {}
    answer = requests.get(contexto.red.url("switch") + "/pse/v1/coop-sync", params=params, timeout=30)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


@then(parsers.parse('el switch sigue debiendo a la cooperativa "{que}" del pago'))
def switch_debe_a_coop(contexto: Contexto, que: str) -> None:
    items = [i for i in _coop_sync(contexto)["items"] if i["cus"] == contexto["cus"]]
    assert len(items) == 1 and que in items[0]["message"], items
    assert items[0]["idempotency_key"] == f"pse1066:{contexto['cus']}:post" and not items[0]["stuck"], items


@then("el switch no debe nada a la cooperativa")
def switch_no_debe_a_coop(contexto: Contexto) -> None:
    assert _coop_sync(contexto)["items"] == []
    pagina = requests.get(contexto.red.url("switch") + "/pse/pendientes-cooperativa?todas=true", timeout=30)
    assert pagina.status_code == 200 and 'data-pending="0"' in pagina.text


@then("la conciliación de los pagos 1066 lo muestra en proceso, sin diferencias")
def conciliacion_en_proceso(contexto: Contexto) -> None:
    informe = contexto.red.client.party("switch").request("GET", "/pse/v1/reconciliation")
    assert informe["difference_count"] == 0, informe["differences"]
    assert informe["in_progress"] == [contexto["cus"]], informe


@when(
    parsers.parse("el switch reintenta {veces:d} veces más, cada {minutos:d} minutos, sin respuesta de la cooperativa")
)
def reintentos_sin_respuesta(contexto: Contexto, veces: int, minutos: int) -> None:
    status = _supervisor(contexto.red).status
    corriendo = [nombre for nombre in contexto.red.urls if status[nombre].state == "running"]
    assert "coop" not in corriendo, status["coop"]
    for _ in range(veces):
        contexto.red.client.advance_clock(minutos * 60, corriendo)  # each runs the switch's due jobs once


@then(parsers.parse('el operador ve que falta informar a la cooperativa "{que}" del pago tras {intentos:d} intentos'))
def operador_ve_pendiente_coop(contexto: Contexto, que: str, intentos: int) -> None:
    revisar = _coop_sync(contexto, todas=False)
    assert revisar["alert_after"] == intentos, revisar
    items = [i for i in revisar["items"] if i["cus"] == contexto["cus"]]
    assert len(items) == 1 and items[0]["stuck"] and items[0]["attempts"] == intentos, revisar
    assert que in items[0]["message"] and items[0]["last_error"], items
    pagina = requests.get(contexto.red.url("switch") + "/pse/pendientes-cooperativa", timeout=30)
    assert pagina.status_code == 200, pagina.text[:500]
    assert f'data-cus="{contexto["cus"]}"' in pagina.text and "revisar" in pagina.text


@then("la conciliación de los pagos 1066 cuenta como diferencia lo que el switch aún debe a la cooperativa")
def conciliacion_cuenta_pendiente(contexto: Contexto) -> None:
    informe = contexto.red.client.party("switch").request("GET", "/pse/v1/reconciliation")
    diferencias = [(d["cus"], d["party"], d["field"]) for d in informe["differences"]]
    assert diferencias == [(contexto["cus"], "coop", "coop_sync")], informe["differences"]
    todos = contexto.red.client.party("switch").request("GET", "/v1/conciliacion")  # every flow, side by side
    assert next(f for f in todos["flows"] if f["flow"] == "pse1066")["difference_count"] == 1, todos


@then(parsers.parse('el pago termina rechazado porque "{motivo}" y ofrece volver al comercio'))
def pago_termina_rechazado(contexto: Contexto, motivo: str) -> None:
    socio = contexto["socio"]
    socio.get("/resultado")
    assert socio.state == "declined", socio.page.text[:1000] if socio.page else None
    assert motivo in socio.message, socio.message
    assert socio.back_url == f"{contexto.red.url('merchant')}/pse/retorno"
