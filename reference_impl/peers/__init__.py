"""Clients of the switch's peers, one module per peer (:mod:`.ceibo`, :mod:`.red`; coop, ACH, the
gateway and notify come with their flows), over one HTTP stack (:mod:`.transport`).

Each turns answers and transport failures into small typed results, so services never see HTTP,
and calls only the peer's protocol routes — never another party's ``/_sandbox/`` control API — so
the switch works the same against a real party (``--external NAME=URL``).
"""
