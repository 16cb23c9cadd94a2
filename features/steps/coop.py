"""Steps of the coop contract's features (features/coop): a caller of a cooperative's core banking.

The steps speak to coop **only through its protocol** (``/coop/v1`` over HTTP) at the base URL the
sandbox fixture gives (``contexto.red.url("coop")``): the sandbox's coop by default, or a
cooperative's own implementation with ``pytest features --sut-url coop=https://core.example`` (or
``COOP_SANDBOX_SUT_COOP=...``). Each entity's key comes from the world the suite runs with
(``core_api_key``). Scenarios tagged ``@solo_sandbox`` force outcomes through the sandbox's
control API or its magic amounts and are skipped against another implementation.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from pytest_bdd import given, parsers, then, when

from features.conftest import Contexto
from sandbox.world import load_world

TIMEOUT_S = 30.0
API = "/coop/v1/entities"


class Core:
    """A caller of one entity's core: every request and answer it made, the last one first to read."""

    def __init__(self, contexto: Contexto, entity: str) -> None:
        world = load_world(contexto.red.config.world)
        found = world.entity(entity)
        self.entity = entity
        self.key = found.core_api_key if found is not None else "sin-clave"
        self.base = contexto.red.url("coop") + f"{API}/{entity}"
        self.last_money: dict[str, Any] | None = None

    def headers(self, key: str | None = None) -> dict[str, str]:
        out = {"Authorization": f"Bearer {self.key}"}
        if key is not None:
            out["Idempotency-Key"] = key
        return out

    def get(self, path: str, params: dict[str, str] | None = None) -> httpx.Response:
        return httpx.get(self.base + path, params=params, headers=self.headers(), timeout=TIMEOUT_S)

    def send(self, path: str, body: Any, key: str | None, timeout_s: float = TIMEOUT_S) -> httpx.Response:
        self.last_money = {"path": path, "body": body, "key": key}
        answer = httpx.post(
            self.base + path,
            content=None if body is None else json.dumps(body),
            headers={**self.headers(key), "Content-Type": "application/json"},
            timeout=timeout_s,
        )
        self.last_money["answer"] = answer
        return answer


def _core(contexto: Contexto) -> Core:
    core: Core = contexto["core"]
    return core


def _answer(contexto: Contexto) -> httpx.Response:
    answer: httpx.Response = contexto["respuesta"]
    return answer


def _keep(contexto: Contexto, answer: httpx.Response) -> httpx.Response:
    contexto["respuesta"] = answer
    contexto.respuestas.append(answer)
    return answer


def _products(contexto: Contexto) -> dict[str, dict[str, Any]]:
    core = _core(contexto)
    listed = core.get(f"/members/{contexto['member_id']}/products")
    assert listed.status_code == 200, listed.text
    return {p["number_masked"]: p for p in listed.json()["products"]}


# -- who calls, and about whom ---------------------------------------------------------------------
@given(parsers.parse('que la red llama al core bancario de la entidad "{entidad}"'))
def red_llama(contexto: Contexto, entidad: str) -> None:
    contexto["core"] = Core(contexto, entidad)


@given(parsers.parse('que la red llama al core de "{entidad}" con la clave "{clave}"'))
def red_llama_con_clave(contexto: Contexto, entidad: str, clave: str) -> None:
    core = Core(contexto, entidad)
    core.key = clave
    contexto["core"] = core


@given(parsers.parse('el asociado con documento {tipo} "{numero}"'))
def el_asociado(contexto: Contexto, tipo: str, numero: str) -> None:
    found = _core(contexto).get("/members", {"document_type": tipo, "document_number": numero})
    assert found.status_code == 200, found.text
    contexto["member_id"] = found.json()["member_id"]


@given(parsers.parse('su producto "{numero}"'))
def su_producto(contexto: Contexto, numero: str) -> None:
    products = _products(contexto)
    assert numero in products, f"el asociado no tiene {numero}: {sorted(products)}"
    contexto["producto"] = products[numero]


@given(parsers.parse('que la red usa el id de producto "{product_id}"'))
def producto_por_id(contexto: Contexto, product_id: str) -> None:
    contexto["producto"] = {"product_id": product_id, "number_masked": "?"}


# -- reads -------------------------------------------------------------------------------------------
@when("la red consulta la entidad")
def consulta_entidad(contexto: Contexto) -> None:
    _keep(contexto, _core(contexto).get(""))


@when(parsers.parse('la red consulta el asociado con documento "{tipo}" "{numero}"'))
def consulta_asociado(contexto: Contexto, tipo: str, numero: str) -> None:
    answer = _keep(contexto, _core(contexto).get("/members", {"document_type": tipo, "document_number": numero}))
    if answer.status_code == 200:
        contexto["member_id"] = answer.json()["member_id"]


@when("la red consulta los productos del asociado")
def consulta_productos(contexto: Contexto) -> None:
    _keep(contexto, _core(contexto).get(f"/members/{contexto['member_id']}/products"))


@when(parsers.parse('la red consulta los productos del asociado "{member_id}"'))
def consulta_productos_de(contexto: Contexto, member_id: str) -> None:
    _keep(contexto, _core(contexto).get(f"/members/{member_id}/products"))


@then(parsers.parse('el asociado es "{nombre}" con celular "{celular}" y correo "{correo}"'))
def asociado_es(contexto: Contexto, nombre: str, celular: str, correo: str) -> None:
    body = _answer(contexto).json()
    assert (body["full_name"], body["mobile_masked"], body["email_masked"]) == (nombre, celular, correo), body


@then(parsers.parse('la respuesta no contiene "{texto}"'))
def no_contiene(contexto: Contexto, texto: str) -> None:
    assert texto not in _answer(contexto).text


@then(parsers.parse("el asociado {tiene} productos activos"))
def tiene_productos(contexto: Contexto, tiene: str) -> None:
    assert tiene in ("tiene", "no tiene")
    assert _answer(contexto).json()["has_products"] is (tiene == "tiene")


@then(
    parsers.parse(
        'el producto "{numero}" es {tipo} "{nombre}", "{estado}", con saldo "{saldo}" y disponible "{disponible}"'
    )
)
def producto_es(
    contexto: Contexto, numero: str, tipo: str, nombre: str, estado: str, saldo: str, disponible: str
) -> None:
    products = {p["number_masked"]: p for p in _answer(contexto).json()["products"]}
    p = products[numero]
    assert (p["type"], p["type_name"], p["status"], p["balance"], p["available"]) == (
        tipo, nombre, estado, saldo, disponible,
    ), p  # fmt: skip


@then(parsers.parse('el producto "{numero}" vence el "{fecha}" con pago mínimo "{minimo}" y total "{total}"'))
def producto_credito(contexto: Contexto, numero: str, fecha: str, minimo: str, total: str) -> None:
    p = {p["number_masked"]: p for p in _answer(contexto).json()["products"]}[numero]
    assert (p["credit"], p["due_date"], p["minimum_payment"], p["total_payment"]) == (True, fecha, minimo, total), p


@then(parsers.parse('el producto "{numero}" {admite} débito PSE y acepta otro valor entre "{minimo}" y "{maximo}"'))
def producto_limites(contexto: Contexto, numero: str, admite: str, minimo: str, maximo: str) -> None:
    p = {p["number_masked"]: p for p in _answer(contexto).json()["products"]}[numero]
    assert admite in ("admite", "no admite")
    assert (p["pse_debit"], p["other_min"], p["other_max"]) == (admite == "admite", minimo, maximo), p
    assert set(p["caps"]) == {"per_transaction_max", "per_day_max", "per_day_count"}


@then(parsers.parse('los estados de los productos son "{estados}"'))
def estados_productos(contexto: Contexto, estados: str) -> None:
    found = sorted(p["status"] for p in _answer(contexto).json()["products"])
    assert found == sorted(estados.split(", ")), found


# -- money -------------------------------------------------------------------------------------------
def _debit_body(contexto: Contexto, monto: str, referencia: str) -> dict[str, Any]:
    return {
        "product_id": contexto["producto"]["product_id"],
        "amount": monto,
        "currency": "COP",
        "reference": referencia,
    }


def _credit_body(contexto: Contexto, monto: str, opcion: str, referencia: str) -> dict[str, Any]:
    return {**_debit_body(contexto, monto, referencia), "payment_option": opcion}


@when(parsers.parse('la red autoriza un débito de "{monto}" con la referencia "{referencia}" y la clave "{clave}"'))
def autoriza(contexto: Contexto, monto: str, referencia: str, clave: str) -> None:
    answer = _keep(contexto, _core(contexto).send("/debits", _debit_body(contexto, monto, referencia), clave))
    if answer.status_code == 201:
        contexto["debit_id"] = answer.json()["debit_id"]
        contexto["primera"] = answer


@given(parsers.parse('un débito autorizado de "{monto}" con la referencia "{referencia}"'))
def debito_autorizado(contexto: Contexto, monto: str, referencia: str) -> None:
    autoriza(contexto, monto, referencia, f"auth-{referencia}")
    assert _answer(contexto).status_code == 201, _answer(contexto).text


@when(parsers.parse('la red aplica el débito con la clave "{clave}"'))
def aplica(contexto: Contexto, clave: str) -> None:
    _keep(contexto, _core(contexto).send(f"/debits/{contexto['debit_id']}/post", None, clave))


@when(parsers.parse('la red anula el débito con la clave "{clave}"'))
def anula(contexto: Contexto, clave: str) -> None:
    _keep(contexto, _core(contexto).send(f"/debits/{contexto['debit_id']}/void", None, clave))


@when(
    parsers.parse('la red abona "{monto}" con la opción "{opcion}", la referencia "{referencia}" y la clave "{clave}"')
)
def abona(contexto: Contexto, monto: str, opcion: str, referencia: str, clave: str) -> None:
    answer = _keep(contexto, _core(contexto).send("/credits", _credit_body(contexto, monto, opcion, referencia), clave))
    if answer.status_code == 201:
        contexto["transaction_id"] = answer.json()["transaction_id"]
        contexto["primera"] = answer


@given(parsers.parse('un abono aplicado de "{monto}" con la referencia "{referencia}"'))
def abono_aplicado(contexto: Contexto, monto: str, referencia: str) -> None:
    abona(contexto, monto, "free", referencia, f"abono-{referencia}")
    assert _answer(contexto).status_code == 201, _answer(contexto).text


@given(parsers.parse('el débito aplicado con la clave "{clave}"'))
def debito_aplicado(contexto: Contexto, clave: str) -> None:
    aplica(contexto, clave)
    assert _answer(contexto).status_code == 200, _answer(contexto).text
    contexto["transaction_id"] = contexto["debit_id"]


@when(parsers.parse('la red reversa la transacción con el motivo "{motivo}" y la clave "{clave}"'))
def reversa(contexto: Contexto, motivo: str, clave: str) -> None:
    _keep(
        contexto,
        _core(contexto).send(f"/transactions/{contexto['transaction_id']}/reversal", {"reason": motivo}, clave),
    )


@when(parsers.parse('la red reversa la transacción "{transaction_id}" con la clave "{clave}"'))
def reversa_id(contexto: Contexto, transaction_id: str, clave: str) -> None:
    _keep(contexto, _core(contexto).send(f"/transactions/{transaction_id}/reversal", {"reason": "prueba"}, clave))


@when("la red repite la misma solicitud")
def repite(contexto: Contexto) -> None:
    core = _core(contexto)
    assert core.last_money is not None
    contexto["antes"] = core.last_money.get("answer")
    _keep(contexto, core.send(core.last_money["path"], core.last_money["body"], core.last_money["key"]))


@when(parsers.parse('la red usa otra vez la clave "{clave}" para un débito de "{monto}"'))
def reusa_clave(contexto: Contexto, clave: str, monto: str) -> None:
    _keep(contexto, _core(contexto).send("/debits", _debit_body(contexto, monto, "OTRO"), clave))


@when(parsers.parse('la red autoriza un débito de "{monto}" sin clave de idempotencia'))
def sin_clave(contexto: Contexto, monto: str) -> None:
    _keep(contexto, _core(contexto).send("/debits", _debit_body(contexto, monto, "SIN-CLAVE"), None))


@when(parsers.parse('la red envía un {operacion} con el campo "{campo}" en {valor}'))
def campo_malo(contexto: Contexto, operacion: str, campo: str, valor: str) -> None:
    bodies = {
        "débito": ("/debits", _debit_body(contexto, "1000.00", "MALO-1")),
        "abono": ("/credits", _credit_body(contexto, "1000.00", "free", "MALO-1")),
        "reverso": ("/transactions/NOEXISTE/reversal", {"reason": "prueba"}),
    }
    path, body = bodies[operacion]
    parsed = json.loads(valor)
    if parsed == "<sin el campo>":
        body.pop(campo, None)
    else:
        body[campo] = parsed
    key = "malo-" + hashlib.sha256(f"{operacion}:{campo}:{valor}".encode()).hexdigest()[:16]
    _keep(contexto, _core(contexto).send(path, body, key))


@when(parsers.parse("la red consulta el asociado con {campo} en {valor}"))
def consulta_mala(contexto: Contexto, campo: str, valor: str) -> None:
    params = {"document_type": "CC", "document_number": "1033370434", campo: json.loads(valor)}
    _keep(contexto, _core(contexto).get("/members", params))


@when(parsers.parse('la red pide las transacciones del día "{fecha}"'))
def transacciones_dia(contexto: Contexto, fecha: str) -> None:
    _keep(contexto, _core(contexto).get("/transactions", {"date": fecha}))


@when(parsers.parse('la red consulta las transacciones de la referencia "{referencia}"'))
def transacciones_referencia(contexto: Contexto, referencia: str) -> None:
    _keep(contexto, _core(contexto).get("/transactions", {"reference": referencia}))


@when("la red consulta la transacción")
def consulta_transaccion(contexto: Contexto) -> None:
    tid = contexto.valores.get("transaction_id") or contexto["debit_id"]
    _keep(contexto, _core(contexto).get(f"/transactions/{tid}"))


# -- forcing (sandbox only) ----------------------------------------------------------------------------
@given(parsers.parse("que el core demora {segundos:d} segundos la respuesta de cada débito"))
def core_demora(contexto: Contexto, segundos: int) -> None:
    rule = {"match": {"operation": "coop.debit"}, "action": {"delay_s": segundos}}
    answer = httpx.put(contexto.red.url("coop") + "/_sandbox/rules", json=[rule], timeout=TIMEOUT_S)
    assert answer.status_code == 200, answer.text


@given(parsers.parse('que el core rechaza cada {operacion} con "{codigo}"'))
def core_rechaza(contexto: Contexto, operacion: str, codigo: str) -> None:
    op = {"débito": "coop.debit", "abono": "coop.credit", "consulta": "coop.lookup"}[operacion]
    rule = {"match": {"operation": op}, "action": {"decline": codigo}}
    answer = httpx.put(contexto.red.url("coop") + "/_sandbox/rules", json=[rule], timeout=TIMEOUT_S)
    assert answer.status_code == 200, answer.text


@when(parsers.parse('la red autoriza un débito de "{monto}" con la clave "{clave}" y, mientras espera, lo reintenta'))
def reintenta_en_curso(contexto: Contexto, monto: str, clave: str) -> None:
    core = _core(contexto)
    body = _debit_body(contexto, monto, "EN-CURSO")
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(core.send, "/debits", body, clave)
        # The retry goes once the first one's debit exists (its effect committed, its answer held
        # back by the delay): the query by reference says when, without reading a clock.
        for _ in range(5000):
            if first.done() or core.get("/transactions", {"reference": "EN-CURSO"}).json()["transactions"]:
                break
        retry = core.send("/debits", body, clave)
        contexto["reintento"] = retry
        _keep(contexto, first.result())


@when(
    parsers.parse(
        'la red abona "{monto}" con la opción "{opcion}", la referencia "{referencia}" y la clave "{clave}" esperando a lo sumo {segundos:d} segundo'
    )
)
def abona_con_espera(contexto: Contexto, monto: str, opcion: str, referencia: str, clave: str, segundos: int) -> None:
    core = _core(contexto)
    try:
        answer = core.send("/credits", _credit_body(contexto, monto, opcion, referencia), clave, timeout_s=segundos)
        contexto["sin_respuesta"] = None
        _keep(contexto, answer)
    except httpx.TimeoutException:
        contexto["sin_respuesta"] = "timeout"
    except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
        contexto["sin_respuesta"] = type(exc).__name__


# -- answers -------------------------------------------------------------------------------------------
@then(parsers.parse("la respuesta es {estado:d}"))
def respuesta_es(contexto: Contexto, estado: int) -> None:
    answer = _answer(contexto)
    assert answer.status_code == estado, answer.text


@then(parsers.parse('la respuesta es {estado:d} con el código "{codigo}"'))
def respuesta_codigo(contexto: Contexto, estado: int, codigo: str) -> None:
    answer = _answer(contexto)
    assert (answer.status_code, answer.json().get("error")) == (estado, codigo), answer.text
    assert answer.json().get("message"), "el error no trae mensaje"


@then(parsers.parse('la respuesta es {estado:d} con el código "{codigo}" y nombra el campo "{campo}"'))
def respuesta_campo(contexto: Contexto, estado: int, codigo: str, campo: str) -> None:
    respuesta_codigo(contexto, estado, codigo)
    assert _answer(contexto).json().get("field") == campo, _answer(contexto).text


@then(parsers.parse("la respuesta es un rechazo {estado:d} que nombra el campo {campo}"))
def rechazo_campo(contexto: Contexto, estado: int, campo: str) -> None:
    answer = _answer(contexto)
    assert answer.status_code == estado, answer.text
    assert answer.json().get("field") == json.loads(campo), answer.text


@then(parsers.parse('el débito queda "{estado}"'))
@then(parsers.parse('la transacción queda "{estado}"'))
def queda(contexto: Contexto, estado: str) -> None:
    consulta_transaccion(contexto)
    assert _answer(contexto).json()["status"] == estado, _answer(contexto).text


@then(parsers.parse('el producto "{numero}" tiene saldo "{saldo}" y disponible "{disponible}"'))
def saldo(contexto: Contexto, numero: str, saldo: str, disponible: str) -> None:
    p = _products(contexto)[numero]
    assert (p["balance"], p["available"]) == (saldo, disponible), p


@then(parsers.parse('el saldo tras la operación es "{saldo}"'))
def saldo_tras(contexto: Contexto, saldo: str) -> None:
    assert _answer(contexto).json()["running_balance"] == saldo, _answer(contexto).text


@then("la respuesta es la primera, marcada como repetida")
def es_la_primera(contexto: Contexto) -> None:
    first, answer = contexto["antes"], _answer(contexto)
    assert first is not None, "la primera llamada no recibió respuesta"
    assert (answer.status_code, answer.json()) == (first.status_code, first.json())
    assert answer.headers.get("Idempotent-Replayed") == "true"


@then("viene marcada como repetida")
def marcada(contexto: Contexto) -> None:
    assert _answer(contexto).headers.get("Idempotent-Replayed") == "true", dict(_answer(contexto).headers)


@then(parsers.parse('el reverso tiene su propio id y el saldo vuelve a "{saldo}"'))
def reverso_propio(contexto: Contexto, saldo: str) -> None:
    body = _answer(contexto).json()
    assert body["reversed"] is True and body["reversal_id"] != body["transaction_id"]
    assert body["running_balance"] == saldo
    contexto["reversal_id"] = body["reversal_id"]


@then(parsers.parse('el reintento recibe {estado:d} con el código "{codigo}"'))
def reintento_recibe(contexto: Contexto, estado: int, codigo: str) -> None:
    retry: httpx.Response = contexto["reintento"]
    assert (retry.status_code, retry.json().get("error")) == (estado, codigo), retry.text


@then(parsers.parse("hay {cantidad:d} transacción {estado} con esa referencia"))
@then(parsers.parse("hay {cantidad:d} transacciones {estado} con esa referencia"))
def hay_transacciones(contexto: Contexto, cantidad: int, estado: str) -> None:
    found = _answer(contexto).json()["transactions"]
    assert [t["status"] for t in found] == [estado.strip('"')] * cantidad, found


@then("la red no recibe respuesta a tiempo")
def sin_respuesta_tiempo(contexto: Contexto) -> None:
    assert contexto["sin_respuesta"] == "timeout"


@then("la conexión se corta sin respuesta")
def conexion_cortada(contexto: Contexto) -> None:
    assert contexto["sin_respuesta"] in ("RemoteProtocolError", "ReadError"), contexto["sin_respuesta"]


@then(parsers.parse('el informe del día suma abonos "{abonos}", débitos "{debitos}" y reversos "{reversos}"'))
def informe(contexto: Contexto, abonos: str, debitos: str, reversos: str) -> None:
    totals = _answer(contexto).json()["totals"]
    assert totals == {"credits": abonos, "debits": debitos, "reversals": reversos}, totals
