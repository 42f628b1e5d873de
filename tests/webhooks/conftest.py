"""Webhook fixtures: a real HTTP receiver on loopback (pytest-httpserver's `httpserver`), and
endpoints registered the way a scoring admin registers them."""

import socket
import threading

import pytest

from webhooks import services
from webhooks.events import EVENT_TYPES


@pytest.fixture(autouse=True)
def _receivers_on_loopback(settings):
    """These tests' receivers listen on loopback, which a real deployment never sends to;
    tests/webhooks/test_addresses.py turns it off again to see the refusal."""
    settings.WEBHOOK_ALLOW_LOOPBACK = True


@pytest.fixture
def register(migrated_rows, sam):
    """Register an endpoint as Sam does; every event type unless told otherwise."""

    def register(url, events=tuple(EVENT_TYPES), **fields):
        return services.endpoint_create(url=url, events=events, actor=sam, **fields)

    return register


@pytest.fixture
def receiver_endpoint(httpserver, register):
    """An endpoint at the loopback receiver's /hooks, subscribed to every event."""
    return register(httpserver.url_for("/hooks"))


@pytest.fixture
def closed_port_url():
    """An address on loopback where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


class _LoopbackReceiver:
    """A raw HTTP receiver on loopback: each connection is served by `_answer` in a thread of
    its own until `stop`."""

    def __init__(self) -> None:
        self.connections = 0
        self.stopping = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def url_for(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                client, _ = self.server.accept()
            except TimeoutError:
                continue
            self.connections += 1
            threading.Thread(target=self._answer, args=(client,), daemon=True).start()

    def _answer(self, client: socket.socket) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.server.close()


class DrippingReceiver(_LoopbackReceiver):
    """A receiver on loopback that reads each request, then answers one byte every `pause`
    seconds: never silent long enough for a socket timeout, and slow beyond any budget. With
    `head`, it first sends those bytes of the answer at once."""

    ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 30\r\n\r\n"
    ANSWER += b"o" * 30

    def __init__(self, pause: float = 0.15, head: bytes = b"") -> None:
        assert self.ANSWER.startswith(head)
        self.pause = pause
        self.head = head
        self.paths: list[str] = []  # the path of each request, as it arrived
        super().__init__()

    def _answer(self, client: socket.socket) -> None:
        with client:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = client.recv(65536)
                if not chunk:
                    return
                request += chunk
            self.paths.append(request.split(b" ")[1].decode())
            if self.head:
                client.sendall(self.head)
            for byte in self.ANSWER[len(self.head) :]:
                if self.stopping.wait(self.pause):
                    return
                try:
                    client.sendall(bytes([byte]))
                except OSError:  # the sender hung up
                    return


@pytest.fixture
def dripping_receiver():
    receiver = DrippingReceiver()
    yield receiver
    receiver.stop()


class PromptReceiver(_LoopbackReceiver):
    """A receiver on loopback that answers every request at once with 204 and keeps the
    connection open for the next; `on_request(n)` runs as the nth request (from 1) arrives,
    before it is answered."""

    def __init__(self, on_request=None) -> None:
        self.on_request = on_request or (lambda n: None)
        self.requests = 0
        super().__init__()

    def _answer(self, client: socket.socket) -> None:
        with client:
            pending = b""
            while not self.stopping.is_set():
                head, _, rest = pending.partition(b"\r\n\r\n")
                if not _:
                    chunk = client.recv(65536)
                    if not chunk:
                        return
                    pending += chunk
                    continue
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                while len(rest) < length:
                    rest += client.recv(65536)
                pending = rest[length:]
                self.requests += 1
                self.on_request(self.requests)
                client.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")
