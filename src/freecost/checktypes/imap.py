"""What the ``imap`` check accepts: the ``imap:`` block's fields, at the top level of the
check. The probe is :mod:`freecost.probes.imap`."""

from __future__ import annotations

from typing import ClassVar, Literal

from freecost.checktypes.mailservers import ImapServer
from freecost.probes.registry import CheckBase


class Check(ImapServer, CheckBase):
    """A mailbox accepts the login and its INBOX can be opened."""

    type_name: ClassVar[str] = "imap"
    clients: ClassVar[frozenset[str]] = frozenset({"resolver", "ssl"})
    type: Literal["imap"]

    def target(self) -> str | None:
        return self.host
