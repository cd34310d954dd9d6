"""A real HTTP server on 127.0.0.1 that replays recorded API responses, and can script failures.

Responses live in `tests/fixtures/replay/<platform>/`: a `routes.json` maps `path?query` (the
query in any order) to `{"file", "status", "headers"}`. A test can queue one-off responses for a
route (`script`: a 429 with Retry-After, a 500, a malformed body, a delay), replace a route for
good (`set`, e.g. an account that vanished), and read the request log.

Run it by hand: `python tests/replay_server.py --port 8787`, then
`envoywatch collect --base-url http://127.0.0.1:8787`.
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

FIXTURES = Path(__file__).parent / "fixtures" / "replay"
TYPES = {".json": "application/json; charset=utf-8", ".html": "text/html; charset=utf-8",
         ".rss": "application/rss+xml; charset=utf-8", ".atom": "application/atom+xml; charset=utf-8",
         ".xml": "application/xml; charset=utf-8"}


def route_key(target: str) -> str:
    """`/path?b=2&a=1` → `/path?a=1&b=2`: the same request whatever the parameter order."""
    parts = urlsplit(target)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return parts.path + (f"?{query}" if query else "")


class ReplayServer:
    """Serves the fixtures; `with ReplayServer() as server:` gives `server.url`."""

    def __init__(self, root: Path = FIXTURES, port: int = 0) -> None:
        self.root = root
        self.routes: dict[str, dict] = {}
        for manifest in sorted(root.glob("*/routes.json")):
            for target, spec in json.loads(manifest.read_text()).items():
                self.routes[route_key(target)] = {**spec, "dir": manifest.parent}
        self.scripts: dict[str, list[dict]] = {}
        self.log: list[str] = []
        self.seen: dict[str, threading.Event] = {}
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> ReplayServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- scripting ------------------------------------------------------------------------

    def script(self, target: str, *responses: dict) -> None:
        """Serve these responses, in order, the next times `target` is asked for."""
        with self.lock:
            self.scripts.setdefault(route_key(target), []).extend(responses)

    def set(self, target: str, response: dict) -> None:
        """Replace a route for good: `{"status": 404, "body": ...}` or `{"file": ...}`."""
        self.routes[route_key(target)] = {"dir": self.root, **response}

    def requested(self, target: str) -> threading.Event:
        """An event set when `target` is first asked for."""
        return self.seen.setdefault(route_key(target), threading.Event())

    def count(self, target: str) -> int:
        key = route_key(target)
        return sum(1 for k in self.log if k == key)

    def clear_log(self) -> None:
        """Forget the requests so far (the log and the `requested` events)."""
        self.log.clear()
        self.seen.clear()

    # --- serving --------------------------------------------------------------------------

    def respond(self, target: str, headers) -> tuple[int, dict[str, str], bytes]:
        key = route_key(target)
        with self.lock:
            self.log.append(key)
            queued = self.scripts.get(key)
            spec = queued.pop(0) if queued else self.routes.get(key)
        self.seen.setdefault(key, threading.Event()).set()
        if spec is None:
            body = json.dumps({"error": "NotFound", "message": f"no fixture for {key}"}).encode()
            return 404, {"Content-Type": "application/json"}, body
        if spec.get("delay"):
            time.sleep(spec["delay"])
        if spec.get("fallthrough"):  # a delay or a hook, then the recorded response
            return self.respond_recorded(key, headers)
        return self.render(spec, headers)

    def respond_recorded(self, key: str, headers) -> tuple[int, dict[str, str], bytes]:
        spec = self.routes.get(key)
        if spec is None:
            return 404, {"Content-Type": "application/json"}, b'{"error":"NotFound"}'
        return self.render(spec, headers)

    def render(self, spec: dict, headers) -> tuple[int, dict[str, str], bytes]:
        out = dict(spec.get("headers") or {})
        if "file" in spec:
            path = Path(spec.get("dir", self.root)) / spec["file"]
            body = path.read_bytes()
            out.setdefault("Content-Type", TYPES.get(path.suffix, "application/octet-stream"))
        else:
            body = spec.get("body", "")
            body = body.encode() if isinstance(body, str) else body
            out.setdefault("Content-Type", "application/json")
        etag = out.get("ETag")
        if etag and headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        return int(spec.get("status", 200)), out, body

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real APIs

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                status, headers, body = server.respond(self.path, self.headers)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8787)
    args = parser.parse_args()
    with ReplayServer(port=args.port) as server:
        print(f"replaying {len(server.routes)} routes on {server.url}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
