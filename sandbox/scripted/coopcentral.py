"""A member's browser at Banco Cooperativo Coopcentral (1066), the switch's PSE bank front, driven
over plain HTTP (``requests``): the pages of ``reference_impl/flows/pse_bank/pages.py`` in the
seed's order. For tests, features and tools only.

    member = CoopMember(switch_url)
    member.land(cus)                          # where ACH's "Ir al Banco" leads
    member.document("CC", "1033370434")       # PSE-04 → the entities page
    member.entity("ALIANZA")                  # PSE-05 → the portal
    member.login("nrivera", "Redcoop.2024")   # PSE-06 → the accounts
    member.pay("****7756")                    # PSE-07 → the security code page (or a decline)
    member.code("123456")                     # PSE-10 → the result page
"""

from __future__ import annotations

import re
from html import unescape

import requests

DEFAULT_TIMEOUT_S = 30.0
_ROW = re.compile(r'<tr data-account="([^"]+)">(.*?)</tr>', re.S)
_VALUE = re.compile(r'name="producto" value="([^"]+)"')
_STATE = re.compile(r'data-state="([^"]+)"')
_MESSAGE = re.compile(r"data-message[^>]*>([^<]+)<")
_CODE = re.compile(r'data-code="([^"]*)"')
_AUTH = re.compile(r"data-authorization>([^<]+)<")
_BACK = re.compile(r'href="([^"]+)" data-back')


class CoopMember:
    """One browser (cookies kept) of a member paying through the 1066 front."""

    def __init__(self, switch_url: str, http: requests.Session | None = None, timeout_s: float = DEFAULT_TIMEOUT_S):
        self.switch_url = switch_url.rstrip("/")
        self.http = http or requests.Session()
        self.timeout_s = timeout_s
        self.cus = ""
        self.page: requests.Response | None = None

    # -- navigation
    def url(self, path: str = "") -> str:
        return f"{self.switch_url}/pse/banco/{self.cus}{path}"

    def get(self, path: str = "") -> requests.Response:
        self.page = self.http.get(self.url(path), timeout=self.timeout_s)
        return self.page

    def post(self, path: str, data: dict[str, str] | None = None) -> requests.Response:
        self.page = self.http.post(self.url(path), data=data or {}, timeout=self.timeout_s)
        return self.page

    def land(self, cus: str) -> requests.Response:
        self.cus = cus
        return self.get()

    def document(self, document_type: str, number: str) -> requests.Response:
        return self.post("/documento", {"tipo_documento": document_type, "numero_documento": number})

    def entity(self, code: str) -> requests.Response:
        return self.post("/entidad", {"entidad": code})

    def login(self, username: str, password: str) -> requests.Response:
        first = self.post("/portal", {"usuario": username})
        if first.status_code != 200:
            return first
        return self.post("/portal/clave", {"usuario": username, "clave": password})

    def accounts(self) -> dict[str, str]:
        """The accounts offered on the page just shown (masked number → product id)."""
        text = self.page.text if self.page is not None else ""
        found = {}
        for masked, row in _ROW.findall(text):
            value = _VALUE.search(row)
            if value:
                found[unescape(masked)] = unescape(value.group(1))
        return found

    def pay(self, masked: str) -> requests.Response:
        if self.page is None or 'data-state="cuentas"' not in self.page.text:
            self.get("/cuentas")
        product = self.accounts()[masked]
        return self.post("/pagar", {"producto": product})

    def pay_product(self, product_id: str) -> requests.Response:
        return self.post("/pagar", {"producto": product_id})

    def code(self, code: str) -> requests.Response:
        return self.post("/codigo", {"codigo": code})

    def resend(self) -> requests.Response:
        return self.post("/codigo/reenviar")

    def cancel(self) -> requests.Response:
        return self.post("/cancelar")

    # -- what the page says
    @property
    def state(self) -> str | None:
        found = _STATE.findall(self.page.text) if self.page is not None else []
        return found[-1] if found else None

    @property
    def message(self) -> str:
        found = _MESSAGE.search(self.page.text) if self.page is not None else None
        return unescape(found.group(1)).strip() if found else ""

    @property
    def codes(self) -> list[str]:
        return _CODE.findall(self.page.text) if self.page is not None else []

    @property
    def authorization(self) -> str | None:
        found = _AUTH.search(self.page.text) if self.page is not None else None
        return found.group(1).strip() if found else None

    @property
    def back_url(self) -> str | None:
        found = _BACK.search(self.page.text) if self.page is not None else None
        return unescape(found.group(1)) if found else None
