"""The cooperatives' core-banking contract, v1 (``/coop/v1``): what a cooperative's core banking
serves and what the network's switch calls. Shared by ``sandbox.coop`` (the simulator), the
switch's client (``reference_impl.peers.coop``) and the conformance run. Pure: no framework.

``codes``   error codes, header names, magic cents, the contract's numbers (hold timeout, key retention)
``models``  pydantic models of every request and answer, with the contract's field names

The guide for a cooperative's IT team is ``docs/coop-api.md``.
"""

from sandbox.protocols.coop import codes as _codes
from sandbox.protocols.coop import models as _models
from sandbox.protocols.coop.codes import *  # noqa: F403
from sandbox.protocols.coop.models import *  # noqa: F403

__all__ = [*_codes.__all__, *_models.__all__]
