"""Run the proxy in this process: ``python -m sandbox.proxy.serve dump|web [mitmproxy arguments]``.

A thin wrapper around ``mitmdump``/``mitmweb`` that, when started by ``coop-sandbox up``
(``COOP_SANDBOX_SUPERVISED=1``), dies with its parent like every party process does.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in ("dump", "web"):
        raise SystemExit("usage: python -m sandbox.proxy.serve dump|web [mitmproxy arguments]")
    tool, rest = args[0], args[1:]
    if os.environ.get("COOP_SANDBOX_SUPERVISED") == "1":
        from sandbox.serve import _die_with_parent

        _die_with_parent()
    from mitmproxy.tools.main import mitmdump, mitmweb

    code = (mitmdump if tool == "dump" else mitmweb)(rest)
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
