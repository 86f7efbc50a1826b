"""The playground's HTTP clients talk to 127.0.0.1 directly, whatever proxy the user configured."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from restate_play.loopback_http import loopback_client


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the stdlib's name
        self.send_response(200)
        self.send_header("content-length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, *args):
        pass


def test_proxy_variables_do_not_reroute_loopback_requests(monkeypatch):
    # A proxy nobody listens on: a client that honoured it would fail to connect.
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with loopback_client(timeout=5.0) as http:
            resp = http.get(f"http://127.0.0.1:{server.server_port}/")
        assert resp.status_code == 200 and resp.text == "hello"
    finally:
        server.shutdown()
        server.server_close()
