"""A stand-in for the command-coordination platform's departments, for the demo and the tests
(`python -m backend coordination-sim`). It checks our signatures, records what it received
(`GET /received`), and answers each dispatched case after a delay with `started`, then `handled`
with an after-photo it draws and serves itself (`GET /photos/<name>.jpg`). Failure injection makes
it a bad platform on purpose: a share of connections dropped unanswered, of 500s, of slow answers,
and of callbacks sent twice or in the wrong order.

Threads and the standard library's HTTP server: it must run beside the API in `make run` without an
event loop of its own, and it never has to be fast, only faithful.
"""

from __future__ import annotations

import heapq
import io
import json
import random
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import structlog
from PIL import Image, ImageDraw

from backend.coordination.signing import BadSignature, signature, verify

log = structlog.get_logger(__name__)
# How often a callback our API did not take (5xx, 429, no answer) is tried before it is given up.
CALLBACK_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class Faults:
    """Shares (0..1) of requests or cases that go wrong on purpose."""

    refuse: float = 0.0  # our POST's connection is closed without an answer
    fail: float = 0.0  # answered 500, not recorded
    slow: float = 0.0  # recorded, answered only after slow_seconds (our side may give up first)
    slow_seconds: float = 15.0
    duplicate: float = 0.0  # a callback is sent twice
    out_of_order: float = 0.0  # a case's `handled` is sent before its `started`


@dataclass(frozen=True, slots=True)
class Received:
    event_id: str
    event_type: str
    case_id: str
    tracking_no: str
    occurred_at: str
    first_received_at: str


@dataclass(slots=True)
class Platform:
    """What the platform has received and what it will send back, shared by the server's threads."""

    secret: str
    callback_url: str
    public_url: str
    delay: float
    faults: Faults
    rng: random.Random
    lock: threading.Lock = field(default_factory=threading.Lock)
    events: dict[str, Received] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=dict)
    refused_signatures: int = 0
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    _due: list[tuple[float, int, dict[str, Any], int]] = field(default_factory=list)
    _wake: threading.Condition = field(default_factory=threading.Condition)
    _seq: int = 0

    def chance(self, share: float) -> bool:
        with self.lock:
            return self.rng.random() < share

    def record(self, envelope: dict[str, Any]) -> bool:
        """True the first time this event id arrives."""
        event_id = envelope["event_id"]
        with self.lock:
            self.deliveries[event_id] = self.deliveries.get(event_id, 0) + 1
            if event_id in self.events:
                return False
            case = envelope["case"]
            self.events[event_id] = Received(
                event_id=event_id,
                event_type=envelope["event_type"],
                case_id=case["id"],
                tracking_no=case["tracking_no"],
                occurred_at=envelope["occurred_at"],
                first_received_at=datetime.now(UTC).isoformat(),
            )
            return True

    def answer(self, envelope: dict[str, Any]) -> None:
        """A dispatched case: the department starts after a delay and reports it handled after another."""
        if envelope["event_type"] != "case.dispatched":
            return
        case = envelope["case"]
        now = time.time()
        started = self._callback("started", case["id"], now + self.delay)
        handled = self._callback(
            "handled",
            case["id"],
            now + 2 * self.delay,
            feedback=f"{case.get('department_code') or '处置部门'}已到现场处置完毕（模拟平台）。",
            photo_urls=[f"{self.public_url}/photos/{case['tracking_no']}.jpg"],
        )
        steps = [started, handled]
        if self.chance(self.faults.out_of_order):
            steps.reverse()
        for order, body in enumerate(steps, start=1):
            self.send_later(body, now + order * self.delay)
            if self.chance(self.faults.duplicate):
                self.send_later(body, now + (order + 0.25) * self.delay)

    @staticmethod
    def _callback(kind: str, case_id: str, at: float, **fields: Any) -> dict[str, Any]:
        return {
            "type": kind,
            "event_id": str(uuid.uuid4()),
            "case_id": case_id,
            "occurred_at": datetime.fromtimestamp(at, UTC).isoformat(),
            **fields,
        }

    def send_later(self, body: dict[str, Any], at: float, attempt: int = 1) -> None:
        with self._wake:
            self._seq += 1
            heapq.heappush(self._due, (at, self._seq, body, attempt))
            self._wake.notify()

    def run_callbacks(self, stop: threading.Event) -> None:
        """The platform's sending side: one callback at a time, each when it is due."""
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                with self._wake:
                    wait = self._due[0][0] - time.time() if self._due else 1.0
                    if wait > 0:
                        self._wake.wait(min(wait, 1.0))
                        continue
                    _, _, body, attempt = heapq.heappop(self._due)
                self._send(client, body, attempt)

    def _send(self, client: httpx.Client, body: dict[str, Any], attempt: int) -> None:
        raw = json.dumps(body, ensure_ascii=False).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "X-City-Event-Id": body["event_id"],
            "X-City-Timestamp": str(timestamp),
            "X-City-Signature": signature(self.secret, timestamp, raw),
        }
        try:
            status: int | str = client.post(self.callback_url, content=raw, headers=headers).status_code
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        retry = not isinstance(status, int) or status >= 500 or status == 429
        if retry and attempt < CALLBACK_ATTEMPTS:
            self.send_later(body, time.time() + 2 ** (attempt - 1), attempt + 1)
            return
        log.info("sim_callback_sent", type=body["type"], case_id=body["case_id"], status=status)
        with self.lock:
            self.callbacks.append(
                {
                    "event_id": body["event_id"],
                    "type": body["type"],
                    "case_id": body["case_id"],
                    "status": status,
                }
            )

    def summary(self) -> dict[str, Any]:
        with self.lock:
            return {
                "events": [
                    {**asdict(received), "deliveries": self.deliveries[received.event_id]}
                    for received in self.events.values()
                ],
                "refused_signatures": self.refused_signatures,
                "callbacks": list(self.callbacks),
            }


def after_photo(name: str) -> bytes:
    """A department's after-photo: drawn, with the camera's EXIF (GPS included) for us to strip."""
    image = Image.new("RGB", (800, 600), (46, 125, 50))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 760, 560), outline=(255, 255, 255), width=6)
    draw.text((80, 280), f"HANDLED {name}", fill=(255, 255, 255), font_size=36)
    exif = Image.Exif()
    exif[0x010F] = "SimCam"
    exif.get_ifd(0x8825).update({1: "N", 2: (30.0, 16.0, 26.0), 3: "E", 4: (120.0, 9.0, 18.0)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80, exif=exif)
    return buffer.getvalue()


class _Server(ThreadingHTTPServer):
    # The standard library listens with a backlog of 5: a worker's hundred parallel POSTs would find
    # connections reset that a real platform's front would have taken.
    request_queue_size = 1024
    daemon_threads = True


def _handler(platform: Platform) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real platform's front would

        def do_POST(self) -> None:
            if platform.chance(platform.faults.refuse):
                self.close_connection = True  # dropped: nothing is read or answered
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                verify(
                    platform.secret,
                    self.headers.get("X-City-Timestamp"),
                    self.headers.get("X-City-Signature"),
                    body,
                    now=time.time(),
                )
            except BadSignature:
                with platform.lock:
                    platform.refused_signatures += 1
                self._reply(401, {"error": "bad signature"})
                return
            if platform.chance(platform.faults.fail):
                self._reply(500, {"error": "injected failure"})
                return
            envelope = json.loads(body)
            if platform.record(envelope):
                platform.answer(envelope)
            if platform.chance(platform.faults.slow):
                time.sleep(platform.faults.slow_seconds)
            self._reply(200, {"status": "received"})

        def do_GET(self) -> None:
            if self.path.split("?")[0] == "/received":
                self._reply(200, platform.summary())
            elif self.path.startswith("/photos/") and self.path.endswith(".jpg"):
                self._reply_bytes(200, after_photo(self.path[len("/photos/") : -len(".jpg")]), "image/jpeg")
            else:
                self._reply(404, {"error": "not found"})

        def _reply(self, status: int, document: dict[str, Any]) -> None:
            self._reply_bytes(status, json.dumps(document, ensure_ascii=False).encode(), "application/json")

        def _reply_bytes(self, status: int, data: bytes, content_type: str) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the caller gave up first (slow answers)
                self.close_connection = True

        def log_message(self, *args: object) -> None:
            pass

    return Handler


class Simulator:
    """The platform's server and sending thread; `start` returns once it listens."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        secret: str,
        callback_url: str,
        delay: float,
        faults: Faults,
        seed: int | None = None,
        public_url: str = "",
    ) -> None:
        self.server = _Server((host, port), BaseHTTPRequestHandler)
        local = "127.0.0.1" if host in ("", "0.0.0.0") else host
        self.platform = Platform(
            secret=secret,
            callback_url=callback_url,
            public_url=(public_url or f"http://{local}:{self.port}").rstrip("/"),
            delay=delay,
            faults=faults,
            rng=random.Random(seed),
        )
        self.server.RequestHandlerClass = _handler(self.platform)
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self.server.serve_forever, name="sim-http", daemon=True),
            threading.Thread(
                target=self.platform.run_callbacks, args=(self._stop,), name="sim-callbacks", daemon=True
            ),
        ]

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def start(self) -> Simulator:
        for thread in self._threads:
            thread.start()
        log.info("sim_listening", port=self.port, callbacks_to=self.platform.callback_url)
        return self

    def close(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()
