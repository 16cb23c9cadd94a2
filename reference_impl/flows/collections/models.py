"""Collections' wire: the JSON API's bodies (``/recaudos/v1``), the signed WebCheckout form the
browser posts to the gateway (COL-15), the OTP messages handed to notify (COL-05, NET-07) and the
fields a gateway confirmation must carry. Pure: pydantic and builders."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from sandbox.kit.money import format_amount, format_display
from sandbox.protocols.payu.signatures import request_signature

__all__ = [
    "CONFIRMATION_REQUIRED",
    "BeginIn",
    "CodeIn",
    "LookupIn",
    "PayerIn",
    "SelectionIn",
    "SelectionItemIn",
    "checkout_form",
    "otp_messages",
]

#: Fields a PayU confirmation must carry (checked in this order).
CONFIRMATION_REQUIRED: Final = ("merchant_id", "reference_sale", "state_pol", "value", "currency", "sign",
                                "transaction_id")  # fmt: skip

DocumentType = Literal["CC", "CE", "TI", "RC", "PP", "PPN", "DIE"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LookupIn(_In):
    """COL-01: a document type and number are all it takes."""

    document_type: DocumentType = Field(examples=["CC"])
    document_number: str = Field(min_length=1, max_length=24, examples=["1033370434"])


class CodeIn(_In):
    otp: str = Field(min_length=1, max_length=12, description="El código de 6 dígitos recibido.")


class SelectionItemIn(_In):
    product_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    option: Literal["none", "minimum", "total", "other", "free"] = Field(
        description="Créditos: none (No pagar), minimum, total, other (Otro valor). Ahorros y aportes: free."
    )
    amount: str | None = Field(default=None, max_length=24, description="COP en texto decimal ('20000.00').")


class PayerIn(_In):
    """COL-04: with ``different`` every field is required."""

    different: bool = False
    document_type: str | None = Field(default=None, max_length=4)
    document_number: str | None = Field(default=None, max_length=24)
    first_names: str | None = Field(default=None, max_length=60)
    last_names: str | None = Field(default=None, max_length=60)
    email: str | None = Field(default=None, max_length=120)
    mobile: str | None = Field(default=None, max_length=10)


class SelectionIn(_In):
    items: list[SelectionItemIn] = Field(max_length=50)
    payer: PayerIn = PayerIn()


class BeginIn(_In):
    """COL-14/COL-15 and NET-07: the description, the terms and the code of this selection."""

    otp: str = Field(min_length=1, max_length=12)
    description: str | None = Field(default=None, max_length=140)
    terms: bool = False


def checkout_form(
    *,
    merchant_id: str,
    account_id: str,
    api_key: str,
    reference: str,
    amount_minor: int,
    description: str,
    buyer_email: str,
    buyer_name: str,
    buyer_phone: str,
    document_type: str,
    document_number: str,
    entity: str,
    response_url: str,
    confirmation_url: str,
) -> dict[str, str]:
    """PayU WebCheckout's fields for the payment, signed with the account's API key (GW-01)."""
    amount = format_amount(amount_minor, "COP")
    return {
        "merchantId": merchant_id,
        "accountId": account_id,
        "description": description[:255],
        "referenceCode": reference,
        "amount": amount,
        "tax": "0.00",
        "taxReturnBase": "0.00",
        "currency": "COP",
        "signature": request_signature(api_key, merchant_id, reference, amount, "COP"),
        "test": "1",
        "lng": "es",
        "buyerEmail": buyer_email,
        "buyerFullName": buyer_name,
        "payerDocumentType": document_type,
        "payerDocument": document_number,
        "mobilePhone": buyer_phone,
        "responseUrl": response_url,
        "confirmationUrl": confirmation_url,
        "extra1": reference,
        "extra2": entity,
    }


def otp_messages(
    *,
    channels: tuple[str, ...],
    mobile: str | None,
    email: str | None,
    code: str,
    entity_name: str,
    reference: str,
    total_minor: int | None = None,
    products: int = 0,
) -> list[dict[str, object]]:
    """The OTP as notify takes it, one message per channel. A payment code names what it authorizes
    (the total and how many products: PSD2 dynamic linking, NET-07); an identity code only the entity."""
    if total_minor is None:
        text = f"{entity_name}: su código de seguridad para consultar sus productos es {{secret}}. Vence en 5 minutos."
    else:
        text = (
            f"{entity_name}: su código para pagar {format_display(total_minor, 'COP')} a {products} producto(s) "
            f"es {{secret}}. Vence en 5 minutos. Si usted no lo pidió, no lo comparta."
        )
    found: list[dict[str, object]] = []
    if "sms" in channels and mobile:
        found.append(
            {"channel": "sms", "to": mobile, "kind": "otp", "secret": code, "text": text, "reference": reference}
        )
    if "email" in channels and email:
        found.append(
            {
                "channel": "email",
                "to": email,
                "subject": f"{entity_name} · código de seguridad",
                "kind": "otp",
                "secret": code,
                "text": text,
                "reference": reference,
            }
        )
    return found
