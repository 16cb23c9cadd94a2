"""HTTP clients of the switch's peers, one module per peer (CEIBO, the collection network, ...).

Each wraps ``ctx.peers.client(name)`` (one pooled ``httpx.AsyncClient`` per peer, request id and
party headers added, the sandbox proxy honoured) and turns answers and transport failures into
small typed results, so services never see HTTP.
"""
