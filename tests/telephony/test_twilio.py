"""The Twilio provider and the status follower against respx routes (no network)."""

from __future__ import annotations

import asyncio
import base64
import json
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from freecost.results import Layer, Status
from freecost.telephony import connect
from freecost.telephony.base import (
    Backoff,
    CallHandle,
    CallStatus,
    MessageHandle,
    MessageStatus,
    Problem,
    TelephonyError,
    follow,
)
from freecost.telephony.twilio import Twilio, twiml

BASE = "https://twilio.test"
SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "auth-token-never-shown-0123"
CALLS = f"/2010-04-01/Accounts/{SID}/Calls.json"
MESSAGES = f"/2010-04-01/Accounts/{SID}/Messages.json"
FAST = Backoff(first=0.001, factor=1.0, most=0.001)


def run(make: Callable[[Twilio], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        async with httpx.AsyncClient() as client:
            return await make(Twilio(client, account=SID, token=TOKEN, api_base=BASE))

    return asyncio.run(go())


def form(request: httpx.Request) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(request.content.decode()).items()}


def twilio_error(status: int, code: int, message: str) -> httpx.Response:
    more = f"https://www.twilio.com/docs/errors/{code}"
    body = {"code": code, "message": message, "more_info": more, "status": status}
    return httpx.Response(status, json=body)


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def test_place_call_sends_the_script_with_basic_auth(api: respx.MockRouter) -> None:
    route = api.post(CALLS).mock(
        return_value=httpx.Response(201, json={"sid": "CA1", "status": "queued"})
    )
    handle = run(
        lambda twilio: twilio.place_call(
            "+15128279000", "+15005550006", say="Code: 1 2 3 4", ring_timeout=30, time_limit=60
        )
    )
    assert handle == CallHandle("CA1", CallStatus.QUEUED)
    request = route.calls.last.request
    expected = base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    sent = form(request)
    assert sent["To"] == "+15128279000"
    assert sent["From"] == "+15005550006"
    assert sent["MachineDetection"] == "DetectMessageEnd"
    assert sent["Timeout"] == "30"
    assert sent["TimeLimit"] == "60"
    assert sent["Twiml"] == twiml("Code: 1 2 3 4")


def test_twiml_is_xml_safe() -> None:
    hostile = 'a < b & "c" </Say><Dial>+1900</Dial>'
    document = ET.fromstring(twiml(hostile))
    assert [child.tag for child in document] == ["Pause", "Say", "Hangup"]
    assert document.find("Pause") is not None
    assert document.find("Pause").attrib == {"length": "1"}  # type: ignore[union-attr]
    assert document.findtext("Say") == hostile


def test_call_status_reads_the_call_resource(api: respx.MockRouter) -> None:
    resource = {
        "sid": "CA1",
        "status": "completed",
        "duration": "17",
        "answered_by": "machine_end_beep",
        "price": "-0.01300",
        "price_unit": "USD",
        "start_time": "Tue, 10 Aug 2010 08:02:17 +0000",
        "end_time": "Tue, 10 Aug 2010 08:02:34 +0000",
    }
    api.get(f"/2010-04-01/Accounts/{SID}/Calls/CA1.json").mock(
        return_value=httpx.Response(200, json=resource)
    )
    state = run(lambda twilio: twilio.call_status(CallHandle("CA1")))
    assert state.status is CallStatus.COMPLETED
    assert state.duration_s == 17
    assert state.answered_by == "machine_end_beep"
    assert (state.price, state.price_unit) == ("-0.01300", "USD")
    assert state.ended_at == resource["end_time"]


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("queued", CallStatus.QUEUED),
        ("ringing", CallStatus.RINGING),
        ("in-progress", CallStatus.IN_PROGRESS),
        ("busy", CallStatus.BUSY),
        ("no-answer", CallStatus.NO_ANSWER),
        ("failed", CallStatus.FAILED),
        ("canceled", CallStatus.CANCELED),
        ("something-new", CallStatus.UNKNOWN),
    ],
)
def test_call_statuses_map_to_the_neutral_words(
    api: respx.MockRouter, word: str, status: CallStatus
) -> None:
    api.get(f"/2010-04-01/Accounts/{SID}/Calls/CA1.json").mock(
        return_value=httpx.Response(200, json={"sid": "CA1", "status": word, "duration": None})
    )
    state = run(lambda twilio: twilio.call_status(CallHandle("CA1")))
    assert state.status is status
    assert state.provider_status == word
    assert state.duration_s is None
    assert state.status.terminal == (word in ("busy", "no-answer", "failed", "canceled"))


def test_send_text_and_read_an_undelivered_message(api: respx.MockRouter) -> None:
    route = api.post(MESSAGES).mock(
        return_value=httpx.Response(201, json={"sid": "SM1", "status": "queued"})
    )
    api.get(f"/2010-04-01/Accounts/{SID}/Messages/SM1.json").mock(
        return_value=httpx.Response(
            200,
            json={
                "sid": "SM1",
                "status": "undelivered",
                "error_code": 30003,
                "error_message": "Unreachable destination handset",
                "price": None,
                "price_unit": "USD",
                "num_segments": "1",
            },
        )
    )

    async def both(twilio: Twilio) -> Any:
        handle = await twilio.send_text("+15128279000", "+15005550006", "hello")
        return handle, await twilio.message_status(handle)

    handle, state = run(both)
    assert handle == MessageHandle("SM1", MessageStatus.PENDING)
    assert form(route.calls.last.request) == {
        "To": "+15128279000",
        "From": "+15005550006",
        "Body": "hello",
    }
    assert state.status is MessageStatus.UNDELIVERED
    assert state.error_code == 30003
    assert state.error_message == "Unreachable destination handset"
    assert state.price is None
    assert state.segments == 1


def test_bad_credentials_are_the_checks_own_error(api: respx.MockRouter) -> None:
    api.post(CALLS).mock(return_value=twilio_error(401, 20003, "Authenticate"))
    with pytest.raises(TelephonyError) as caught:
        run(lambda twilio: twilio.place_call("+1", "+2", say="x", ring_timeout=1, time_limit=1))
    error = caught.value
    assert error.summary == "Twilio refused the credentials (20003)"
    assert error.problem is Problem.CREDENTIALS
    assert (error.status, error.layer) == (Status.ERROR, Layer.CONFIG)
    assert error.details() == {
        "http_status": 401,
        "code": 20003,
        "more_info": "https://www.twilio.com/docs/errors/20003",
    }
    shown = f"{error} {error!r} {json.dumps(error.details())}"
    assert TOKEN not in shown
    assert SID not in shown


def test_a_refused_request_names_twilios_reason(api: respx.MockRouter) -> None:
    api.post(CALLS).mock(
        return_value=twilio_error(400, 21211, "Invalid 'To' Phone Number: +1555\nNEXT")
    )
    with pytest.raises(TelephonyError) as caught:
        run(lambda twilio: twilio.place_call("+1", "+2", say="x", ring_timeout=1, time_limit=1))
    error = caught.value
    assert error.problem is Problem.REJECTED
    assert error.status is Status.ERROR
    assert error.summary == (
        "Twilio refused the call: Invalid 'To' Phone Number: +1555 NEXT (21211, HTTP 400)"
    )


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(503, text="<html>down</html>"),
        twilio_error(500, 20500, "Internal Server Error"),
        twilio_error(429, 20429, "Too Many Requests"),
        httpx.Response(200, text="not json"),
        httpx.Response(201, json={"status": "queued"}),
    ],
)
def test_vendor_trouble_is_a_vendor_failure(
    api: respx.MockRouter, response: httpx.Response
) -> None:
    api.post(CALLS).mock(return_value=response)
    with pytest.raises(TelephonyError) as caught:
        run(lambda twilio: twilio.place_call("+1", "+2", say="x", ring_timeout=1, time_limit=1))
    assert caught.value.problem is Problem.VENDOR
    assert (caught.value.status, caught.value.layer) == (Status.FAIL, Layer.VENDOR)
    assert caught.value.transient


@pytest.mark.parametrize(
    ("failure", "summary"),
    [
        (httpx.ConnectTimeout, "Twilio did not answer in time"),
        (httpx.ReadTimeout, "Twilio did not answer in time"),
        (httpx.ConnectError, "Twilio unreachable: ConnectError"),
    ],
)
def test_no_answer_is_a_vendor_failure_without_the_url(
    api: respx.MockRouter, failure: type[Exception], summary: str
) -> None:
    api.get(f"/2010-04-01/Accounts/{SID}/Calls/CA1.json").mock(side_effect=failure)
    with pytest.raises(TelephonyError) as caught:
        run(lambda twilio: twilio.call_status(CallHandle("CA1")))
    assert caught.value.summary == summary
    assert caught.value.problem is Problem.VENDOR
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_the_repr_holds_no_credentials() -> None:
    async def go() -> str:
        async with httpx.AsyncClient() as client:
            provider = connect("twilio", client, account=SID, token=TOKEN, api_base=None)
            return repr(provider)

    shown = asyncio.run(go())
    assert shown == "Twilio(api_base='https://api.twilio.com')"


def test_an_unknown_provider_is_refused() -> None:
    async def go() -> None:
        async with httpx.AsyncClient() as client:
            connect("tin-can", client, account="a", token="t", api_base=None)

    with pytest.raises(ValueError, match="unknown telephony provider"):
        asyncio.run(go())


# --- following a status ----------------------------------------------------------------------


def sequence(*answers: Any) -> Callable[[], Awaitable[Any]]:
    """A reader answering ``answers`` in turn, then the last one again and again; an
    exception among them is raised in its turn."""
    remaining = list(answers)

    async def read() -> Any:
        answer = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return read


def follow_now(read: Callable[[], Awaitable[Any]], within: float = 5.0) -> Any:
    return asyncio.run(follow(read, lambda state: state == "done", within=within, backoff=FAST))


def test_follow_stops_at_the_first_finished_state() -> None:
    followed = follow_now(sequence("queued", "ringing", "done", "never-read"))
    assert (followed.state, followed.error, followed.polls) == ("done", None, 3)


def test_follow_rides_out_a_transient_error() -> None:
    blip = TelephonyError("Twilio failed (HTTP 503)", Problem.VENDOR, http_status=503)
    followed = follow_now(sequence("queued", blip, "done"))
    assert (followed.state, followed.error, followed.polls) == ("done", None, 3)


def test_follow_raises_an_error_that_will_not_pass() -> None:
    refused = TelephonyError("Twilio refused the credentials (20003)", Problem.CREDENTIALS)
    with pytest.raises(TelephonyError):
        follow_now(sequence("queued", refused))


def test_follow_reports_the_last_state_when_the_window_ends() -> None:
    blip = TelephonyError("Twilio failed (HTTP 503)", Problem.VENDOR)
    followed = follow_now(sequence("queued", "ringing", blip), within=0.05)
    assert followed.state == "ringing"
    assert followed.error is blip
    assert followed.polls >= 3


def test_backoff_grows_to_its_ceiling() -> None:
    pauses = Backoff(first=2, factor=1.5, most=5).pauses()
    assert [next(pauses) for _ in range(5)] == [2, 3, 4.5, 5, 5]
