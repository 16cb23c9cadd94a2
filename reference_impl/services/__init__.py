"""The switch's service layer: load state, ask the authorization core, persist, call peers.

One package per flow (``cash`` for SICOOP; collections and PSE payments come next), plus the
pieces they share: :mod:`.settings` (the switch's options) and :mod:`.batching` (group commit
for async handlers).
"""
