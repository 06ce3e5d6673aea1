"""The ``expect_notification:`` block of the ``voice-call`` and ``sms`` checks: the inbox the
owner is told of a message in, and how to recognise that e-mail.

Also :data:`Sender`, the sender field the ``form`` check's ``expect_email`` shares. Waiting
for the notification and judging it is :mod:`freecost.probes.notification`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from freecost.checktypes.mailservers import ImapServer
from freecost.durations import Duration
from freecost.model import Model, Text

VOICEMAIL_SENDER = "voice-noreply@google.com"
"""Google Voice's voicemail notifications come from this address."""
TEXT_SENDER = "txt.voice.google.com"
"""Google Voice forwards a text from ``<number>.<sender>.<key>@txt.voice.google.com``;
IMAP matches the From header by substring, so the domain alone finds them."""
WITHIN = timedelta(minutes=15)


def _sender(value: Any) -> Any:
    if not isinstance(value, str) or not value.strip():
        raise PydanticCustomError(
            "notification_from",
            "expected the sender's address, or part of it, like {example}",
            {"example": VOICEMAIL_SENDER},
        )
    if any(ord(char) < 32 or char in '"\\' for char in value):
        raise PydanticCustomError(
            "notification_from_text", "the sender holds a line break, a quote or a backslash"
        )
    return value.strip()


Sender = Annotated[str, BeforeValidator(_sender)]


class Notification(Model):
    """Where the owner is told of a message, and how to recognise that e-mail."""

    imap: ImapServer = Field(description="the inbox the notification arrives in")
    sender: Sender = Field(alias="from", description="the notification's sender, or part of it")
    within: Duration = Field(
        default=WITHIN, description="how long after the call or text it must arrive"
    )
    subject_contains: Text | None = Field(
        default=None, min_length=1, description="text the notification's subject must contain"
    )
    delete: bool = Field(
        default=True, description="delete the notification that carries the token once found"
    )


class VoicemailNotification(Notification):
    """The voicemail notification; by default Google Voice's."""

    sender: Sender = Field(
        default=VOICEMAIL_SENDER,
        alias="from",
        description=f"the notification's sender, or part of it (default {VOICEMAIL_SENDER})",
    )


class TextNotification(Notification):
    """The e-mail a forwarded text arrives as; by default Google Voice's."""

    sender: Sender = Field(
        default=TEXT_SENDER,
        alias="from",
        description=f"the notification's sender, or part of it (default {TEXT_SENDER})",
    )
