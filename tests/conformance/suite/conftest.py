"""Steps of the conformance run's own contract scenarios (``contrato/``): real HTTP against the
participant (the ``conformidad`` fixture of :mod:`sandbox.conformance.plugin`), faults through the
sandbox's proxy. Each assertion says, in Spanish, what the network expected and what came back —
that sentence is what the report shows a cooperative's IT team."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from pytest_bdd import given, parsers, then, when
from pytest_bdd import step as paso  # a step usable after Dado, Cuando or Entonces

from sandbox.conformance.plugin import Conformidad
from sandbox.kit.money import format_amount, parse_amount
from sandbox.proxy.client import ProxyControl


def cop(text: str) -> int:
    return parse_amount(text, "COP")


def pesos(minor: int) -> str:
    return format_amount(minor, "COP")


@dataclass
class Envio:
    method: str
    path: str
    body: dict[str, Any] | None
    key: str | None
    proxy: bool
    timeout_s: float | None


@dataclass
class Caso:
    c: Conformidad
    member_id: str | None = None
    product: dict[str, Any] | None = None
    respuesta: requests.Response | None = None
    error: str | None = None
    anteriores: list[requests.Response | None] = field(default_factory=list)
    envio: Envio | None = None
    debit_id: str | None = None
    transaction_id: str | None = None
    reference: str | None = None
    falla: dict[str, Any] | None = None

    def send(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        key: str | None = None,
        proxy: bool = False,
        timeout_s: float | None = None,
        auth: bool = True,
    ) -> None:
        self.envio = Envio(method, path, body, key, proxy, timeout_s)
        headers: dict[str, Any] = {}
        if key is not None:
            headers["Idempotency-Key"] = key
        if not auth:
            headers["Authorization"] = None
        wait = timeout_s or self.c.timeout_s
        self.anteriores.append(self.respuesta)
        self.respuesta, self.error = None, None
        try:
            self.respuesta = self.c.http.request(
                method,
                self.c.entity_url(path),
                json=body,
                headers=headers,
                timeout=wait,
                proxies=self.c.proxies(proxy),
            )
        except requests.Timeout:
            self.error = f"no llegó respuesta en {wait:g} s"
        except requests.RequestException as exc:
            self.error = f"la conexión se cerró sin una respuesta completa (respuesta perdida: {type(exc).__name__})"

    def again(self, *, new_key: bool = False, proxy: bool | None = None) -> None:
        assert self.envio is not None, "no hay una solicitud anterior que repetir"
        e = self.envio
        self.send(e.method, e.path, e.body, key=_key() if new_key else e.key, proxy=e.proxy if proxy is None else proxy)

    def answer(self) -> requests.Response:
        if self.respuesta is None:
            e = self.envio
            what = f"{e.method} {e.path}" if e else "la solicitud"
            raise AssertionError(
                f"{what}: {self.error}. El núcleo debe responder antes de que la red deje de esperar "
                f"({self.c.timeout_s:g} s) y nunca cerrar la conexión sin responder"
            )
        return self.respuesta

    def body(self) -> dict[str, Any]:
        r = self.answer()
        try:
            data = r.json()
        except ValueError:
            raise AssertionError(f"la respuesta {r.status_code} no es JSON: {r.text[:200]!r}") from None
        assert isinstance(data, dict), f"la respuesta debe ser un objeto JSON, llegó {type(data).__name__}"
        return data


def _key() -> str:
    return f"conf-{uuid.uuid4().hex}"


def _ref() -> str:
    return f"CONF{uuid.uuid4().hex[:12].upper()}"


@pytest.fixture
def caso(conformidad: Conformidad) -> Caso:
    return Caso(conformidad)


def _where(r: requests.Response) -> str:
    return f"{r.request.method} {r.request.path_url.split('?')[0]}"


# -- the participant ---------------------------------------------------------------------------
@given("el núcleo de la cooperativa bajo prueba")
def nucleo(caso: Caso) -> None:
    assert caso.c.url, "la corrida no tiene la URL del participante (--url)"


@when(parsers.parse('consulto el asociado con documento "{tipo}" "{numero}"'))
def consulto_asociado(caso: Caso, tipo: str, numero: str) -> None:
    caso.send("GET", f"/members?document_type={tipo}&document_number={numero}")


@when(parsers.parse('consulto el asociado con documento "{tipo}" "{numero}" sin la clave de la API'))
def consulto_sin_clave(caso: Caso, tipo: str, numero: str) -> None:
    caso.send("GET", f"/members?document_type={tipo}&document_number={numero}", auth=False)


@given(parsers.parse('el asociado con documento "{tipo}" "{numero}"'))
def el_asociado(caso: Caso, tipo: str, numero: str) -> None:
    caso.send("GET", f"/members?document_type={tipo}&document_number={numero}")
    r = caso.answer()
    assert r.status_code == 200, (
        f"se esperaba encontrar al asociado {tipo} {numero} (HTTP 200); llegó {r.status_code}: {r.text[:300]}"
    )
    member_id = caso.body().get("member_id")
    assert member_id, "la consulta del asociado no trae «member_id»"
    caso.member_id = str(member_id)


def _products(caso: Caso) -> list[dict[str, Any]]:
    assert caso.member_id, "el escenario aún no tiene asociado"
    caso.send("GET", f"/members/{caso.member_id}/products")
    r = caso.answer()
    assert r.status_code == 200, f"se esperaba la lista de productos (HTTP 200); llegó {r.status_code}: {r.text[:300]}"
    products = caso.body().get("products")
    assert isinstance(products, list), "la respuesta de productos no trae la lista «products»"
    return products


@when("consulto sus productos")
def consulto_productos(caso: Caso) -> None:
    _products(caso)


def _find(products: list[dict[str, Any]], ending: str) -> dict[str, Any]:
    for p in products:
        masked = p.get("number_masked")
        if masked is None:
            names = ", ".join(sorted(p))
            raise AssertionError(
                f"el producto no trae el campo «number_masked» (el número enmascarado, ****1234); trae: {names}"
            )
        if str(masked).endswith(ending):
            return p
    raise AssertionError(
        f"el asociado no tiene un producto terminado en {ending} (productos: "
        f"{', '.join(str(p.get('number_masked')) for p in products)})"
    )


@given(parsers.parse('su producto terminado en "{ending}"'))
def su_producto(caso: Caso, ending: str) -> None:
    product = _find(_products(caso), ending)
    if not caso.c.declares_type(str(product.get("type"))):
        pytest.skip(
            f"no declarada: el escenario usa un producto de tipo {product.get('type')}, que el participante no declaró"
        )
    caso.product = product


def _product_now(caso: Caso) -> dict[str, Any]:
    assert caso.product is not None, "el escenario aún no tiene producto"
    saved = (caso.respuesta, caso.error, caso.envio, len(caso.anteriores))
    found = next((p for p in _products(caso) if p.get("product_id") == caso.product["product_id"]), None)
    caso.respuesta, caso.error, caso.envio = saved[:3]
    del caso.anteriores[saved[3] :]
    assert found is not None, f"el producto {caso.product.get('number_masked')} desapareció de la lista de productos"
    return found


# -- answers -------------------------------------------------------------------------------------
@then(parsers.parse("la respuesta es {status:d}"))
def respuesta_es(caso: Caso, status: int) -> None:
    r = caso.answer()
    assert r.status_code == status, f"{_where(r)}: se esperaba HTTP {status}; llegó {r.status_code}: {r.text[:400]}"


@then(parsers.parse('la respuesta es {status:d} con estado "{estado}"'))
def respuesta_con_estado(caso: Caso, status: int, estado: str) -> None:
    respuesta_es(caso, status)
    got = caso.body().get("status")
    assert got == estado, f"{_where(caso.answer())}: se esperaba el estado «{estado}»; llegó «{got}»"
    body = caso.body()
    if "debit_id" in body:
        caso.debit_id = str(body["debit_id"])
    if body.get("transaction_id"):
        caso.transaction_id = str(body["transaction_id"])


def _error(caso: Caso, status: int) -> dict[str, Any]:
    r = caso.answer()
    assert r.status_code == status, (
        f"{_where(r)}: se esperaba el error HTTP {status}; llegó {r.status_code}: {r.text[:400]}"
    )
    body = caso.body()
    missing = [k for k in ("error", "message", "field") if k not in body]
    assert not missing, (
        f"{_where(r)}: el error debe tener la forma {{error, message, field}}; faltan {', '.join(missing)}"
    )
    return body


@then(parsers.parse('la respuesta es un error {status:d} "{codigo}"'))
def error_con_codigo(caso: Caso, status: int, codigo: str) -> None:
    body = _error(caso, status)
    assert body["error"] == codigo, (
        f"{_where(caso.answer())}: se esperaba el código «{codigo}»; llegó «{body['error']}» ({body.get('message')})"
    )
    if status == 404 and codigo == "member_not_found":
        extra = sorted(set(body) - {"error", "message", "field"})
        assert not extra, (
            f"un documento desconocido no debe revelar nada más; la respuesta trae además: {', '.join(extra)}"
        )


@then(parsers.parse('la respuesta es un error {status:d} que nombra el campo "{campo}"'))
def error_con_campo(caso: Caso, status: int, campo: str) -> None:
    body = _error(caso, status)
    assert body["field"] == campo, (
        f"{_where(caso.answer())}: el error debe nombrar el campo «{campo}»; nombra «{body['field']}»"
    )


@then(parsers.parse('la respuesta trae los campos "{campos}"'))
def trae_campos(caso: Caso, campos: str) -> None:
    body = caso.body()
    missing = [c.strip() for c in campos.split(",") if c.strip() not in body]
    assert not missing, (
        f"{_where(caso.answer())}: faltan los campos {', '.join(missing)} (trae: {', '.join(sorted(body))})"
    )


@then(parsers.parse('el nombre completo es "{nombre}"'))
def nombre_completo(caso: Caso, nombre: str) -> None:
    got = caso.body().get("full_name")
    assert got == nombre, f"se esperaba el nombre «{nombre}»; llegó «{got}»"


@then("el celular y el correo vienen enmascarados")
def enmascarados(caso: Caso) -> None:
    body = caso.body()
    mobile, email = str(body.get("mobile_masked", "")), str(body.get("email_masked", ""))
    assert "*" in mobile and sum(ch.isdigit() for ch in mobile) <= 6, (
        f"el celular debe venir enmascarado (310****890); llegó «{mobile}»"
    )
    user = email.partition("@")[0]
    assert "*" in user and len(user.replace("*", "")) <= 2, (
        f"el correo debe venir enmascarado (n***@example.com); llegó «{email}»"
    )
    text = caso.answer().text
    for member in caso.c.world.get("members", []):
        for secret in (str(member.get("mobile")), str(member.get("email"))):
            assert secret not in text, "la respuesta muestra un celular o un correo completo"


@then(parsers.parse('cada producto trae los campos "{campos}"'))
def cada_producto(caso: Caso, campos: str) -> None:
    products = caso.body().get("products") or []
    assert products, "el asociado debe tener productos"
    wanted = [c.strip() for c in campos.split(",")]
    for p in products:
        missing = [c for c in wanted if c not in p]
        assert not missing, (
            f"el producto {p.get('number_masked') or p.get('product_id')} no trae los campos {', '.join(missing)} "
            f"(trae: {', '.join(sorted(p))})"
        )


@then("ningún producto muestra su número completo")
def sin_numeros(caso: Caso) -> None:
    text = caso.answer().text
    numbers = [str(p["number"]) for m in caso.c.world.get("members", []) for p in m.get("products", [])]
    shown = [n for n in numbers if n in text]
    assert not shown, f"la respuesta muestra {len(shown)} número(s) de producto completo(s) (solo ****1234)"


@then("los valores de dinero son textos con dos decimales")
def dos_decimales(caso: Caso) -> None:
    import re

    for p in caso.body().get("products") or []:
        for name in ("balance", "available", "minimum_payment", "total_payment", "other_min", "other_max"):
            value = p.get(name)
            if value is None:
                continue
            assert isinstance(value, str) and re.fullmatch(r"\d+\.\d{2}", value), (
                f"«{name}» del producto {p.get('number_masked')} debe ser un texto con dos decimales "
                f'("50000.00"); llegó {json.dumps(value)}'
            )


@then(parsers.parse('el producto terminado en "{ending}" es "{tipo}", admite débito PSE y tiene saldo "{saldo}"'))
def producto_es(caso: Caso, ending: str, tipo: str, saldo: str) -> None:
    p = _find(caso.body().get("products") or [], ending)
    assert p.get("type") == tipo, f"el producto ****{ending} debe ser de tipo {tipo}; es {p.get('type')}"
    assert p.get("pse_debit") is True, f"el producto ****{ending} debe admitir débito PSE (pse_debit: true)"
    assert p.get("balance") == saldo, f"el producto ****{ending} debe tener saldo {saldo}; tiene {p.get('balance')}"


# -- debits ----------------------------------------------------------------------------------
def _debit_body(caso: Caso, valor: str) -> dict[str, Any]:
    assert caso.product is not None, "el escenario aún no tiene producto"
    caso.reference = caso.reference or _ref()
    return {
        "product_id": caso.product["product_id"],
        "amount": valor,
        "currency": "COP",
        "reference": caso.reference,
        "description": "Prueba de conformidad",
    }


def _debit(caso: Caso, valor: str, *, key: str | None, proxy: bool = False, timeout_s: float | None = None) -> None:
    caso.send("POST", "/debits", _debit_body(caso, valor), key=key, proxy=proxy, timeout_s=timeout_s)
    if caso.respuesta is not None and caso.respuesta.status_code == 201:
        caso.debit_id = str(caso.body().get("debit_id"))


@when(parsers.parse('autorizo un débito de "{valor}" con una clave nueva'))
def autorizo(caso: Caso, valor: str) -> None:
    _debit(caso, valor, key=_key())


@when(parsers.parse('autorizo un débito de "{valor}" con la misma clave'))
def autorizo_misma_clave(caso: Caso, valor: str) -> None:
    assert caso.envio is not None and caso.envio.key
    _debit(caso, valor, key=caso.envio.key)


@when(parsers.parse('autorizo un débito de "{valor}" sin Idempotency-Key'))
def autorizo_sin_clave(caso: Caso, valor: str) -> None:
    _debit(caso, valor, key=None)


@when(parsers.parse('autorizo a través del proxy un débito de "{valor}" con una clave nueva'))
def autorizo_por_proxy(caso: Caso, valor: str) -> None:
    _debit(caso, valor, key=_key(), proxy=True)


def _need_debit(caso: Caso) -> str:
    assert caso.debit_id, (
        f"no hay débito autorizado: {caso.error or (caso.respuesta.text[:300] if caso.respuesta is not None else '')}"
    )
    return caso.debit_id


@paso("aplico el débito")
def aplico(caso: Caso) -> None:
    caso.send("POST", f"/debits/{_need_debit(caso)}/post", {}, key=_key())


@paso("aplico el débito otra vez con una clave nueva")
def aplico_otra_vez(caso: Caso) -> None:
    caso.send("POST", f"/debits/{_need_debit(caso)}/post", {}, key=_key())


@paso(parsers.parse("aplico el débito a través del proxy esperando {segundos:g} segundo"))
def aplico_por_proxy(caso: Caso, segundos: float) -> None:
    caso.send("POST", f"/debits/{_need_debit(caso)}/post", {}, key=_key(), proxy=True, timeout_s=segundos)


@paso("anulo el débito")
def anulo(caso: Caso) -> None:
    caso.send("POST", f"/debits/{_need_debit(caso)}/void", {}, key=_key())


@paso("repito la misma solicitud con la misma clave")
def repito(caso: Caso) -> None:
    caso.again(proxy=False)


@then("la segunda respuesta es la primera, marcada como repetición")
def repeticion(caso: Caso) -> None:
    first, second = caso.anteriores[-1], caso.answer()
    assert first is not None, "la primera solicitud no tuvo respuesta"
    assert second.status_code == first.status_code, (
        f"al repetir con la misma Idempotency-Key se esperaba la primera respuesta (HTTP {first.status_code}); "
        f"llegó HTTP {second.status_code}: {second.text[:300]}"
    )
    a, b = first.json(), second.json()
    differ = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    assert not differ, (
        "al repetir con la misma Idempotency-Key se esperaba exactamente la primera respuesta; cambiaron "
        + ", ".join(f"{k} ({a.get(k)!r} → {b.get(k)!r})" for k in differ)
        + ". El núcleo ejecutó la operación otra vez"
    )
    flag = second.headers.get("Idempotent-Replayed")
    assert flag == "true", f"la repetición debe llevar el encabezado Idempotent-Replayed: true; llevó {flag!r}"


@then(parsers.parse('el valor de la respuesta es exactamente "{valor}"'))
def valor_exacto(caso: Caso, valor: str) -> None:
    got = caso.body().get("amount")
    assert got == valor, (
        f"{_where(caso.answer())}: el valor debe ser exactamente «{valor}», sin redondear; llegó «{got}»"
    )


def _moved(caso: Caso, field_name: str, valor: str, sign: int, what: str) -> None:
    assert caso.product is not None
    before = cop(str(caso.product[field_name]))
    now_text = str(_product_now(caso)[field_name])
    delta = sign * (before - cop(now_text))
    expected = cop(valor)
    verb = "bajar" if sign > 0 else "subir"
    assert delta == expected, (
        f"el {what} del producto {caso.product.get('number_masked')} pasó de {pesos(before)} a {now_text}; "
        f"se esperaba {verb} exactamente {valor}"
        + (" (se aplicó más de una vez)" if delta and expected and delta % expected == 0 and delta > expected else "")
    )


@then(parsers.parse('el disponible del producto bajó exactamente "{valor}"'))
def disponible_bajo(caso: Caso, valor: str) -> None:
    _moved(caso, "available", valor, 1, "disponible")


@then(parsers.parse('el saldo del producto bajó exactamente "{valor}"'))
def saldo_bajo(caso: Caso, valor: str) -> None:
    _moved(caso, "balance", valor, 1, "saldo")


@then(parsers.parse('el saldo del producto subió exactamente "{valor}"'))
def saldo_subio(caso: Caso, valor: str) -> None:
    assert caso.product is not None
    sign = 1 if caso.product.get("credit") else -1  # a payment lowers a loan's balance
    _moved(caso, "balance", valor, sign, "saldo")


# -- credits and reversals -------------------------------------------------------------------------
def _credit(caso: Caso, valor: str, opcion: str, *, proxy: bool = False) -> None:
    assert caso.product is not None, "el escenario aún no tiene producto"
    caso.reference = _ref()
    body = {
        "product_id": caso.product["product_id"],
        "amount": valor,
        "currency": "COP",
        "reference": caso.reference,
        "payment_option": opcion,
        "description": "Prueba de conformidad",
    }
    caso.send("POST", "/credits", body, key=_key(), proxy=proxy)
    if caso.respuesta is not None and caso.respuesta.status_code == 201:
        caso.transaction_id = str(caso.body().get("transaction_id"))


@paso(parsers.parse('abono "{valor}" con la opción "{opcion}" y una clave nueva'))
def abono(caso: Caso, valor: str, opcion: str) -> None:
    _credit(caso, valor, opcion)


@paso(parsers.parse('abono a través del proxy "{valor}" con la opción "{opcion}" y una clave nueva'))
def abono_por_proxy(caso: Caso, valor: str, opcion: str) -> None:
    _credit(caso, valor, opcion, proxy=True)


@paso("reverso el movimiento")
def reverso(caso: Caso) -> None:
    assert caso.transaction_id, f"no hay movimiento aplicado que reversar: {caso.error or ''}"
    caso.send(
        "POST",
        f"/transactions/{caso.transaction_id}/reversal",
        {"reason": "Prueba de conformidad", "reference": _ref()},
        key=_key(),
    )


@paso("reverso el movimiento otra vez con una clave nueva")
def reverso_otra_vez(caso: Caso) -> None:
    caso.again(new_key=True)


@then("la reversa tiene su propio id")
def reversa_id(caso: Caso) -> None:
    body = caso.body()
    assert body.get("reversed") is True, f"la reversa debe responder reversed: true; llegó {body.get('reversed')!r}"
    assert body.get("reversal_id") and body.get("reversal_id") != caso.transaction_id, (
        f"la reversa debe tener su propio id (reversal_id distinto de {caso.transaction_id}); llegó {body.get('reversal_id')!r}"
    )


def _by_reference(caso: Caso, kind: str) -> list[dict[str, Any]]:
    assert caso.reference
    saved = (caso.respuesta, caso.error, caso.envio, len(caso.anteriores))
    caso.send("GET", f"/transactions?reference={caso.reference}")
    body = caso.body()
    caso.respuesta, caso.error, caso.envio = saved[:3]
    del caso.anteriores[saved[3] :]
    return [t for t in body.get("transactions") or [] if t.get("kind") == kind]


@then("la referencia del abono tiene un solo movimiento")
def un_abono(caso: Caso) -> None:
    found = _by_reference(caso, "credit")
    assert len(found) == 1, f"la referencia {caso.reference} debe tener un solo abono; el núcleo tiene {len(found)}"


@then("la referencia del débito tiene un solo movimiento")
def un_debito(caso: Caso) -> None:
    found = _by_reference(caso, "debit")
    assert len(found) == 1, f"la referencia {caso.reference} debe tener un solo débito; el núcleo tiene {len(found)}"


# -- faults through the proxy -------------------------------------------------------------------
def _proxy(caso: Caso) -> ProxyControl:
    assert caso.c.proxy_url, "este escenario necesita el proxy del sandbox (la corrida lo arranca)"
    return ProxyControl(caso.c.proxy_url)


def _fault(caso: Caso, spec: dict[str, Any]) -> None:
    with _proxy(caso) as proxy:
        caso.falla = proxy.add_fault({"from": "switch", "to": caso.c.target, "count": 1, **spec})


@paso(parsers.parse('el proxy pierde la próxima respuesta de "{operacion}"'))
def pierde(caso: Caso, operacion: str) -> None:
    _fault(caso, {"kind": "drop_response", "op": operacion})


@paso(parsers.parse('el proxy entrega dos veces la próxima solicitud "{operacion}"'))
def duplica(caso: Caso, operacion: str) -> None:
    _fault(caso, {"kind": "duplicate", "op": operacion})


@paso(parsers.parse('que el proxy demora {segundos:g} segundos la próxima solicitud "{operacion}"'))
def demora(caso: Caso, segundos: float, operacion: str) -> None:
    _fault(caso, {"kind": "delay", "op": operacion, "delay": f"{int(segundos * 1000)}ms"})


@then("no llegó respuesta")
def sin_respuesta(caso: Caso) -> None:
    r = caso.respuesta
    if r is not None and r.status_code == 502:
        raise AssertionError(
            "el proxy debía perder la respuesta del núcleo, pero el núcleo cerró la conexión sin responder "
            f"(el proxy contestó 502: {r.text[:200]})"
        )
    assert r is None, (
        f"el proxy debía dejar a la red sin respuesta; llegó HTTP {r.status_code if r is not None else ''}"
    )


@paso("el proxy entregó la copia")
def entrego_copia(caso: Caso) -> None:
    assert caso.falla is not None
    with _proxy(caso) as proxy:
        fault = next(f for f in proxy.faults() if f["id"] == caso.falla["id"])
    assert fault["applied"] == 1, f"el proxy no aplicó la falla «{fault.get('text', fault)}»"


@paso("el proxy demoró la solicitud")
def demoro(caso: Caso) -> None:
    entrego_copia(caso)
