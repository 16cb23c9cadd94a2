"""The script mitmproxy loads: ``mitmdump -s sandbox/proxy/addon_entry.py`` (or ``mitmweb -s ...``).

See :mod:`sandbox.proxy.addons` for what each addon does and why they run in this order.
"""

from sandbox.proxy.addons import make_addons

addons = make_addons()
