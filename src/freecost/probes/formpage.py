"""The ``form`` check's reading of the page: its forms, any CAPTCHA, and what to send.

One pass over the HTML finds what a browser would submit (each form's controls with their
default values, hidden ones included), the markers of a CAPTCHA, ``<base href>`` and
WordPress's API root; then the check's form is picked and its submission built. This is the
HTML side of the check, apart from the network and the judging, so it can be tested on a
string of markup alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from freecost.checktypes.form import MAX_FORMS
from freecost.probes.cf7 import CF7_FIELD_PREFIX, cf7_endpoint
from freecost.probes.formwords import listing
from freecost.probes.httpbody import plain

if TYPE_CHECKING:
    from freecost.checktypes.form import Check

MAX_CONTROLS = 1000
"""Caps on what the page scan keeps (with :data:`MAX_FORMS`), so a hostile page cannot make
the details huge."""
WP_API_REL = "https://api.w.org/"
"""The ``rel`` of the link WordPress puts in every page's head to name its REST API root."""

_CAPTCHA_CLASSES = {
    "g-recaptcha": "reCAPTCHA",
    "h-captcha": "hCaptcha",
    "cf-turnstile": "Turnstile",
}
_CAPTCHA_SCRIPTS = {
    "google.com/recaptcha": "reCAPTCHA",
    "recaptcha.net/recaptcha": "reCAPTCHA",
    "hcaptcha.com": "hCaptcha",
    "challenges.cloudflare.com": "Turnstile",
}
_NOT_SENT = frozenset({"submit", "button", "image", "reset", "file"})
"""Input types whose value a form does not send as a plain field (file uploads are not made)."""


@dataclass
class Control:
    """One named control of a form, with the value a browser would send for it by default."""

    name: str
    kind: str
    value: str
    checked: bool = False

    def sent(self) -> bool:
        """Whether a browser sends it when nobody touches the form."""
        if self.kind in ("checkbox", "radio", "select"):
            return self.checked  # for a select: it has an option to send
        return self.kind not in _NOT_SENT


@dataclass
class Form:
    """A form as the page declares it."""

    index: int
    id: str | None
    action: str | None
    method: str
    enctype: str
    controls: list[Control] = field(default_factory=list)
    submitter: Control | None = None
    """The first named submit button: browsers send the one clicked, and some sites check it."""

    def names(self) -> list[str]:
        """Every control's name, once each, in page order."""
        return list(dict.fromkeys(control.name for control in self.controls))

    def hidden(self, name: str) -> str | None:
        for control in self.controls:
            if control.kind == "hidden" and control.name == name:
                return control.value
        return None

    def describe(self) -> dict[str, Any]:
        """What the details show: names only, never the values (CSRF tokens among them)."""
        return {
            "index": self.index,
            "id": None if self.id is None else plain(self.id, 80),
            "method": self.method,
            "fields": [plain(name, 80) for name in self.names() if not self._is_hidden(name)],
            "hidden": [plain(name, 80) for name in self.names() if self._is_hidden(name)],
        }

    def _is_hidden(self, name: str) -> bool:
        return all(c.kind == "hidden" for c in self.controls if c.name == name)


@dataclass
class Scan:
    """What the page holds that matters to a submission."""

    forms: list[Form]
    captcha: str | None
    base: str | None
    api_root: str | None


class _PageParser(HTMLParser):
    """Collects forms, their controls and CAPTCHA markers in one pass over the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.captcha: str | None = None
        self.base: str | None = None
        self.api_root: str | None = None
        self._form: Form | None = None
        self._owned: list[tuple[str, Control]] = []  # controls outside a form, form="id"
        self._textarea: tuple[Control, list[str]] | None = None
        self._in_select = False
        self._select: Control | None = None  # None also for a select that is not sent
        self._select_first: str | None = None
        self._option: tuple[str | None, bool, list[str]] | None = None
        self._controls = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        self._note_captcha(tag, values)
        if tag == "form":
            self._start_form(values)
        elif tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"]
        elif tag == "link" and values.get("rel") == WP_API_REL and self.api_root is None:
            self.api_root = values.get("href") or None
        elif tag in ("input", "button", "textarea", "select"):
            self._start_control(tag, values)
        elif tag == "option" and self._in_select:
            self._end_option()
            if "disabled" not in values:
                self._option = (values.get("value"), "selected" in values, [])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("textarea", "select", "option", "form"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            control, text = self._textarea
            # A browser drops the newline right after <textarea>, so the default value does too.
            control.value = "".join(text).removeprefix("\n")
            self._textarea = None
        elif tag == "option":
            self._end_option()
        elif tag == "select" and self._in_select:
            self._end_option()
            chosen = self._select
            if chosen is not None and not chosen.checked:
                # Nothing marked selected: a browser sends the first option.
                chosen.value = self._select_first or ""
                chosen.checked = self._select_first is not None
            self._in_select, self._select = False, None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)
        elif self._option is not None:
            self._option[2].append(data)

    def close(self) -> None:
        super().close()
        by_id = {form.id: form for form in self.forms if form.id}
        for owner, control in self._owned:
            form = by_id.get(owner)
            if form is not None and len(form.controls) < MAX_CONTROLS:
                form.controls.append(control)

    def _note_captcha(self, tag: str, values: dict[str, str]) -> None:
        if self.captcha is not None:
            return
        for name in values.get("class", "").split():
            if name in _CAPTCHA_CLASSES:
                self.captcha = _CAPTCHA_CLASSES[name]
                return
        if tag in ("script", "iframe"):
            source = values.get("src", "").lower()
            for marker, vendor in _CAPTCHA_SCRIPTS.items():
                if marker in source:
                    self.captcha = vendor
                    return

    def _start_form(self, values: dict[str, str]) -> None:
        # A form inside a form is ignored by browsers, and so here.
        if self._form is not None or len(self.forms) >= MAX_FORMS:
            return
        method = values.get("method", "get").strip().upper()
        self._form = Form(
            index=len(self.forms),
            id=values.get("id") or None,
            action=values.get("action") or None,
            method="GET" if method == "GET" else "POST",
            enctype=values.get("enctype", "").strip().lower(),
        )
        self.forms.append(self._form)

    def _start_control(self, tag: str, values: dict[str, str]) -> None:
        name = values.get("name", "")
        kind = values.get("type", "").strip().lower() if tag in ("input", "button") else tag
        if tag == "input" and not kind:
            kind = "text"
        if tag == "button" and kind not in ("button", "reset"):
            kind = "submit"
        control = Control(name, kind, values.get("value", ""), "checked" in values)
        if tag == "textarea":
            self._textarea = (control, [])
        if tag == "select":
            self._in_select, self._select_first = True, None
            self._select = control if name and "disabled" not in values else None
        if not name or "disabled" in values or self._controls >= MAX_CONTROLS * 10:
            return
        self._controls += 1
        owner = values.get("form")
        if owner:
            self._owned.append((owner, control))
            return
        form = self._form
        if form is None or len(form.controls) >= MAX_CONTROLS:
            return
        if kind in ("submit", "image"):
            if form.submitter is None and kind == "submit":
                form.submitter = control
            return
        form.controls.append(control)

    def _end_option(self) -> None:
        if self._option is None or not self._in_select:
            return
        value, selected, text = self._option
        self._option = None
        chosen = value if value is not None else " ".join("".join(text).split())
        if self._select_first is None:
            self._select_first = chosen
        control = self._select
        if selected and control is not None and not control.checked:
            control.value, control.checked = chosen, True


def scan_page(text: str) -> Scan:
    """Find the forms, the CAPTCHA (if any), ``<base href>`` and WordPress's API root."""
    parser = _PageParser()
    parser.feed(text)
    parser.close()
    return Scan(parser.forms, parser.captcha, parser.base, parser.api_root)


@dataclass(frozen=True)
class Submission:
    """What is sent, where and how."""

    url: str
    method: str
    encoding: str
    pairs: list[tuple[str, str]]

    def request(self, page_url: str) -> dict[str, Any]:
        """The arguments for ``client.stream`` (besides method and URL)."""
        parts = urlsplit(page_url)
        headers = {"Referer": page_url, "Origin": f"{parts.scheme}://{parts.netloc}"}
        if self.method == "GET":
            return {"headers": headers}
        if self.encoding == "multipart":
            return {"headers": headers, "files": [(k, (None, v)) for k, v in self.pairs]}
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return {"headers": headers, "content": urlencode(self.pairs).encode()}

    def target(self) -> str:
        if self.method != "GET":
            return self.url
        parts = urlsplit(self.url)
        return urlunsplit((*parts[:3], urlencode(self.pairs), ""))


def choose_form(check: Check, scan: Scan) -> Form | str:
    """The form to submit, or why none fits."""
    wanted = list(check.fields)
    if check.form_id is not None:
        found = [form for form in scan.forms if form.id == check.form_id]
        if not found:
            return f"the page has no form with id '{plain(check.form_id, 80)}'"
        form = found[0]
    elif check.form_index is not None:
        if check.form_index >= len(scan.forms):
            return f"the page has {_forms(len(scan.forms))}, so none at index {check.form_index}"
        form = scan.forms[check.form_index]
    else:
        candidates = scan.forms
        if check.cf7 is not None:
            own = [f for f in scan.forms if f.hidden(CF7_FIELD_PREFIX) == str(check.cf7.id)]
            candidates = own or candidates
        fitting = [form for form in candidates if set(wanted) <= set(form.names())]
        if not fitting:
            if not scan.forms:
                return "the page has no form"
            return f"no form on the page has the fields {listing(wanted)}"
        form = fitting[0]
    missing = [name for name in wanted if name not in form.names()]
    if missing:
        return f"the form has no field {listing(missing)}"
    return form


def build_submission(check: Check, form: Form, scan: Scan, page_url: str, token: str) -> Submission:
    """The form's own values (hidden ones included) with the check's fields filled in."""
    values = check.filled(token)
    pairs: list[tuple[str, str]] = []
    done: set[str] = set()
    for control in form.controls:
        if control.name in values:
            if control.name not in done:
                pairs.append((control.name, values[control.name]))
                done.add(control.name)
        elif control.sent():
            pairs.append((control.name, control.value))
    if form.submitter is not None and form.submitter.name not in values:
        pairs.append((form.submitter.name, form.submitter.value))
    base = urljoin(page_url, scan.base) if scan.base else page_url
    if check.action is not None:
        url = check.action
    elif check.cf7 is not None:
        url = cf7_endpoint(scan, page_url, check.cf7.id)
    else:
        url = urljoin(base, form.action or "")
    url = urlunsplit((*urlsplit(url)[:4], ""))  # a fragment is never sent
    method = "POST" if check.cf7 is not None else form.method
    if check.encoding is not None:
        encoding = check.encoding
    elif check.cf7 is not None or form.enctype == "multipart/form-data":
        encoding = "multipart"
    else:
        encoding = "urlencoded"
    return Submission(url, method, encoding, pairs)


def _forms(count: int) -> str:
    return "no form" if count == 0 else "1 form" if count == 1 else f"{count} forms"
