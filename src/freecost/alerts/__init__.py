"""Alerts: tell people when a check goes down, stays down, and comes back.

:func:`alert_for` turns a state change (see :mod:`freecost.state`) into an :class:`Alert`;
:func:`render` makes it a plain-text title and body; :func:`send` delivers that to every URL
in ``settings.notify`` through apprise and returns one :class:`Delivery` per URL, failures
included, so a broken notifier is recorded and shown but never fails the run.
:func:`due_reminder` says when a check that stays down is announced again.
"""

from freecost.alerts.alert import (
    SEVERITY,
    Alert,
    AlertKind,
    HurtFunction,
    Severity,
    alert_for,
    due_reminder,
)
from freecost.alerts.delivery import Delivery, send
from freecost.alerts.redact import target_of
from freecost.alerts.render import render

__all__ = [
    "SEVERITY",
    "Alert",
    "AlertKind",
    "Delivery",
    "HurtFunction",
    "Severity",
    "alert_for",
    "due_reminder",
    "render",
    "send",
    "target_of",
]
