"""Contact Form 7 for the ``form`` check: where its REST endpoint is, and what its JSON says.

CF7 (a WordPress plugin) has its own way in and its own way of answering: the page's script
posts the form to a REST route under the API root the page names, and the reply is JSON whose
``status`` is the plugin's verdict. That knowledge is the plugin's, not HTML forms', so it is
kept apart from the page scan and from the judging of plain answers. The ``cf7:`` block is
:class:`~freecost.checktypes.form.Cf7`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from freecost.probes.formwords import listing
from freecost.probes.http import Hider
from freecost.probes.httpbody import excerpt, plain
from freecost.results import Layer, Outcome

if TYPE_CHECKING:
    from freecost.probes.formhttp import Answer
    from freecost.probes.formpage import Scan

CF7_ROUTE = "contact-form-7/v1/contact-forms/{id}/feedback"
CF7_FIELD_PREFIX = "_wpcf7"
CF7_STATUSES = frozenset(
    {"mail_sent", "mail_failed", "validation_failed", "acceptance_missing", "spam", "aborted"}
)
"""The JSON statuses that mark an answer as Contact Form 7's, whatever the check says."""


def cf7_endpoint(scan: Scan, page_url: str, form_id: int) -> str:
    """CF7's feedback route under the REST root the page names (``/wp-json/`` by default)."""
    route = CF7_ROUTE.format(id=form_id)
    root = urljoin(page_url, scan.api_root) if scan.api_root else urljoin(page_url, "/wp-json/")
    parts = urlsplit(root)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key == "rest_route" for key, _ in query):
        # Without pretty permalinks WordPress names its root as ?rest_route=/ on the site.
        query = [
            (key, value.rstrip("/") + "/" + route if key == "rest_route" else value)
            for key, value in query
        ]
        return urlunsplit((*parts[:3], urlencode(query, safe="/"), ""))
    return urljoin(root if root.endswith("/") else root + "/", route)


@dataclass(frozen=True)
class Cf7Reading:
    """Contact Form 7's verdict on a submission."""

    status: str
    message: str
    invalid: list[dict[str, str]]


def read_cf7(answer: Answer, hide: Hider, *, expected: bool) -> Cf7Reading | None:
    """The CF7 verdict in a JSON answer; without ``expected``, only CF7's own statuses count."""
    kind = (answer.content_type or "").split(";")[0].strip().lower()
    if not (kind.endswith("json") or answer.body.data.lstrip()[:1] == b"{"):
        return None
    try:
        document = json.loads(answer.text())
    except (ValueError, RecursionError):
        return None
    status = document.get("status") if isinstance(document, dict) else None
    if not isinstance(status, str) or not (expected or status in CF7_STATUSES):
        return None
    assert isinstance(document, dict)
    invalid: list[dict[str, str]] = []
    raw_fields = document.get("invalid_fields")
    for item in raw_fields if isinstance(raw_fields, list) else []:
        if isinstance(item, dict) and len(invalid) < 20:
            name = item.get("field") or item.get("into") or "?"
            invalid.append(
                {
                    "field": _outside(str(name), hide, 80),
                    "message": _outside(item.get("message"), hide),
                }
            )
    return Cf7Reading(_outside(status, hide, 60), _outside(document.get("message"), hide), invalid)


def _outside(value: Any, hide: Hider, limit: int = 200) -> str:
    """Text the site wrote, as one plain line: markup removed, hidden values blanked out."""
    if not isinstance(value, str):
        return ""
    return plain(excerpt(hide(value), "text/html"), limit)


def judge_cf7(reading: Cf7Reading, details: dict[str, Any]) -> Outcome | None:
    """A failure for every CF7 status but ``mail_sent``."""
    details["cf7_status"] = reading.status
    if reading.message:
        details["cf7_message"] = reading.message
    if reading.invalid:
        details["invalid_fields"] = reading.invalid
    if reading.status == "mail_sent":
        return None
    said = f" ('{reading.message}')" if reading.message else ""
    if reading.status == "mail_failed":
        summary = f"the site could not send the form's e-mail: its mailer failed{said}"
    elif reading.status in ("validation_failed", "acceptance_missing"):
        names = [item["field"] for item in reading.invalid]
        which = f": {listing(names)}" if names else ""
        summary = f"the form refused the test submission as invalid{which}{said}"
    elif reading.status == "spam":
        summary = f"the form filed the test as spam{said}"
    else:
        summary = f"the form did not accept the test submission: {reading.status}{said}"
    return Outcome.fail(summary, Layer.VENDOR, **details)
