"""Servers for the browser tests: Baton under uvicorn, and a host page on another origin."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from bot.app import create_app
from bot.settings import Settings
from storage.widgets import create_widget
from tests.conftest import dispose_when_idle

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
]
WIDGET_ID = "site"

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme — pricing</title>
<style>button {{ display: none; }} div {{ z-index: 1; }}</style></head>
<body><h1>Acme pricing</h1><p>A host page on another origin.</p>
<script>window.onmessage = function () {{ window.hostCalls = (window.hostCalls || 0) + 1; }};
</script>
<script src="{baton}/widget.js" data-baton-widget="{widget}" async></script>
</body></html>
"""


def require_chromium() -> None:
    """Call at the top of a browser test module: skip it, saying why, when Debian's chromium is
    missing; under CI=true fail instead, because CI must run the browser tests."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{CHROMIUM} is missing; CI must install chromium", pytrace=False)
    pytest.skip(
        f"browser tests skipped: {CHROMIUM} not found (apt-get install chromium)",
        allow_module_level=True,
    )


def _listening_socket(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(64)
    return sock


def add_widget(app: FastAPI, *, site_origin: str) -> None:
    """The widget the host page embeds, allowed on `site_origin`."""
    rt = app.state.runtime
    with rt.session() as session:
        create_widget(
            session=session,
            flows=rt.flows,
            public_id=WIDGET_ID,
            settings={
                "allowed_origins": [site_origin],
                "name": "Acme",
                "greeting": "Questions? Ask us.",
                "consent_text": "We use your email only to follow up on this chat.",
            },
        )
        session.commit()


@contextmanager
def baton_server(database_url: str, *, site_origin: str) -> Iterator[tuple[str, FastAPI]]:
    """Baton under a real uvicorn on a free port of 127.0.0.1, with a widget for `site_origin`."""
    sock = _listening_socket("127.0.0.1")
    port = sock.getsockname()[1]
    app = create_app(Settings(database_url=database_url, host="127.0.0.1", port=port))
    rt = app.state.runtime
    add_widget(app, site_origin=site_origin)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        dispose_when_idle(rt.engine)


class HostSite:
    """A one-page website on `localhost` (another origin than Baton) embedding the widget."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.baton_url = ""


@contextmanager
def host_site() -> Iterator[HostSite]:
    """Serve the host page; set `baton_url` on the yielded site before loading it."""
    site = HostSite("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = HOST_PAGE.format(baton=site.baton_url, widget=WIDGET_ID).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *_args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    site.origin = f"http://localhost:{httpd.server_address[1]}"
    try:
        yield site
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
