"""Local stand-ins for the sample application's third parties, on 127.0.0.1
only, each on a free port: an HTTP server that answers like the OpenAI
Responses API (POST /v1/responses) and Segment's tracking API (POST
/v1/batch), and an SMTP receiver. Each keeps what it received, so the demo
and the end-to-end test can show that real traffic happened."""
from __future__ import annotations

import base64
import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple

ADVICE = "Your housing costs are a third of your income: keep groceries where they are."


class Received:
    """What the stand-ins were sent, thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.http: List[Tuple[str, Dict[str, Any]]] = []          # (path, JSON body)
        self.mail: List[Tuple[str, List[str], bytes]] = []        # (from, recipients, data)

    def add_http(self, path: str, body: Dict[str, Any]) -> None:
        with self.lock:
            self.http.append((path, body))

    def add_mail(self, sender: str, recipients: List[str], data: bytes) -> None:
        with self.lock:
            self.mail.append((sender, list(recipients), data))


class _ApiHandler(BaseHTTPRequestHandler):
    server_version = "standin-api/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:   # quiet: the demo prints its own
        pass

    def _answer(self, status: int, body: Dict[str, Any]) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._answer(400, {"error": {"message": "body is not JSON"}})
            return
        received: Received = self.server.received  # type: ignore[attr-defined]
        if self.path == "/v1/responses":
            if not (self.headers.get("Authorization") or "").startswith("Bearer "):
                self._answer(401, {"error": {"message": "missing API key"}})
                return
            received.add_http(self.path, body)
            n = len(received.http)
            self._answer(200, {
                "id": f"resp_standin_{n}", "object": "response", "model": body.get("model", ""),
                "status": "completed",
                "output": [{"type": "message", "role": "assistant",
                            "content": [{"type": "output_text", "text": ADVICE}]}],
            })
        elif self.path == "/v1/batch":
            auth = self.headers.get("Authorization") or ""
            if not auth.startswith("Basic ") or not base64.b64decode(auth[6:]).endswith(b":"):
                self._answer(401, {"success": False})
                return
            received.add_http(self.path, body)
            self._answer(200, {"success": True})
        else:
            self._answer(404, {"error": {"message": f"no route {self.path}"}})


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: EHLO/HELO, MAIL, RCPT, DATA,
    RSET, NOOP, QUIT; messages are kept, never relayed."""

    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        received: Received = self.server.received  # type: ignore[attr-defined]
        sender: Optional[str] = None
        recipients: List[str] = []
        self._reply("220 standin-smtp ESMTP ready")
        while True:
            raw = self.rfile.readline(4096)
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line[:4].upper()
            arg = line[5:] if len(line) > 4 else ""
            if verb == "EHLO":
                self._reply("250-standin-smtp")
                self._reply("250-8BITMIME")
                self._reply("250 SMTPUTF8")
            elif verb == "HELO":
                self._reply("250 standin-smtp")
            elif verb == "MAIL" and arg.upper().startswith("FROM:"):
                sender = arg[5:].split()[0].strip("<>") if arg[5:].strip() else ""
                recipients = []
                self._reply("250 OK")
            elif verb == "RCPT" and arg.upper().startswith("TO:"):
                if sender is None:
                    self._reply("503 MAIL first")
                    continue
                recipients.append(arg[3:].split()[0].strip("<>"))
                self._reply("250 OK")
            elif verb == "DATA":
                if sender is None or not recipients:
                    self._reply("503 MAIL and RCPT first")
                    continue
                self._reply("354 End data with <CR><LF>.<CR><LF>")
                lines: List[bytes] = []
                while True:
                    data_line = self.rfile.readline(1 << 20)
                    if not data_line:
                        return
                    if data_line in (b".\r\n", b".\n"):
                        break
                    lines.append(data_line[1:] if data_line.startswith(b"..") else data_line)
                received.add_mail(sender, recipients, b"".join(lines))
                sender, recipients = None, []
                self._reply("250 OK: queued")
            elif verb == "RSET":
                sender, recipients = None, []
                self._reply("250 OK")
            elif verb == "NOOP":
                self._reply("250 OK")
            elif verb == "QUIT":
                self._reply("221 Bye")
                return
            else:
                self._reply("502 Command not implemented")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class StandIns:
    """Starts both servers on 127.0.0.1 (free ports); stop() or the end of a
    with block stops them."""

    def __init__(self) -> None:
        self.received = Received()
        self._api: Optional[ThreadingHTTPServer] = None
        self._smtp: Optional[_SmtpServer] = None
        self._threads: List[threading.Thread] = []

    def start(self) -> "StandIns":
        try:
            self._api = ThreadingHTTPServer(("127.0.0.1", 0), _ApiHandler)
            self._api.daemon_threads = True
            self._api.received = self.received  # type: ignore[attr-defined]
            self._smtp = _SmtpServer(("127.0.0.1", 0), _SmtpHandler)
            self._smtp.received = self.received  # type: ignore[attr-defined]
            for server in (self._api, self._smtp):
                t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                     daemon=True)
                t._target_server = server  # type: ignore[attr-defined]
                t.start()
                self._threads.append(t)
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def api_port(self) -> int:
        assert self._api is not None
        return self._api.server_address[1]

    @property
    def smtp_port(self) -> int:
        assert self._smtp is not None
        return self._smtp.server_address[1]

    def app_environment(self) -> Dict[str, str]:
        """The variables that point the application (and its clients) here."""
        return {
            "OPENAI_API_KEY": "sk-standin-not-a-real-key",
            "OPENAI_BASE_URL": f"http://127.0.0.1:{self.api_port}/v1",
            "BUDGET_SEGMENT_WRITE_KEY": "standin-write-key",
            "BUDGET_SEGMENT_HOST": f"http://127.0.0.1:{self.api_port}",
            "BUDGET_SMTP_HOST": "127.0.0.1",
            "BUDGET_SMTP_PORT": str(self.smtp_port),
        }

    def stop(self) -> None:
        serving = {id(t._target_server) for t in self._threads}  # type: ignore[attr-defined]
        for server in (self._api, self._smtp):
            if server is not None:
                if id(server) in serving:
                    server.shutdown()
                server.server_close()
        for t in self._threads:
            t.join(timeout=5)
        self._api = self._smtp = None
        self._threads = []

    def __enter__(self) -> "StandIns":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
