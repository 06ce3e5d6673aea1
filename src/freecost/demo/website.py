"""The bakery's website: a home page and a contact form protected by a CSRF token.

The form works as most site builders' forms do: the contact page sets a session cookie and
puts a token tied to that session in a hidden field; a submission without the cookie, or
with another session's token, is refused. So the ``form`` check passes only if it keeps
cookies and hidden fields like a browser.
"""

from __future__ import annotations

import secrets
from html import escape

from aiohttp import web

from freecost.demo.scenario import BUSINESS, PHONE

SESSION_COOKIE = "hsb_session"
TOKEN_FIELD = "csrf_token"
REQUIRED = ("name", "email", "message")

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><header><h1>{business}</h1></header><main>{main}</main>
<footer>Call us: {phone}</footer></body></html>
"""


def _page(title: str, main: str) -> web.Response:
    html = _PAGE.format(
        title=escape(title), business=escape(BUSINESS), main=main, phone=escape(PHONE)
    )
    return web.Response(text=html, content_type="text/html")


def website_app() -> web.Application:
    """The site; each contact page view starts a session with its own token."""
    sessions: dict[str, str] = {}

    async def home(request: web.Request) -> web.Response:
        return _page(
            BUSINESS,
            "<p>Sourdough, croissants and celebration cakes, baked every morning.</p>"
            '<p><a href="/contact">Order a cake or ask us anything</a></p>',
        )

    async def contact(request: web.Request) -> web.Response:
        session, token = secrets.token_urlsafe(16), secrets.token_urlsafe(24)
        sessions[session] = token
        response = _page(
            "Contact",
            '<form id="contact" method="post" action="/contact">'
            f'<input type="hidden" name="{TOKEN_FIELD}" value="{token}">'
            '<label>Name <input name="name" required></label>'
            '<label>E-mail <input type="email" name="email" required></label>'
            '<label>Message <textarea name="message" required></textarea></label>'
            '<button type="submit">Send</button></form>',
        )
        response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="Lax")
        return response

    async def submit(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        expected = sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
        given = form.get(TOKEN_FIELD)
        if expected is None or not isinstance(given, str) or given != expected:
            page = _page("Contact", "<p>Your session expired; please try again.</p>")
            page.set_status(403)
            return page
        if not all(isinstance(form.get(name), str) and form.get(name) for name in REQUIRED):
            page = _page("Contact", "<p>Please fill in every field.</p>")
            page.set_status(422)
            return page
        raise web.HTTPSeeOther("/contact/thanks")

    async def thanks(request: web.Request) -> web.Response:
        return _page("Thank you", "<p>Thanks! We reply to every message within a day.</p>")

    app = web.Application()
    app.router.add_get("/", home)
    app.router.add_get("/contact", contact)
    app.router.add_post("/contact", submit)
    app.router.add_get("/contact/thanks", thanks)
    return app
