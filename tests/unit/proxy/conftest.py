"""Unit tests of the proxy: addons called directly with fake flows (mitmproxy's ``tflow`` and
``taddons.context``), no proxy running — as mitmproxy tests its own addons."""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("mitmproxy", reason="the proxy extra is not installed (pip install -e '.[proxy]')")

with warnings.catch_warnings():
    # mitmproxy's proxyauth addon imports ldap3, which uses names pyasn1 >= 0.6 deprecates (at import only).
    warnings.simplefilter("ignore", DeprecationWarning)
    import mitmproxy.addons
    import mitmproxy.test.taddons  # noqa: F401


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
