"""A person's browser gets a page for every error a form can produce; programs keep the JSON shape
(issue 17: over-long merchant document, inbox filter, bank user name…)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sandbox.config import load_config
from sandbox.kit.clock import Clock
from sandbox.serve import build_party

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def party(tmp_path: Path) -> Iterator[Callable[[str], TestClient]]:
    clients: list[TestClient] = []
    config = load_config(None, state_dir=str(tmp_path), jobs_interval_s=0)

    def start(name: str) -> TestClient:
        client = TestClient(build_party(name, config, clock=Clock()))
        client.__enter__()
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


@pytest.mark.parametrize(
    ("name", "method", "path", "data", "words"),
    [
        ("notify", "GET", "/inbox?to=" + "9" * 121, None, "«destinatario» debe tener a lo sumo 120 caracteres"),
        ("merchant", "GET", "/portal?documento=" + "1" * 21, None, "«número de documento» debe tener a lo sumo 20"),
        ("bank", "POST", "/banca/1022", {"username": "u" * 61, "password": "x"}, "«usuario» debe tener a lo sumo 60"),
        ("ceibo", "GET", "/app?q=" + "1" * 21, None, "«cédula o celular» debe tener a lo sumo 20"),
        ("red", "GET", "/sicoop/operaciones/" + "x" * 300, None, "no tiene el formato esperado"),
    ],
)
def test_form_errors_are_pages_for_people_and_json_for_programs(
    party: Callable[[str], TestClient], name: str, method: str, path: str, data: dict[str, str] | None, words: str
) -> None:
    client = party(name)
    page = client.request(method, path, data=data, headers=BROWSER)
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert "No fue posible continuar" in page.text and words in page.text
    assert "{&#34;error" not in page.text and '{"error"' not in page.text
    program = client.request(method, path, data=data)
    assert program.status_code == 422
    assert program.json()["error"] == "invalid_field"


def test_unknown_page_is_a_page(party: Callable[[str], TestClient]) -> None:
    client = party("gateway")
    page = client.get("/no-existe", headers=BROWSER)
    assert page.status_code == 404 and "No existe el recurso solicitado" in page.text
    assert client.get("/no-existe").json()["error"] == "not_found"


def test_control_api_stays_json_even_for_a_browser(party: Callable[[str], TestClient]) -> None:
    client = party("notify")
    answer = client.get("/_sandbox/journal?limit=0", headers=BROWSER)
    assert answer.status_code == 422 and answer.json()["field"] == "limit"
