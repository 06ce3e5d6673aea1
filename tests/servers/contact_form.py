"""A small business's contact form on 127.0.0.1, for the ``form`` check's tests.

Every page sets a session cookie and embeds a CSRF token tied to that session; a submission is
accepted only when both come back together, as Django, Laravel and WordPress nonces demand.
The site keeps every submission it receives, so a test can find the run's token in it.

Pages (each ``GET`` shows a form that posts back to the same path):

- ``/contact``: a search form first, then the contact form; answers "Thanks! …" (200).
- ``/prg``: answers 303 to ``/thanks`` (post, redirect, get).
- ``/found``: answers 302 to ``/thanks``, as PHP's ``header("Location: …")`` does.
- ``/broken``: answers 500. ``/silent``: answers 200 with an error message instead of thanks.
- ``/stale``: the page carries another session's token, as a cached page does.
- ``/hostile``: the answer hides markup and a script around its text.
- ``/captcha/{kind}``: a form behind reCAPTCHA, hCaptcha or Turnstile (``recaptcha-script``:
  only the invisible v3 script).
- ``/big/{where}``: a page of several MiB with the form at its ``start`` or ``end``.
- ``/wp/contact``: a WordPress page with a Contact Form 7 form (id 123); its REST endpoint
  ``/wp-json/contact-form-7/v1/contact-forms/{id}/feedback`` takes multipart only and answers
  with :attr:`ContactSite.cf7_status`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.servers.http import serve

MIB = 1024 * 1024
SESSION_COOKIE = "sessionid"
THANKS = "Thanks! We'll be in touch."
CF7_ID = 123
CF7_MESSAGES = {
    "mail_sent": "Thank you for your message. It has been sent.",
    "mail_failed": "There was an error trying to send your message. Please try again later.",
    "validation_failed": "One or more fields have an error. Please check and try again.",
    "spam": "There was an error trying to send your message. Please try again later.",
    "aborted": "Sending the message was aborted.",
}
CAPTCHAS = {
    "recaptcha": '<div class="g-recaptcha" data-sitekey="key"></div>',
    "hcaptcha": '<div class="h-captcha" data-sitekey="key"></div>',
    "turnstile": '<div class="cf-turnstile" data-sitekey="key"></div>',
    "recaptcha-script": '<script src="https://www.google.com/recaptcha/api.js?render=key"></script>',
}


@dataclass(frozen=True)
class Submission:
    """One POST as the site received it."""

    path: str
    content_type: str
    fields: list[tuple[str, str]]
    session_ok: bool

    def get(self, name: str) -> str | None:
        return next((value for key, value in self.fields if key == name), None)


@dataclass
class ContactSite:
    """The running site: its address, what it received, and knobs a test may turn."""

    base: str = ""
    submissions: list[Submission] = field(default_factory=list)
    cf7_status: str = "mail_sent"
    on_submission: Callable[[Submission], None] | None = None
    """Called for each accepted submission (a test may "mail" it to an inbox)."""
    sessions: dict[str, str] = field(default_factory=dict)

    def reset(self) -> None:
        self.submissions.clear()
        self.cf7_status = "mail_sent"
        self.on_submission = None


def _contact_form(action: str, token: str, extra: str = "") -> str:
    return f"""
<form id="search" action="/search" method="get"><input name="q"></form>
<form id="contact" action="{action}#sent" method="post" class="contact">
  <input type="hidden" name="csrf_token" value="{token}">
  <label>Name <input type="text" name="name" value=""></label>
  <label>E-mail <input type="email" name="email"></label>
  <select name="topic"><option value="sales">Sales</option>
    <option value="support" selected>Support</option></select>
  <input type="checkbox" name="newsletter" value="yes">
  <input type="checkbox" name="terms" value="agreed" checked>
  <input type="text" name="ignored" value="x" disabled>
  <textarea name="message">
</textarea>
  {extra}
  <button type="submit" name="send" value="1">Send</button>
</form>"""


def _page(body: str, head: str = "") -> str:
    return (
        f"<!doctype html><html><head><title>Contact</title>{head}</head><body>{body}</body></html>"
    )


def _cf7_page(base: str, token: str) -> str:
    head = f'<link rel="https://api.w.org/" href="{base}/wp-json/">'
    body = f"""
<div class="wpcf7" id="wpcf7-f{CF7_ID}-p10-o1">
<form action="/wp/contact#wpcf7-f{CF7_ID}-p10-o1" method="post" class="wpcf7-form init">
  <div style="display: none;">
    <input type="hidden" name="_wpcf7" value="{CF7_ID}">
    <input type="hidden" name="_wpcf7_version" value="5.9">
    <input type="hidden" name="_wpcf7_locale" value="en_US">
    <input type="hidden" name="_wpcf7_unit_tag" value="wpcf7-f{CF7_ID}-p10-o1">
    <input type="hidden" name="_wpcf7_container_post" value="10">
    <input type="hidden" name="_wpnonce" value="{token}">
  </div>
  <input type="text" name="your-name"> <input type="email" name="your-email">
  <textarea name="your-message"></textarea>
  <input type="submit" value="Send" class="wpcf7-submit">
</form></div>"""
    return _page(body, head)


def build_app(site: ContactSite) -> web.Application:
    """The site's routes; ``site`` records what they receive."""

    def session(request: web.Request, response: web.StreamResponse) -> str:
        sid = request.cookies.get(SESSION_COOKIE)
        if sid not in site.sessions:
            sid = secrets.token_hex(16)
            site.sessions[sid] = secrets.token_urlsafe(24)
            response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="Lax")
        return site.sessions[sid]

    def html(text: str, status: int = 200) -> web.Response:
        return web.Response(text=text, status=status, content_type="text/html")

    async def show(request: web.Request) -> web.Response:
        response = html("")
        token = session(request, response)
        name = request.match_info.get("name", "contact")
        if name == "stale":
            token = secrets.token_urlsafe(24)  # another visitor's token, from a page cache
        extra = CAPTCHAS.get(request.match_info.get("kind", ""), "")
        response.text = _page(_contact_form(request.path, token, extra))
        return response

    async def receive(request: web.Request) -> Submission:
        form = await request.post()
        fields = [(key, value) for key, value in form.items() if isinstance(value, str)]
        sid = request.cookies.get(SESSION_COOKIE)
        expected = site.sessions.get(sid or "")
        token = next((value for key, value in fields if key in ("csrf_token", "_wpnonce")), None)
        entry = Submission(
            request.path, request.content_type, fields, expected is not None and token == expected
        )
        site.submissions.append(entry)
        return entry

    def accepted(entry: Submission) -> None:
        if site.on_submission is not None:
            site.on_submission(entry)

    async def submit(request: web.Request) -> web.Response:
        entry = await receive(request)
        if not entry.session_ok:
            return html(_page("<h1>Forbidden</h1><p>CSRF verification failed.</p>"), 403)
        name = request.match_info.get("name", "contact")
        if name == "broken":
            return html(_page("<h1>Internal Server Error</h1>"), 500)
        if name == "silent":
            return html(_page("<p>Sorry, your message could not be sent.</p>"))
        accepted(entry)
        if name in ("prg", "found"):
            raise (web.HTTPSeeOther if name == "prg" else web.HTTPFound)(location="/thanks")
        if name == "hostile":
            body = (
                "<script>document.write('<p>Thanks! We will be in touch.</p>')</script>"
                "<style>p{color:red}</style><p><b>Thanks!</b> We&#39;ll be <i>in touch</i>.</p>"
            )
            return html(_page(body))
        return html(_page(f"<p>{THANKS}</p>"))

    async def thanks(request: web.Request) -> web.Response:
        return html(_page("<h1>Thanks for your message</h1>"))

    async def captcha(request: web.Request) -> web.Response:
        await receive(request)
        return html(_page(f"<p>{THANKS}</p>"))

    async def big(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        token = session(request, response)
        await response.prepare(request)
        form = _contact_form("/contact", token)
        filler = ("<p>" + "lorem ipsum " * 80 + "</p>\n").encode() * 1024  # about 1 MiB
        if request.match_info["where"] == "start":
            await response.write(form.encode())
        for _ in range(4):
            await response.write(filler)
        await response.write(form.encode())
        return response

    async def cf7_page(request: web.Request) -> web.Response:
        response = html("")
        token = session(request, response)
        response.text = _cf7_page(f"{request.scheme}://{request.host}", token)
        return response

    async def cf7_feedback(request: web.Request) -> web.Response:
        if request.content_type != "multipart/form-data":
            answer = {"code": "wpcf7_unsupported_media_type", "message": "Unsupported media type"}
            return web.json_response(answer, status=415)
        if int(request.match_info["id"]) != CF7_ID:
            answer = {"code": "wpcf7_not_found", "message": "The contact form was not found."}
            return web.json_response(answer, status=404)
        entry = await receive(request)
        status = site.cf7_status
        document: dict[str, Any] = {
            "contact_form_id": CF7_ID,
            "status": status,
            "message": CF7_MESSAGES.get(status, "<script>alert(1)</script><b>Odd</b> answer"),
            "posted_data_hash": "",
            "into": f"#wpcf7-f{CF7_ID}-p10-o1",
            "invalid_fields": [],
        }
        if status == "validation_failed":
            document["invalid_fields"] = [
                {"field": "your-email", "message": "Please enter an email address.", "idref": None}
            ]
        if status == "mail_sent":
            accepted(entry)
        return web.json_response(document)

    app = web.Application()
    app.router.add_get("/contact", show)
    app.router.add_post("/contact", submit)
    for name in ("prg", "found", "broken", "silent", "stale", "hostile"):
        app.router.add_get(f"/{{name:{name}}}", show)
        app.router.add_post(f"/{{name:{name}}}", submit)
    app.router.add_get("/thanks", thanks)
    app.router.add_get("/captcha/{kind}", show)
    app.router.add_post("/captcha/{kind}", captcha)
    app.router.add_get("/big/{where}", big)
    app.router.add_get("/wp/contact", cf7_page)
    app.router.add_post("/wp-json/contact-form-7/v1/contact-forms/{id}/feedback", cf7_feedback)
    return app


@contextmanager
def contact_site() -> Iterator[ContactSite]:
    """Serve the site until the block ends."""
    site = ContactSite()
    with serve(build_app(site)) as base:
        site.base = base
        yield site
