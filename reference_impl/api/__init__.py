"""The switch's HTTP routers, one module per flow (``sicoop`` for cash; collections and PSE next)."""
