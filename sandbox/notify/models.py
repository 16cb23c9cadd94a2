"""What crosses notify's wire: the message a party sends (``POST /messages``)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: The outbox keeps the last this many messages (and a query returns at most this many).
MAX_MESSAGES = 10_000

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_MOBILE = re.compile(r"3[0-9]{9}|09[0-9]{8}|\+?[0-9]{10,15}")  # ASCII digits only


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Literal["sms", "email"]
    to: str = Field(min_length=3, max_length=120)
    subject: str | None = Field(default=None, max_length=200)
    text: str = Field(min_length=1, max_length=4000)
    #: A one-time code or other secret; the text shows it where it says ``{secret}``.
    secret: str | None = Field(default=None, max_length=64)
    kind: Literal["otp", "receipt", "notice"] = "notice"
    reference: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _check(self) -> MessageIn:
        if self.channel == "sms" and not _MOBILE.fullmatch(self.to):
            raise ValueError("to debe ser un número de celular (10 dígitos) para un SMS")
        if self.channel == "email" and not _EMAIL.fullmatch(self.to):
            raise ValueError("to debe ser un correo electrónico válido")
        if self.channel == "email" and not self.subject:
            raise ValueError("subject es obligatorio para un correo electrónico")
        if ("{secret}" in self.text) != (self.secret is not None):
            raise ValueError("text lleva {secret} si y solo si se envía secret")
        return self
