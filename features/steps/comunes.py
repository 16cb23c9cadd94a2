"""Shared steps: the clock, the notify outbox, the control API and the journal."""

from __future__ import annotations

import json
from datetime import timedelta

import requests
from pytest_bdd import given, parsers, then, when

from features.conftest import Contexto
from sandbox.config import PARTIES

_UNIDADES = {"segundo": 1, "segundos": 1, "minuto": 60, "minutos": 60, "hora": 3600, "horas": 3600,
             "día": 86400, "días": 86400}  # fmt: skip


@given("que el sandbox está recién iniciado")
def sandbox_limpio(contexto: Contexto) -> None:
    # The `contexto` fixture already reset every party and the clock.
    health = contexto.red.client.health_all()
    # An external party (a cooperative's own core under conformance) need not have the control API.
    caidos = {
        n: str(r) for n, r in health.items() if not isinstance(r, dict) and not contexto.red.config.party(n).external
    }
    assert not caidos, f"participantes sin respuesta: {caidos}"
    contexto["inicio"] = contexto.red.client.now("notify")


@when(parsers.parse("pasan {cantidad:d} {unidad}"))
@given(parsers.parse("que pasan {cantidad:d} {unidad}"))
def pasa_el_tiempo(contexto: Contexto, cantidad: int, unidad: str) -> None:
    assert unidad in _UNIDADES, f"unidad de tiempo desconocida: {unidad}"
    contexto.red.client.advance_clock(cantidad * _UNIDADES[unidad])


@then(parsers.parse("todos los participantes marcan la hora de inicio más {cantidad:d} {unidad}"))
def todos_marcan(contexto: Contexto, cantidad: int, unidad: str) -> None:
    esperado = contexto["inicio"] + timedelta(seconds=cantidad * _UNIDADES[unidad])
    horas = {name: contexto.red.client.now(name) for name in contexto.red.urls}
    distintos = {n: h.isoformat() for n, h in horas.items() if h != esperado}
    assert not distintos, f"se esperaba {esperado.isoformat()} en todos; difieren: {distintos}"


@when(parsers.parse('el participante "{origen}" envía un SMS al "{celular}" con el código "{codigo}"'))
def envia_sms(contexto: Contexto, origen: str, celular: str, codigo: str) -> None:
    respuesta = requests.post(
        contexto.red.url("notify") + "/messages",
        json={"channel": "sms", "to": celular, "kind": "otp", "secret": codigo,
              "text": "RedCoop: su código de seguridad es {secret}. Vence en 5 minutos."},
        headers={"X-Sandbox-Party": origen},
        timeout=10,
    )  # fmt: skip
    assert respuesta.status_code == 201, respuesta.text
    contexto["mensaje"] = respuesta.json()


@then(parsers.parse('el buzón de "{destinatario}" muestra el código "{codigo}" enviado por "{origen}"'))
def buzon_muestra(contexto: Contexto, destinatario: str, codigo: str, origen: str) -> None:
    mensajes = contexto.red.client.notify.messages(destinatario)
    assert mensajes, f"no hay mensajes para {destinatario}"
    assert mensajes[0]["secret"] == codigo
    assert codigo in mensajes[0]["text"]
    assert mensajes[0]["from_party"] == origen
    pagina = requests.get(contexto.red.url("notify") + "/inbox", params={"to": destinatario}, timeout=10)
    assert pagina.status_code == 200
    assert codigo in pagina.text, "la página del buzón no muestra el código"


@then(parsers.parse('el buzón de "{destinatario}" está vacío'))
def buzon_vacio(contexto: Contexto, destinatario: str) -> None:
    assert contexto.red.client.notify.messages(destinatario) == []


@then(parsers.parse('el diario de "{parte}" registra la solicitud sin el código "{codigo}"'))
def diario_sin_codigo(contexto: Contexto, parte: str, codigo: str) -> None:
    entradas = contexto.red.client.party(parte).journal(limit=50)
    assert entradas, f"el diario de {parte} está vacío"
    assert any(e["path"] == "/messages" for e in entradas), "la solicitud no quedó en el diario"
    texto = json.dumps(entradas, ensure_ascii=False)
    assert codigo not in texto, f"el código {codigo} aparece en el diario de {parte}"


@when(parsers.parse("envío a cada participante un {metodo} a \"{ruta}\" con el cuerpo '{cuerpo}'"))
def basura_a_todos(contexto: Contexto, metodo: str, ruta: str, cuerpo: str) -> None:
    respuestas = {}
    for nombre in PARTIES:
        url = contexto.red.url(nombre) + ruta
        respuestas[nombre] = requests.request(
            metodo, url, data=cuerpo.encode(), headers={"Content-Type": "application/json"}, timeout=10
        )
    contexto["respuestas"] = respuestas


@then(parsers.parse('cada participante responde {estado:d} con el código de error "{codigo}" y el campo "{campo}"'))
def todos_rechazan(contexto: Contexto, estado: int, codigo: str, campo: str) -> None:
    for nombre, respuesta in contexto["respuestas"].items():
        assert respuesta.status_code == estado, f"{nombre}: {respuesta.status_code} {respuesta.text}"
        cuerpo = respuesta.json()
        assert set(cuerpo) >= {"error", "message", "field"}, f"{nombre}: forma de error inesperada {cuerpo}"
        assert cuerpo["error"] == codigo, f"{nombre}: {cuerpo}"
        assert cuerpo["field"] == (None if campo == "-" else campo), f"{nombre}: {cuerpo}"
        assert cuerpo["message"], f"{nombre}: mensaje vacío"
