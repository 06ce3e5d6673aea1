"""Twilio's Programmable Voice and Messaging REST API (``/2010-04-01``).

Requests are form-encoded, answers are JSON (the ``.json`` suffix), and every request is
authenticated with HTTP Basic ``AccountSid:AuthToken``, passed per request so the shared
client never holds the credentials. An error answer is JSON too:
``{"code": 20003, "message": "...", "more_info": "https://www.twilio.com/docs/errors/20003",
"status": 401}``.

How answers map to :class:`~freecost.telephony.base.Problem`:

- HTTP 401, or Twilio error 20003 (authentication): ``CREDENTIALS``;
- HTTP 429 (too many requests) and every 5xx: ``VENDOR``, the request may succeed later;
- any other 4xx (an invalid number, a ``from`` the account does not own, a country not
  enabled, a resource that does not exist): ``REJECTED``, the request as written can never
  succeed, so the number itself was not tested;
- no answer in time, no connection, an answer that is not JSON: ``VENDOR``.

Statuses, as the Call and Message resources report them:

- calls: ``queued``, ``ringing``, ``in-progress``; terminal ``completed``, ``busy``,
  ``no-answer``, ``failed``, ``canceled``;
- messages: ``accepted``, ``scheduled``, ``queued``, ``sending`` (pending); ``sent`` (handed
  to the carrier); terminal ``delivered`` (and ``read``, which implies it), ``undelivered``,
  ``failed`` and ``canceled`` (only a scheduled message can be canceled; it was never sent).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from freecost.telephony.base import (
    CallHandle,
    CallState,
    CallStatus,
    MessageHandle,
    MessageState,
    MessageStatus,
    Problem,
    TelephonyError,
)

if TYPE_CHECKING:
    import httpx

DEFAULT_API_BASE = "https://api.twilio.com"
API_VERSION = "2010-04-01"
REQUEST_TIMEOUT = 15.0
"""Seconds one API request may take; status polls are retried within the check's window."""
MAX_ANSWER = 256 * 1024
"""Bytes of an answer read at most; Twilio's resources are a few kilobytes."""
AUTH_ERROR = 20003

CALL_STATUSES = {
    "queued": CallStatus.QUEUED,
    "ringing": CallStatus.RINGING,
    "in-progress": CallStatus.IN_PROGRESS,
    "completed": CallStatus.COMPLETED,
    "busy": CallStatus.BUSY,
    "no-answer": CallStatus.NO_ANSWER,
    "failed": CallStatus.FAILED,
    "canceled": CallStatus.CANCELED,
}
MESSAGE_STATUSES = {
    "accepted": MessageStatus.PENDING,
    "scheduled": MessageStatus.PENDING,
    "queued": MessageStatus.PENDING,
    "sending": MessageStatus.PENDING,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
}

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]+")


def twiml(say: str) -> str:
    """The call's script: a breath after the beep, ``say`` spoken once, then hang up.

    ``say`` is XML-escaped, so no text can add or break instructions.
    """
    return f'<Response><Pause length="1"/><Say>{escape(say)}</Say><Hangup/></Response>'


class Twilio:
    """A :class:`~freecost.telephony.base.TelephonyProvider` for one Twilio account."""

    name = "twilio"
    label = "Twilio"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        account: str,
        token: str,
        api_base: str = DEFAULT_API_BASE,
    ) -> None:
        self._client = client
        self._account = account
        self._token = token
        self.api_base = api_base.rstrip("/")

    def __repr__(self) -> str:
        # The account SID and token stay out: a repr ends up in logs and tracebacks.
        return f"Twilio(api_base={self.api_base!r})"

    async def place_call(
        self, to: str, from_: str, *, say: str, ring_timeout: float, time_limit: float
    ) -> CallHandle:
        form = {
            "To": to,
            "From": from_,
            "Twiml": twiml(say),
            # Wait for the greeting to end (the beep), so the words land in the recording.
            "MachineDetection": "DetectMessageEnd",
            "Timeout": str(max(1, round(ring_timeout))),
            "TimeLimit": str(max(1, round(time_limit))),
        }
        answer = await self._request("POST", "Calls.json", "call", form)
        status = _call_status(answer)
        return CallHandle(id=_sid(answer), status=status)

    async def call_status(self, handle: CallHandle) -> CallState:
        answer = await self._request("GET", f"Calls/{quote(handle.id, safe='')}.json", "call")
        return CallState(
            status=_call_status(answer),
            provider_status=str(answer.get("status", "")),
            duration_s=_whole(answer.get("duration")),
            answered_by=_text(answer.get("answered_by")),
            price=_text(answer.get("price")),
            price_unit=_text(answer.get("price_unit")),
            started_at=_text(answer.get("start_time")),
            ended_at=_text(answer.get("end_time")),
            raw=answer,
        )

    async def send_text(self, to: str, from_: str, body: str) -> MessageHandle:
        form = {"To": to, "From": from_, "Body": body}
        answer = await self._request("POST", "Messages.json", "text", form)
        return MessageHandle(id=_sid(answer), status=_message_status(answer))

    async def message_status(self, handle: MessageHandle) -> MessageState:
        path = f"Messages/{quote(handle.id, safe='')}.json"
        answer = await self._request("GET", path, "text")
        code = answer.get("error_code")
        return MessageState(
            status=_message_status(answer),
            provider_status=str(answer.get("status", "")),
            error_code=code if isinstance(code, int | str) and code != "" else None,
            error_message=_text(answer.get("error_message")),
            price=_text(answer.get("price")),
            price_unit=_text(answer.get("price_unit")),
            segments=_whole(answer.get("num_segments")),
            raw=answer,
        )

    async def _request(
        self, method: str, path: str, what: str, form: dict[str, str] | None = None
    ) -> dict[str, Any]:
        import httpx

        url = f"{self.api_base}/{API_VERSION}/Accounts/{quote(self._account, safe='')}/{path}"
        try:
            async with self._client.stream(
                method,
                url,
                data=form,
                auth=(self._account, self._token),
                timeout=REQUEST_TIMEOUT,
            ) as response:
                body = await _capped(response)
                status = response.status_code
        except httpx.TimeoutException:
            raise TelephonyError("Twilio did not answer in time", Problem.VENDOR) from None
        except httpx.HTTPError as exc:
            # Only the exception's type: its text can carry the URL with the account SID.
            raise TelephonyError(
                f"Twilio unreachable: {type(exc).__name__}", Problem.VENDOR
            ) from None
        answer = _json(body)
        if 200 <= status < 300:
            if answer is None:
                raise TelephonyError(
                    f"Twilio's answer about the {what} is not JSON", Problem.VENDOR
                )
            return answer
        raise _refusal(status, answer or {}, what)


async def _capped(response: httpx.Response) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_ANSWER:
            raise TelephonyError(
                f"Twilio's answer is larger than {MAX_ANSWER // 1024} KB", Problem.VENDOR
            )
    return bytes(body)


def _json(body: bytes) -> dict[str, Any] | None:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _refusal(status: int, answer: dict[str, Any], what: str) -> TelephonyError:
    given = answer.get("code")
    code = given if isinstance(given, int | str) and given != "" else None
    message = _plain(answer.get("message"))
    more_info = _plain(answer.get("more_info"))

    def error(summary: str, problem: Problem) -> TelephonyError:
        return TelephonyError(summary, problem, http_status=status, code=code, more_info=more_info)

    if status == 401 or str(code) == str(AUTH_ERROR):
        return error(
            f"Twilio refused the credentials ({code or f'HTTP {status}'})", Problem.CREDENTIALS
        )
    told = f": {message}" if message else ""
    label = f"{code}, HTTP {status}" if code is not None else f"HTTP {status}"
    if status == 429:
        return error(f"Twilio is limiting requests ({label}){told}", Problem.VENDOR)
    if 400 <= status < 500:
        return error(f"Twilio refused the {what}{told} ({label})", Problem.REJECTED)
    return error(f"Twilio failed ({label}){told}", Problem.VENDOR)


def _sid(answer: dict[str, Any]) -> str:
    sid = answer.get("sid")
    if not isinstance(sid, str) or not sid:
        raise TelephonyError("Twilio's answer has no id (sid)", Problem.VENDOR)
    return sid


def _call_status(answer: dict[str, Any]) -> CallStatus:
    return CALL_STATUSES.get(str(answer.get("status", "")), CallStatus.UNKNOWN)


def _message_status(answer: dict[str, Any]) -> MessageStatus:
    return MESSAGE_STATUSES.get(str(answer.get("status", "")), MessageStatus.UNKNOWN)


def _whole(value: Any) -> int | None:
    """Twilio writes counts as strings (``"duration": "17"``), empty until known."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return _plain(value)


def _plain(value: Any) -> str | None:
    """Vendor text made safe for a one-line summary: no control characters, bounded."""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    text = _UNPRINTABLE.sub(" ", str(value)).strip()
    return text[:200] or None
