"""Steps of the cash features (features/efectivo): a cashier at a collection counter, the holder's
DIMO app, SICOOP (the switch), CEIBO and the drawers.

The cashier drives the network's pages like a person (GET the form, POST it, read the result
page); the holder reads the soft-token as the app shows it (CEIBO's control API); the network's
platform talks to SICOOP's JSON API directly where a scenario needs to misbehave (go silent,
retry, change the body).
"""

from __future__ import annotations

import html
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from zoneinfo import ZoneInfo

import requests
from pytest_bdd import given, parsers, then, when

from features.conftest import Contexto
from sandbox.kit.money import format_display

TIMEOUT_S = 30


# -- helpers --------------------------------------------------------------------------------------
def _url(contexto: Contexto, party: str, path: str) -> str:
    return contexto.red.url(party) + path


def _cards(contexto: Contexto) -> dict[str, dict[str, Any]]:
    cards = requests.get(_url(contexto, "ceibo", "/_sandbox/cards"), timeout=TIMEOUT_S).json()["cards"]
    return {c["card_id"]: c for c in cards}


def _holds(contexto: Contexto) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = requests.get(_url(contexto, "ceibo", "/_sandbox/holds"), timeout=TIMEOUT_S).json()[
        "holds"
    ]
    return found


def _counters(contexto: Contexto) -> dict[str, dict[str, Any]]:
    rows = requests.get(_url(contexto, "red", "/red/v1/counters"), timeout=TIMEOUT_S).json()
    return {c["id"]: c for c in rows}


def _cashier(contexto: Contexto, operation: str, boca: str, data: dict[str, str]) -> None:
    """Open the form like the cashier, fill it in, send it, land on the result page."""
    page = "/sicoop/extraccion" if operation == "withdrawal" else "/sicoop/deposito"
    session = requests.Session()
    form = session.get(_url(contexto, "red", page), params={"boca": boca}, timeout=TIMEOUT_S)
    assert form.status_code == 200, form.text
    trace = re.search(r'name="trace_number" value="([^"]+)"', form.text)
    assert trace, "el formulario no trae el número de traza"
    fields = {"trace_number": trace.group(1), "boca": boca, **data}
    contexto["formulario"] = (page, fields)
    _send_form(contexto, session)


def _send_form(contexto: Contexto, session: requests.Session | None = None) -> None:
    page, fields = contexto["formulario"]
    result = (session or requests.Session()).post(_url(contexto, "red", page), data=fields, timeout=TIMEOUT_S)
    assert result.status_code == 200, result.text
    status = re.search(r'data-status="(\w+)" data-instruction="(\w+)"', result.text)
    assert status, f"la página de resultado no dice qué hacer: {result.text[:500]}"
    message = re.search(r"<strong[^>]*>([^<]+)</strong>", result.text[status.end() :])
    operation = requests.get(_url(contexto, "red", f"/red/v1/operations/{fields['trace_number']}"), timeout=TIMEOUT_S)
    contexto["pantalla"] = {
        "status": status.group(1),
        "instruction": status.group(2),
        "message": html.unescape(message.group(1)) if message else "",
    }
    contexto["operacion"] = operation.json()
    contexto["transaccion"] = operation.json()["switch_id"]


def _identification(texto: str) -> dict[str, str]:
    found = re.fullmatch(r'(la cédula|el celular) "([^"]+)"', texto)
    assert found, f'identificación no reconocida: {texto} (use: la cédula "..." o el celular "...")'
    kind, value = found.groups()
    return {"tipo_identificacion": "cedula" if kind == "la cédula" else "celular", "identificacion": value}


def _transaction(contexto: Contexto) -> dict[str, Any]:
    txn_id = contexto["transaccion"]
    assert txn_id, "SICOOP no asignó una transacción"
    kind = "withdrawals" if txn_id.startswith("wd-") else "deposits"
    answer = requests.get(_url(contexto, "switch", f"/sicoop/v1/{kind}/{txn_id}"), timeout=TIMEOUT_S)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _hold_of_transaction(contexto: Contexto) -> dict[str, Any]:
    found = [h for h in _holds(contexto) if h["hold_id"] == contexto["transaccion"]]
    assert len(found) == 1, f"CEIBO tiene {len(found)} pignoraciones de {contexto['transaccion']}"
    return found[0]


# -- the holder and the parties' setup ------------------------------------------------------------
@given(parsers.parse('que el titular de la tarjeta "{tarjeta}" lee en la app DIMO su código soft-token'))
def lee_soft_token(contexto: Contexto, tarjeta: str) -> None:
    answer = requests.get(_url(contexto, "ceibo", f"/_sandbox/cards/{tarjeta}/soft-token"), timeout=TIMEOUT_S)
    assert answer.status_code == 200, answer.text
    contexto["soft_token"] = answer.json()["code"]
    contexto["tarjeta"] = tarjeta


@given(parsers.parse("que CEIBO demora {segundos:g} segundos en contestar cada pignoración"))
def ceibo_lento(contexto: Contexto, segundos: float) -> None:
    contexto.red.client.party("ceibo").add_rule({"match": {"operation": "ceibo.hold"}, "action": {"delay_s": segundos}})


@given("que la red de cobranzas no puede registrar operaciones")
def registro_caido(contexto: Contexto) -> None:
    contexto.red.client.party("red").add_rule(
        {"match": {"operation": "red.register"}, "action": {"error": {"status": 503, "code": "register_down"}}}
    )


@given("que anoto los saldos de las tarjetas y el efectivo de las cajas")
def anoto_el_dinero(contexto: Contexto) -> None:
    contexto["saldos_iniciales"] = {k: int(c["balance"]) for k, c in _cards(contexto).items()}
    contexto["cajas_iniciales"] = {k: int(c["cash"]) for k, c in _counters(contexto).items()}


# -- the cashier ----------------------------------------------------------------------------------
_EXTRACCION = (
    'el cajero de la boca "{boca}" abre SICOOP → extracción e ingresa {ident}, ese código y el monto "{monto}"'
)


@given(parsers.parse(_EXTRACCION))
@when(parsers.parse(_EXTRACCION))
def cajero_extrae(contexto: Contexto, boca: str, ident: str, monto: str) -> None:
    _cashier(
        contexto, "withdrawal", boca, {**_identification(ident), "soft_token": contexto["soft_token"], "monto": monto}
    )


@when(
    parsers.parse(
        'el cajero de la boca "{boca}" abre SICOOP → extracción e ingresa la cédula "{cedula}", '
        'un código equivocado y el monto "{monto}"'
    )
)
def cajero_codigo_equivocado(contexto: Contexto, boca: str, cedula: str, monto: str) -> None:
    card = next(c for c in _cards(contexto).values() if c["document_number"] == cedula)
    shown = requests.get(_url(contexto, "ceibo", f"/_sandbox/cards/{card['card_id']}/soft-token"), timeout=TIMEOUT_S)
    wrong = f"{(int(shown.json()['code']) + 500_000) % 1_000_000:06d}"
    _cashier(
        contexto,
        "withdrawal",
        boca,
        {"tipo_identificacion": "cedula", "identificacion": cedula, "soft_token": wrong, "monto": monto},
    )


_DEPOSITO = 'el cajero de la boca "{boca}" abre SICOOP → depósito e ingresa {ident} y el monto "{monto}"'


@given(parsers.parse(_DEPOSITO))
@when(parsers.parse(_DEPOSITO))
def cajero_deposita(contexto: Contexto, boca: str, ident: str, monto: str) -> None:
    _cashier(contexto, "deposit", boca, {**_identification(ident), "monto": monto})


@when("el cajero envía otra vez el mismo formulario")
def doble_clic(contexto: Contexto) -> None:
    first = contexto["operacion"]
    _send_form(contexto)
    assert contexto["operacion"]["trace_number"] == first["trace_number"]


@given(
    parsers.parse(
        'una extracción de "{monto}" de la tarjeta "{tarjeta}" en la boca "{boca}" cuyo registro tarda más que la pignoración'
    )
)
def registro_lento(contexto: Contexto, monto: str, tarjeta: str, boca: str) -> None:
    card = _cards(contexto)[tarjeta]
    code = requests.get(_url(contexto, "ceibo", f"/_sandbox/cards/{tarjeta}/soft-token"), timeout=TIMEOUT_S)
    contexto.red.client.party("red").add_rule(
        {"match": {"operation": "red.register"}, "action": {"delay_s": 1.5}, "times": 1}
    )
    body = {
        "operation": "withdrawal",
        "counter_id": boca,
        "document_number": card["document_number"],
        "soft_token": code.json()["code"],
        "amount": monto,
        "trace_number": "LENTO-1",
    }
    lookup = _url(contexto, "switch", "/sicoop/v1/withdrawals")
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(requests.post, _url(contexto, "red", "/red/v1/operations"), json=body, timeout=60)
        deadline = time.monotonic() + 20
        while not requests.get(lookup, params={"trace_number": "LENTO-1"}, timeout=TIMEOUT_S).json()["items"]:
            assert time.monotonic() < deadline and not pending.done(), "SICOOP no recibió la extracción"
        contexto.red.client.advance_clock(121)  # the hold expires while the network is still registering
        operation = pending.result(timeout=60).json()
    assert (operation["status"], operation["reason_code"], operation["cash_moved"]) == ("annulled", "expired", False)


# -- the network's platform against SICOOP's API --------------------------------------------------
@when(
    parsers.parse(
        'la plataforma de la boca "{boca}" pide a SICOOP una extracción de "{monto}" para la cédula "{cedula}" '
        'con ese código y la traza "{traza}"'
    )
)
def plataforma_pide(contexto: Contexto, boca: str, monto: str, cedula: str, traza: str) -> None:
    body = {
        "trace_number": traza,
        "counter_id": boca,
        "document_number": cedula,
        "soft_token": contexto["soft_token"],
        "amount": monto,
    }
    answer = requests.post(_url(contexto, "switch", "/sicoop/v1/withdrawals"), json=body, timeout=TIMEOUT_S)
    contexto["solicitud"] = body
    contexto.respuestas.append(answer)
    if answer.status_code == 201:
        contexto["transaccion"] = answer.json()["id"]


@when("la plataforma repite la misma solicitud")
def plataforma_repite(contexto: Contexto) -> None:
    answer = requests.post(
        _url(contexto, "switch", "/sicoop/v1/withdrawals"), json=contexto["solicitud"], timeout=TIMEOUT_S
    )
    contexto.respuestas.append(answer)


@when(parsers.parse('la plataforma envía la traza "{traza}" con el monto "{monto}"'))
def plataforma_cambia_el_cuerpo(contexto: Contexto, traza: str, monto: str) -> None:
    body = {**contexto["solicitud"], "trace_number": traza, "amount": monto}
    contexto.respuestas.append(
        requests.post(_url(contexto, "switch", "/sicoop/v1/withdrawals"), json=body, timeout=TIMEOUT_S)
    )


@when("la plataforma confirma tarde la transacción")
def plataforma_confirma_tarde(contexto: Contexto) -> None:
    path = f"/sicoop/v1/withdrawals/{contexto['transaccion']}/confirm"
    contexto.respuestas.append(requests.post(_url(contexto, "switch", path), timeout=TIMEOUT_S))


# -- what the cashier sees ------------------------------------------------------------------------
@then(parsers.parse('la pantalla del cajero indica entregar "{monto}" al titular'))
def entregar(contexto: Contexto, monto: str) -> None:
    pantalla = contexto["pantalla"]
    assert (pantalla["status"], pantalla["instruction"]) == ("completed", "hand_over"), pantalla
    assert f"Entregue {monto} al titular" in pantalla["message"], pantalla


@then(parsers.parse('la pantalla del cajero indica recibir "{monto}" del titular'))
def recibir(contexto: Contexto, monto: str) -> None:
    pantalla = contexto["pantalla"]
    assert (pantalla["status"], pantalla["instruction"]) == ("completed", "take"), pantalla
    assert f"Reciba {monto} del titular" in pantalla["message"], pantalla


@then(parsers.parse('la pantalla del cajero informa el rechazo "{motivo}" sin mover efectivo'))
def rechazo(contexto: Contexto, motivo: str) -> None:
    pantalla, operacion = contexto["pantalla"], contexto["operacion"]
    assert (pantalla["status"], pantalla["instruction"]) == ("declined", "none"), pantalla
    assert operacion["reason_code"] == motivo, operacion
    assert "Rechazada" in pantalla["message"] and not operacion["cash_moved"]


@then("la pantalla del cajero informa un error de registro sin mover efectivo")
def error_de_registro(contexto: Contexto) -> None:
    pantalla, operacion = contexto["pantalla"], contexto["operacion"]
    assert pantalla["instruction"] == "none" and pantalla["status"] in ("released", "releasing"), pantalla
    assert operacion["registered"] is False and not operacion["cash_moved"], operacion
    assert "Informe al titular" in pantalla["message"]


# -- what each party recorded ---------------------------------------------------------------------
@then(parsers.parse('la red de cobranzas registró la operación como "{estado}"'))
def red_registro(contexto: Contexto, estado: str) -> None:
    trace = contexto["operacion"]["trace_number"]
    rows = requests.get(_url(contexto, "red", "/_sandbox/registrations"), timeout=TIMEOUT_S).json()["registrations"]
    row = next(r for r in rows if r["trace_number"] == trace)
    assert row["status"] == estado, row
    assert row["registered"] is (estado != "released"), row


@then(parsers.parse('SICOOP dejó la transacción "{estado}"'))
def sicoop_estado(contexto: Contexto, estado: str) -> None:
    assert _transaction(contexto)["status"] == estado


@then("CEIBO aplicó la pignoración de la transacción")
def ceibo_aplico(contexto: Contexto) -> None:
    assert _hold_of_transaction(contexto)["state"] == "posted"


@then("CEIBO anuló la pignoración de la transacción")
def ceibo_anulo(contexto: Contexto) -> None:
    assert _hold_of_transaction(contexto)["state"] in ("voided", "expired")


@then(parsers.parse('la tarjeta "{tarjeta}" tiene saldo "{saldo}" sin montos retenidos'))
def saldo_sin_retenciones(contexto: Contexto, tarjeta: str, saldo: str) -> None:
    card = _cards(contexto)[tarjeta]
    assert (card["balance"], card["pending"], card["pending_credit"]) == (saldo, "0", "0"), card


@then(parsers.parse('la tarjeta "{tarjeta}" tiene "{monto}" retenido'))
def monto_retenido(contexto: Contexto, tarjeta: str, monto: str) -> None:
    assert _cards(contexto)[tarjeta]["pending"] == monto


@then(parsers.parse('la caja de la boca "{boca}" tiene "{monto}"'))
def caja(contexto: Contexto, boca: str, monto: str) -> None:
    assert _counters(contexto)[boca]["cash"] == monto


@then(parsers.parse('la app DIMO muestra otro código para la tarjeta "{tarjeta}"'))
def otro_codigo(contexto: Contexto, tarjeta: str) -> None:
    card = _cards(contexto)[tarjeta]
    page = requests.get(_url(contexto, "ceibo", "/app"), params={"q": card["document_number"]}, timeout=TIMEOUT_S)
    shown = re.search(r'data-soft-token="(\d{6})"', page.text)
    assert shown and shown.group(1) != contexto["soft_token"]


@then(parsers.parse('SICOOP aprueba la transacción con la pignoración vigente hasta "{instante}"'))
def sicoop_aprueba(contexto: Contexto, instante: str) -> None:
    answer = contexto.respuestas[-1]
    assert answer.status_code == 201, answer.text
    assert (answer.json()["status"], answer.json()["hold_expires_at"]) == ("approved", instante)


@then(parsers.parse('SICOOP rechaza la confirmación tardía con "{codigo}"'))
def confirmacion_tardia(contexto: Contexto, codigo: str) -> None:
    answer = contexto.respuestas[-1]
    assert (answer.status_code, answer.json()["error"]) == (409, codigo), answer.text
    assert answer.json()["transaction"]["status"] == "expired"


@then("SICOOP responde lo mismo que la primera vez")
def misma_respuesta(contexto: Contexto) -> None:
    first, again = contexto.respuestas[-2], contexto.respuestas[-1]
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"


@then(parsers.parse('CEIBO tiene una sola pignoración con la traza "{traza}"'))
def una_pignoracion_por_traza(contexto: Contexto, traza: str) -> None:
    assert len([h for h in _holds(contexto) if h["trace_number"] == traza]) == 1


@then(parsers.parse('CEIBO tiene una sola pignoración de la tarjeta "{tarjeta}"'))
def una_pignoracion_por_tarjeta(contexto: Contexto, tarjeta: str) -> None:
    assert len([h for h in _holds(contexto) if h["card_id"] == tarjeta]) == 1


@then(parsers.parse('SICOOP rechaza la solicitud con el error "{codigo}" en el campo "{campo}"'))
def sicoop_rechaza(contexto: Contexto, codigo: str, campo: str) -> None:
    answer = contexto.respuestas[-1]
    assert answer.status_code in (409, 422), answer.text
    assert (answer.json()["error"], answer.json()["field"]) == (codigo, campo)


# -- money conservation (NET-02) ------------------------------------------------------------------
@then("cada guaraní que salió de una tarjeta salió de una caja y viceversa")
def conservacion(contexto: Contexto) -> None:
    cards, counters = _cards(contexto), _counters(contexto)
    assert all(c["pending"] == c["pending_credit"] == "0" for c in cards.values()), "quedó dinero retenido"
    card_delta = sum(int(c["balance"]) for c in cards.values()) - sum(contexto["saldos_iniciales"].values())
    drawer_delta = sum(int(c["cash"]) for c in counters.values()) - sum(contexto["cajas_iniciales"].values())
    assert card_delta == drawer_delta, (
        f"tarjetas {format_display(card_delta, 'PYG')}, cajas {format_display(drawer_delta, 'PYG')}"
    )
    assert card_delta != 0, "la jornada no movió dinero: el escenario no prueba nada"


@then("cada caja cuadra con lo que SICOOP le debe")
def cajas_cuadran(contexto: Contexto) -> None:
    for boca, counter in _counters(contexto).items():
        assert int(counter["cash"]) + int(counter["settlement"]) == contexto["cajas_iniciales"][boca], counter


@then("la conciliación de efectivo del día no muestra diferencias")
def conciliacion_limpia(contexto: Contexto) -> None:
    day = contexto.red.client.now("switch").astimezone(ZoneInfo("America/Asuncion")).date().isoformat()
    report = requests.get(
        _url(contexto, "switch", "/sicoop/v1/reconciliation"), params={"date": day}, timeout=TIMEOUT_S
    ).json()
    assert report["sources"] == {"switch": "ok", "ceibo": "ok", "red": "ok"}
    assert report["differences"] == [], report["differences"]
    assert report["totals"]["switch"]["withdrawals_confirmed"] == report["totals"]["red"]["cash_out"]
