"""Telephony providers: place a test call or send a test text, then follow its status.

:mod:`freecost.telephony.base` holds the provider interface and the neutral status
vocabulary; each provider is one module (:mod:`freecost.telephony.twilio`). Adding a provider
means one module implementing :class:`~freecost.telephony.base.TelephonyProvider` and one
entry in :data:`PROVIDERS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from freecost.telephony.base import TelephonyProvider

PROVIDERS = ("twilio",)
"""The known providers, by the name a check uses."""


def connect(
    name: str, client: httpx.AsyncClient, *, account: str, token: str, api_base: str | None
) -> TelephonyProvider:
    """The provider ``name`` on ``client``, with the account's credentials; ``api_base``
    ``None`` means the provider's own."""
    if name == "twilio":
        from freecost.telephony.twilio import DEFAULT_API_BASE, Twilio

        return Twilio(client, account=account, token=token, api_base=api_base or DEFAULT_API_BASE)
    raise ValueError(f"unknown telephony provider {name!r}")
