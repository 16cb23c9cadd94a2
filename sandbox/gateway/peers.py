"""The gateway's peers: ACH (collecting for its merchants:
:class:`~sandbox.protocols.pse.collecting.AchPeer`) and the merchants' confirmation pages
(:class:`MerchantPeer`)."""

from __future__ import annotations

from sandbox.kit.peers import Peers, UnknownPeer
from sandbox.protocols.pse.collecting import AchPeer

__all__ = ["AchPeer", "MerchantPeer", "UnknownPeer"]


class MerchantPeer:
    """A merchant, as the gateway calls it: a signed confirmation (GW-04) form-posted to the
    order's confirmation URL (any URL the merchant gave; ``{party}`` templates of the world's
    accounts resolve to the sandbox's parties)."""

    def __init__(self, peers: Peers) -> None:
        self.peers = peers

    def resolve(self, url: str) -> str:
        """``"{merchant}/payu/confirmacion"`` → an absolute URL; :class:`UnknownPeer` if it names
        no party."""
        return self.peers.resolve(url)

    async def confirm(self, url: str, form: dict[str, str]) -> int:
        """POST the confirmation; the merchant's HTTP status (``httpx.HTTPError`` when none came)."""
        response = await self.peers.absolute_client().post(url, data=form)
        return response.status_code
