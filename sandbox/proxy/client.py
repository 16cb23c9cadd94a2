"""A small sync client for the proxy's control endpoint (used by the CLI, the fixtures and the
BDD steps). Requests go *through* the proxy to the reserved host ``proxy.sandbox``.
"""

from __future__ import annotations

from typing import Any

import requests

CONTROL_BASE = "http://proxy.sandbox"


class ProxyControlError(RuntimeError):
    """The proxy answered with an error, or could not be reached; ``status`` is 0 when unreachable."""

    def __init__(self, message: str, status: int = 0, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


class ProxyControl:
    def __init__(self, proxy_url: str, *, timeout_s: float = 10.0) -> None:
        self.proxy_url = proxy_url.rstrip("/")
        self.timeout_s = timeout_s
        self._http = requests.Session()
        self._http.trust_env = False
        self._http.proxies = {"http": self.proxy_url}

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ProxyControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, CONTROL_BASE + path, timeout=self.timeout_s, **kwargs)
        except requests.RequestException as exc:
            raise ProxyControlError(f"el proxy {self.proxy_url} no responde: {type(exc).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            raise ProxyControlError(
                f"respuesta inesperada del proxy ({response.status_code}); ¿es {self.proxy_url} el proxy del sandbox?",
                response.status_code,
            ) from None
        if response.status_code >= 400:
            raise ProxyControlError(str(body.get("message", body)), response.status_code, body.get("field"))
        return body

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/_health")
        return result

    def faults(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/_faults")["faults"]
        return result

    def add_fault(self, spec: str | dict[str, Any]) -> dict[str, Any]:
        """Add one fault, as text (``"error from=gateway to=ach count=1"``) or as a mapping."""
        body = {"spec": spec} if isinstance(spec, str) else spec
        result: dict[str, Any] = self._call("POST", "/_faults", json=body)["faults"][0]
        return result

    def remove_fault(self, fault_id: int) -> None:
        self._call("DELETE", f"/_faults/{fault_id}")

    def clear_faults(self) -> int:
        cleared: int = self._call("DELETE", "/_faults")["cleared"]
        return cleared

    def flows(self, limit: int = 100, **where: str) -> list[dict[str, Any]]:
        params = {"limit": str(limit), **{k.rstrip("_"): v for k, v in where.items()}}
        result: list[dict[str, Any]] = self._call("GET", "/_flows", params=params)["flows"]
        return result

    def clear_flows(self) -> None:
        self._call("DELETE", "/_flows")

    def flush_capture(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/_capture/flush")
        return result

    def contract(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/_contract")
        return result

    def clear_contract(self) -> None:
        self._call("DELETE", "/_contract")

    def load_contracts(self) -> dict[str, Any]:
        """Have the proxy fetch every party's OpenAPI now; returns the status of each spec."""
        result: dict[str, Any] = self._call("POST", "/_contract/load")["specs"]
        return result

    def write_contract(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/_contract/write")
        return result
