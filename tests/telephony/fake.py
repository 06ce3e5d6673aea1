"""A stand-in Twilio account for probe tests: respx routes that answer like the API.

A call or text moves through the statuses it is given, one per status poll, repeating the
last; ``on_final`` runs when the last one is first served (a test drops the voicemail e-mail
there, as the real service would send it once the call ends).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
import respx

from freecost.telephony.base import Backoff
from freecost.telephony.checks import Pacing

BASE = "https://twilio.test"
SID = "ACfeedfacefeedfacefeedfacefeedface"
TOKEN = "twilio-auth-token-secret-42"
ACCOUNT = f"/2010-04-01/Accounts/{SID}"
FAST = Pacing(status=Backoff(first=0.001, factor=1.0, most=0.001), inbox_every=0.05)
ENVIRONMENT = {"TEST_TWILIO_SID": SID, "TEST_TWILIO_TOKEN": TOKEN}


def provider_fields() -> dict[str, Any]:
    """The fields of a telephony check pointed at the fake API."""
    return {
        "to": "+15128279000",
        "from": "+15005550006",
        "api_base": BASE,
        "account": "${TEST_TWILIO_SID}",
        "token": "${TEST_TWILIO_TOKEN}",
    }


@dataclass
class FakeTwilio:
    """What the fake account was asked, and what it answers."""

    router: respx.MockRouter
    statuses: list[dict[str, Any]] = field(default_factory=list)
    on_final: Callable[[dict[str, str]], None] | None = None
    created: list[dict[str, str]] = field(default_factory=list)
    polls: int = 0

    def spoken_token(self) -> str:
        """The digits the call's script speaks (first of its two readings)."""
        said = re.search(r"Code: ([0-9 ]+)\.", self.created[-1]["Twiml"])
        assert said is not None
        return said.group(1).replace(" ", "")

    def create(self, kind: str) -> Callable[[httpx.Request], httpx.Response]:
        def answer(request: httpx.Request) -> httpx.Response:
            sent = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            self.created.append(sent)
            return httpx.Response(201, json={"sid": f"{kind}1", "status": "queued"})

        return answer

    def status(self, kind: str) -> Callable[[httpx.Request], httpx.Response]:
        def answer(request: httpx.Request) -> httpx.Response:
            index = min(self.polls, len(self.statuses) - 1)
            self.polls += 1
            if index == len(self.statuses) - 1 and self.polls == index + 1 and self.on_final:
                self.on_final(self.created[-1])
            return httpx.Response(200, json={"sid": f"{kind}1", **self.statuses[index]})

        return answer


@contextmanager
def fake_twilio(
    statuses: Sequence[dict[str, Any]],
    *,
    create: httpx.Response | None = None,
    on_final: Callable[[dict[str, str]], None] | None = None,
) -> Iterator[FakeTwilio]:
    """The fake account; ``create``, when given, answers the POST instead (an error)."""
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        fake = FakeTwilio(router, list(statuses), on_final)
        for kind, path in (("CA", "Calls"), ("SM", "Messages")):
            post = router.post(f"{ACCOUNT}/{path}.json")
            if create is not None:
                post.mock(return_value=create)
            else:
                post.mock(side_effect=fake.create(kind))
            router.get(f"{ACCOUNT}/{path}/{kind}1.json").mock(side_effect=fake.status(kind))
        yield fake
