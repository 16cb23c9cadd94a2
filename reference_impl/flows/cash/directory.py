"""Which DIMO card a cédula or phone reaches, and the card's limit policy.

CEIBO is the source of truth for cards: the switch asks its card lookup and remembers the
answer (cards do not move between holders during a run), so the hot path makes one call to
CEIBO per transaction (the hold) once a card has been seen. A holder with several cards is
served with the first active one in CEIBO's order (their primary card). Unknown holders are
not remembered (a card may be added by an external CEIBO).

Limits (world ``limits`` with ``applies_to: card``, per entity or network-wide, plus a card's own
``limits`` overrides) are resolved once per card by the authorization core's rules.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from reference_impl.core.limits import LimitPolicy, LimitRule, resolve_policy, validate_limit_rules
from reference_impl.peers.ceibo import CeiboPeer
from sandbox.world import World

MAX_CACHED = 500_000


@dataclass(frozen=True, slots=True)
class CardRef:
    card_id: str
    entity: str | None
    policy: LimitPolicy


@dataclass(frozen=True, slots=True)
class NoCard:
    """Why no card could be used: ``unknown_card``, ``issuer_timeout`` or ``issuer_unavailable``."""

    reason: str


class CardPolicies:
    def __init__(self, world: World) -> None:
        self.rules = [
            LimitRule(r.entity, None, LimitPolicy(r.per_transaction_max_minor, r.per_day_max_minor, r.per_day_count))
            for r in world.limits
            if r.applies_to == "card"
        ]
        validate_limit_rules(self.rules)
        self.overrides = {c.card_id: c.limits for c in world.dimo_cards if c.limits is not None}

    def policy(self, card_id: str, entity: str | None) -> LimitPolicy:
        base = resolve_policy(self.rules, entity, None)
        own = self.overrides.get(card_id)
        if own is None:
            return base
        return LimitPolicy(
            own.per_transaction_max_minor
            if own.per_transaction_max_minor is not None
            else base.per_transaction_max_minor,
            own.per_day_max_minor if own.per_day_max_minor is not None else base.per_day_max_minor,
            own.per_day_count if own.per_day_count is not None else base.per_day_count_max,
        )


class CardDirectory:
    def __init__(self, ceibo: CeiboPeer, policies: CardPolicies) -> None:
        self._ceibo = ceibo
        self._policies = policies
        self._cache: OrderedDict[str, CardRef] = OrderedDict()

    def clear(self) -> None:
        self._cache.clear()

    async def resolve(self, *, document_number: str | None, phone: str | None) -> CardRef | NoCard:
        key = f"d:{document_number}" if document_number is not None else f"p:{phone}"
        found = self._cache.get(key)
        if found is not None:
            return found
        answer = await self._ceibo.lookup(document_number=document_number, phone=phone)
        if answer.failure is not None:
            return NoCard(answer.failure)
        if not answer.cards:
            return NoCard("unknown_card")
        card = next((c for c in answer.cards if c.get("status") == "active"), answer.cards[0])
        card_id, entity = str(card["card_id"]), card.get("entity")
        ref = CardRef(card_id, entity, self._policies.policy(card_id, entity))
        self._cache[key] = ref
        if len(self._cache) > MAX_CACHED:
            self._cache.popitem(last=False)
        return ref
