"""Record, check and break the traffic between parties (``coop-sandbox up --proxy``).

A mitmproxy (``mitmdump``/``mitmweb``) process sits between the parties: every party's peer calls
go through it (``SandboxConfig.proxy_url``). Its addons name each flow's parties, check it against
the receiver's OpenAPI, inject faults on demand and write a masked capture. See docs/proxy.md.

Modules that import mitmproxy (the addons) are only imported inside the proxy process and its
tests; :mod:`sandbox.proxy.launcher` and :mod:`sandbox.proxy.client` need only the standard
library and ``requests``, so the sandbox runs without the ``proxy`` extra installed.
"""
