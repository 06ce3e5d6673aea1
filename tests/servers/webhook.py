"""A webhook receiver on 127.0.0.1 that keeps what it was sent, for the alert tests.

``POST /hook/...`` answers 200 and records the request; ``POST /broken/...`` records it and
answers 500, like a chat service having a bad day.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from aiohttp import web

from tests.servers.http import serve


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it."""

    method: str
    path: str
    query: dict[str, str]
    content_type: str
    body: bytes
    authorization: str | None


@contextmanager
def webhook_receiver() -> Iterator[tuple[str, list[Received]]]:
    """Serve the receiver until the block ends; yields its base URL and what it received."""
    received: list[Received] = []

    async def record(request: web.Request) -> Received:
        entry = Received(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            content_type=request.content_type,
            body=await request.read(),
            authorization=request.headers.get("Authorization"),
        )
        received.append(entry)
        return entry

    async def hook(request: web.Request) -> web.Response:
        await record(request)
        return web.json_response({"ok": True})

    async def broken(request: web.Request) -> web.Response:
        await record(request)
        return web.Response(status=500, text="internal error")

    app = web.Application()
    app.router.add_route("*", "/hook/{rest:.*}", hook)
    app.router.add_route("*", "/broken/{rest:.*}", broken)
    with serve(app) as base:
        yield base, received
