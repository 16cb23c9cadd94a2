"""A scripted customer: clicks through the merchant's portal, the gateway's checkout, ACH's PSE
portal and a bank, as a person would, by reading the forms and links on each page.

Used by the gateway and merchant tests and features, and handy for anyone who wants to drive a
payment from a script::

    browser = Browser()
    statement = browser.get(f"{merchant}/portal", params={"documento": "79555111"})
    redirect = browser.submit(statement.form(action_contains="/FV-1001/payu"))
    checkout = browser.submit(redirect.form(id="payu"))                       # the gateway's page
    pse = browser.submit(checkout.form(action_contains="/checkout/"), banco="1022", terminos="on")

:class:`BankStandIn` plays the bank's side of PSE through ACH's bank API
(``/psebancos/api/ConfirmTransactionPayment``) for tests that need a precise bank answer without
the bank's pages. Only ``requests`` and the standard library; no party code is imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urljoin, urlparse

import requests

TIMEOUT_S = 15.0


@dataclass
class Field:
    name: str
    kind: str  # text, hidden, checkbox, radio, select, textarea, submit, ...
    value: str = ""
    checked: bool = False
    options: list[tuple[str, str, bool]] = field(default_factory=list)  # (value, label, selected)
    disabled: bool = False


@dataclass
class Form:
    action: str
    method: str
    id: str | None
    fields: list[Field] = field(default_factory=list)

    def names(self) -> set[str]:
        return {f.name for f in self.fields}

    def defaults(self) -> dict[str, str]:
        """What the browser would send untouched: hidden/text values, checked boxes, selections."""
        data: dict[str, str] = {}
        for f in self.fields:
            if f.disabled or f.kind in ("submit", "button", "reset"):
                continue
            if f.kind in ("checkbox", "radio"):
                if f.checked:
                    data[f.name] = f.value or "on"
            elif f.kind == "select":
                chosen = next((v for v, _, sel in f.options if sel), f.options[0][0] if f.options else "")
                data[f.name] = chosen
            else:
                data[f.name] = f.value
        return data

    def options(self, name: str) -> list[tuple[str, str]]:
        select = next((f for f in self.fields if f.name == name and f.kind == "select"), None)
        return [(v, label) for v, label, _ in select.options] if select else []

    def submit_buttons(self) -> list[Field]:
        return [f for f in self.fields if f.kind == "submit"]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[dict[str, str]] = []
        self.data_attrs: list[dict[str, str]] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._option: list[Any] | None = None
        self._textarea: Field | None = None
        self._link: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        data = {k: v for k, v in a.items() if k.startswith("data-")}
        if data:
            self.data_attrs.append({"tag": tag, **data})
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower(), id=a.get("id"))
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("name"):
            self._form.fields.append(
                Field(
                    name=a["name"],
                    kind=a.get("type", "text").lower(),
                    value=a.get("value", ""),
                    checked="checked" in a,
                    disabled="disabled" in a,
                )
            )
        elif tag == "button" and self._form is not None:
            kind = a.get("type", "submit").lower()
            self._form.fields.append(
                Field(name=a.get("name", ""), kind=kind, value=a.get("value", ""), disabled="disabled" in a)
            )
        elif tag == "select" and self._form is not None and a.get("name"):
            self._select = Field(name=a["name"], kind="select", disabled="disabled" in a)
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "", "selected" in a]
        elif tag == "textarea" and self._form is not None and a.get("name"):
            self._textarea = Field(name=a["name"], kind="textarea")
            self._form.fields.append(self._textarea)
        elif tag == "a" and "href" in a:
            self._link = {"href": a["href"], "id": a.get("id", ""), "text": ""}
            self.links.append(self._link)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "option" and self._option is not None and self._select is not None:
            value, label, selected = self._option
            label = label.strip()
            self._select.options.append((value if value is not None else label, label, selected))
            self._option = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "a":
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[1] += data
        if self._textarea is not None:
            self._textarea.value += data
        if self._link is not None:
            self._link["text"] += data


class PageError(AssertionError):
    """The page does not have what the script expected (message says what and where)."""


@dataclass
class Page:
    url: str
    status: int
    text: str
    headers: dict[str, str]
    forms: list[Form]
    links: list[dict[str, str]]
    data: list[dict[str, str]]

    @classmethod
    def of(cls, response: requests.Response) -> Page:
        parser = _Parser()
        if "html" in response.headers.get("content-type", ""):
            parser.feed(response.text)
        return cls(
            url=response.url,
            status=response.status_code,
            text=response.text,
            headers=dict(response.headers),
            forms=parser.forms,
            links=parser.links,
            data=parser.data_attrs,
        )

    def form(self, *, id: str | None = None, action_contains: str | None = None) -> Form:
        for form in self.forms:
            if id is not None and form.id != id:
                continue
            if action_contains is not None and action_contains not in form.action:
                continue
            return form
        raise PageError(
            f"{self.url}: no form id={id!r} action~{action_contains!r}; forms: {[f.action for f in self.forms]}"
        )

    def link(self, *, id: str | None = None, text: str | None = None, href_contains: str | None = None) -> str:
        for link in self.links:
            if id is not None and link["id"] != id:
                continue
            if text is not None and text.lower() not in " ".join(link["text"].split()).lower():
                continue
            if href_contains is not None and href_contains not in link["href"]:
                continue
            return urljoin(self.url, link["href"])
        raise PageError(f"{self.url}: no link id={id!r} text={text!r} href~{href_contains!r}")

    def attr(self, name: str) -> str | None:
        """The first ``data-<name>`` attribute on the page."""
        key = f"data-{name}"
        return next((d[key] for d in self.data if key in d), None)

    def attrs(self, name: str) -> list[dict[str, str]]:
        key = f"data-{name}"
        return [d for d in self.data if key in d]


class Browser:
    """A ``requests.Session`` that keeps cookies and reads pages as :class:`Page`."""

    def __init__(self, session: requests.Session | None = None) -> None:
        self.session = session or requests.Session()
        self.session.trust_env = False

    def close(self) -> None:
        self.session.close()

    def get(self, url: str, *, params: dict[str, Any] | None = None, follow: bool = True) -> Page:
        return Page.of(self.session.get(url, params=params, timeout=TIMEOUT_S, allow_redirects=follow))

    def post(self, url: str, data: dict[str, str], *, follow: bool = True) -> Page:
        return Page.of(self.session.post(url, data=data, timeout=TIMEOUT_S, allow_redirects=follow))

    def submit(self, form: Form, base_url: str | None = None, *, follow: bool = True, **values: str | None) -> Page:
        """Submit ``form`` with its defaults, overridden by ``values`` (None removes a field)."""
        data = form.defaults()
        for name, value in values.items():
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        url = urljoin(base_url or "", form.action)
        if form.method == "get":
            return Page.of(self.session.get(url, params=data, timeout=TIMEOUT_S, allow_redirects=follow))
        return Page.of(self.session.post(url, data=data, timeout=TIMEOUT_S, allow_redirects=follow))


def location(page: Page) -> str:
    """Where a redirect (not followed) points."""
    loc = page.headers.get("location") or page.headers.get("Location")
    if not loc:
        raise PageError(f"{page.url} answered {page.status} without a redirect")
    return urljoin(page.url, loc)


def cus_from_bank_url(url: str) -> str:
    """``{bank}/pse/<bank code>/<CUS>`` (or ``{switch}/pse/banco/<CUS>``) → the CUS."""
    return urlparse(url).path.rstrip("/").split("/")[-1]


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


class BankStandIn:
    """Plays a bank's side of PSE through ACH's bank API: reads the transaction and confirms it."""

    def __init__(self, ach_url: str, bank_code: str, ach_secret: str) -> None:
        self.ach_url = ach_url.rstrip("/")
        self.bank_code = bank_code
        self.auth = (bank_code, ach_secret)

    def _call(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        response = requests.post(f"{self.ach_url}/psebancos/api/{method}", json=body, auth=self.auth, timeout=TIMEOUT_S)
        data: dict[str, Any] = response.json()
        return data

    def information(self, cus: str) -> dict[str, Any]:
        return self._call(
            "GetTransactionInformation", {"trazabilityCode": cus, "financialInstitutionCode": self.bank_code}
        )

    def confirm(self, cus: str, state: str, *, when: datetime, authorization_id: str | None = None) -> dict[str, Any]:
        """``state``: OK | NOT_AUTHORIZED | PENDING | FAILED. Returns ACH's answer."""
        info = self.information(cus)
        body = {
            "trazabilityCode": cus,
            "financialInstitutionCode": self.bank_code,
            "entityCode": info["entityCode"],
            "transactionValue": info["transactionValue"],
            "vatValue": info["vatValue"],
            "ticketId": info["ticketId"],
            "soliciteDate": info["soliciteDate"],
            "bankProcessDate": when.isoformat(),
            "transactionState": state,
        }
        if state == "OK":
            body["authorizationId"] = authorization_id or f"AUT{cus[-8:]}"
        return self._call("ConfirmTransactionPayment", body)


class Shopper:
    """The customer's path through the parties, step by step (each step returns what it saw)."""

    def __init__(self, urls: dict[str, str], browser: Browser | None = None) -> None:
        self.urls = urls
        self.browser = browser or Browser()

    def statement(self, document: str) -> Page:
        """The merchant's portal: document → "Estado de cuenta"."""
        return self.browser.get(f"{self.urls['merchant']}/portal", params={"documento": document})

    def payu_checkout(self, statement: Page, invoice: str) -> Page:
        """ "Paga con PayU" on one invoice → the merchant's signed form → the gateway's checkout page."""
        redirect = self.browser.submit(statement.form(action_contains=f"/facturas/{invoice}/payu"), statement.url)
        if redirect.status != 200:
            return redirect
        return self.browser.submit(redirect.form(id="payu"), redirect.url)

    def pay_at_checkout(self, checkout: Page, **values: str | None) -> Page:
        """ "Pagar" on the gateway's checkout page (not followed: a 303 to PSE, or the page again)."""
        defaults: dict[str, str | None] = {"terminos": "on", "medio": "PSE", "tipo_persona": "N"}
        defaults.update(values)
        return self.browser.submit(checkout.form(action_contains="/checkout/"), checkout.url, follow=False, **defaults)

    def go_to_bank(self, pse_url: str, email: str, person_type: str = "natural") -> str:
        """ACH's portal: registered e-mail, "Ir al Banco" → the bank's URL (not followed)."""
        portal = self.browser.get(pse_url)
        answer = self.browser.submit(
            portal.form(action_contains="/pse/pago"), portal.url, follow=False, email=email, person_type=person_type
        )
        return location(answer)

    def pay_at_bank(self, bank_url: str, username: str, password: str, account: str = "0") -> Page:
        """The bank party's pages: log in, "Pagar" with one account → the printable receipt, whose
        "Regresar al comercio" (``link(id="regresar")``) goes back to the gateway or merchant."""
        login = self.browser.get(bank_url)
        summary = self.browser.submit(
            login.form(action_contains="/pse/"), login.url, username=username, password=password
        )
        if summary.status != 200:
            return summary
        pay_form = summary.form(action_contains="/pagar")
        return self.browser.submit(pay_form, summary.url, cuenta=account, accion="pagar")
