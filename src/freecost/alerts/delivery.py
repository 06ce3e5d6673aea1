"""Sending an alert to every notification URL through apprise, one :class:`Delivery` each.

Notification URLs carry tokens, so nothing here repeats a URL: a delivery names its target
without the token and its error is scrubbed of every part of the URL (:mod:`.redact`).
apprise's own log records, and those of the HTTP library under it, are routed into the
delivery they belong to instead of the process's log handlers, for the same reason.

A failing notifier never fails the run: :func:`send` returns its failure as data and never
raises for a bad, unreachable or hanging URL.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import warnings
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from freecost.alerts.alert import Severity
from freecost.alerts.redact import scrub, target_of
from freecost.alerts.render import plain

if TYPE_CHECKING:
    from apprise import AppriseAsset

ERROR_LIMIT = 300
_UNBOUNDED = 100_000
_BLANK = re.compile(r"\s")
_TRANSPORT_LOGGERS = (
    "requests",
    "urllib3",
    "urllib3.connection",
    "urllib3.connectionpool",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
)

_log_sink: ContextVar[list[str] | None] = ContextVar("freecost_apprise_log", default=None)
_routing = threading.Lock()


@dataclass(frozen=True)
class Delivery:
    """What became of one notification URL: never the URL itself."""

    target: str
    """The URL's scheme and host (``mailto://smtp.example.com``), or the scheme alone."""
    ok: bool
    error: str | None = None
    """Why it failed, in plain words, with no part of the URL in it."""


@dataclass
class _Attempt:
    outcome: Literal["sent", "refused", "invalid", "crashed"] | None = None
    crash: str = ""


def send(
    message: tuple[str, str],
    urls: Sequence[str],
    *,
    timeout: float,
    severity: Severity = "info",
) -> list[Delivery]:
    """Send ``(title, body)`` to every URL at once; one Delivery per URL, in order.

    ``severity`` lets services that show one colour or icon (Slack, Teams, ntfy) use it.

    Each URL gets ``timeout`` seconds from the start of the call. apprise is synchronous and
    cannot be interrupted, so each URL runs in its own daemon thread; a notifier still
    hanging at the deadline is reported as failed and its thread is abandoned (it ends when
    apprise's own socket timeouts fire, or with the process).
    """
    if not urls:
        return []
    _load_apprise()
    title, body = message
    attempts = [_Attempt() for _ in urls]
    sinks: list[list[str]] = [[] for _ in urls]
    threads = [
        threading.Thread(
            target=_deliver,
            args=(url, (title, body, severity), attempt, sink),
            name="freecost-notify",
            daemon=True,
        )
        for url, attempt, sink in zip(urls, attempts, sinks, strict=True)
    ]
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return [
        _delivery(url, attempt, list(sink), timeout, finished=not thread.is_alive())
        for url, attempt, sink, thread in zip(urls, attempts, sinks, threads, strict=True)
    ]


def _load_apprise() -> None:
    _route_apprise_logging()
    # Loading the plugins takes a few hundred milliseconds the first time: pay it here, before
    # any notifier's deadline starts, and in one thread. Some plugins import modules newer
    # Pythons deprecate; that warning is for apprise's authors, not for our users.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from apprise.manager_plugins import NotificationManager

        NotificationManager().load_modules()  # type: ignore[no-untyped-call]


def _route_apprise_logging() -> None:
    """Send the records of a delivery to that delivery, and nowhere else."""
    with _routing:
        logger = logging.getLogger("apprise")
        if not any(isinstance(handler, _Router) for handler in logger.handlers):
            logger.addHandler(_Router(logging.WARNING))
        # apprise's records can quote the URL it failed on; a handler the application set up
        # on the root logger would write the token to a log file.
        logger.propagate = False
        for name in _TRANSPORT_LOGGERS:
            # The HTTP library under apprise logs request paths, and a webhook's path is its
            # token. A filter on each logger holds back only what a notifier thread logs.
            transport = logging.getLogger(name)
            if not any(isinstance(f, _HoldBack) for f in transport.filters):
                transport.addFilter(_HoldBack())


def _keep(record: logging.LogRecord) -> None:
    sink = _log_sink.get()
    if sink is None or record.levelno < logging.WARNING:
        return
    try:
        sink.append(record.getMessage())
    except Exception:
        # logging's own error report would print the record's arguments, URL included.
        sink.append("an unreadable log message")


class _Router(logging.Handler):
    """Keeps each apprise record with the delivery whose thread logged it.

    A record logged outside :func:`send` has no delivery and is dropped: freecost owns how
    apprise is used, and nothing else in it logs through apprise.
    """

    def emit(self, record: logging.LogRecord) -> None:
        _keep(record)


class _HoldBack(logging.Filter):
    """Keeps a transport record logged during a delivery with it, instead of passing it on."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _log_sink.get() is None:
            return True
        _keep(record)
        return False


def _deliver(
    url: str, message: tuple[str, str, Severity], attempt: _Attempt, sink: list[str]
) -> None:
    import apprise

    # A new thread starts with an empty context: the sink set here is seen by apprise's
    # records from this thread, and from any worker it starts with a copy of this context.
    _log_sink.set(sink)
    try:
        title, body, severity = message
        notifier = apprise.Apprise(asset=_asset())
        # apprise reads blanks as separators between URLs: one entry must stay one notifier.
        if _BLANK.search(url.strip()) or not notifier.add(url):
            attempt.outcome = "invalid"
            return
        sent = notifier.notify(
            body=body, title=title, notify_type=severity, body_format=apprise.NotifyFormat.TEXT
        )
        attempt.outcome = "sent" if sent else "refused"
    except Exception as exc:  # a plugin bug must not escape a thread nobody joins in time
        attempt.outcome = "crashed"
        attempt.crash = f"{type(exc).__name__}: {exc}"


def _asset() -> AppriseAsset:
    from apprise import AppriseAsset

    # No thread pool and no files on disk: one service per call, state kept in memory.
    options: dict[str, Any] = {"async_mode": False, "storage_mode": "memory"}
    if hasattr(AppriseAsset, "_service_timeout"):
        # apprise 2 runs a service with its own timeout in a shared pool whose threads the
        # interpreter waits for at exit; without one it runs here, in a thread we can abandon.
        options["service_timeout"] = 0
    return AppriseAsset(**options)


def _delivery(
    url: str, attempt: _Attempt, logged: list[str], timeout: float, *, finished: bool
) -> Delivery:
    target = target_of(url)
    if not finished:
        return Delivery(target, False, f"no answer within {timeout:g} s")
    if attempt.outcome == "sent":
        return Delivery(target, True)
    reasons = {
        "invalid": "not a notification URL apprise understands",
        "refused": "the service did not accept the message",
        "crashed": "the notifier failed",
        None: "the notifier stopped without a result",
    }[attempt.outcome]
    details = [*logged, attempt.crash] if attempt.crash else logged
    return Delivery(target, False, _explain(reasons, details, url))


def _explain(reason: str, details: list[str], url: str) -> str:
    text = "; ".join(dict.fromkeys(plain(line, _UNBOUNDED) for line in details if line.strip()))
    # Flatten before scrubbing (a line break inside a token would hide it from the scrub) and
    # cap after it (a cut token would be missed too).
    explained = f"{reason}: {scrub(text, url)}" if text else reason
    return plain(explained, ERROR_LIMIT)
