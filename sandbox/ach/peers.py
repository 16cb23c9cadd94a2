"""ACH's peers: notify, which e-mails the payer's receipt (:class:`NotifyPeer`).

ACH calls no other party: collecting entities and banks call it.
"""

from sandbox.protocols.notify import NotifyPeer

__all__ = ["NotifyPeer"]
