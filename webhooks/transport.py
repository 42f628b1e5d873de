"""One endpoint's HTTP connection during a pass: POSTs with a deadline on the whole attempt.

A socket timeout bounds each read, not the attempt: a receiver that answers one byte at a time
could hold an attempt for as long as it likes. Here a watchdog shuts the connection when the
attempt's time is up, whatever it is waiting for (the address, the connection, TLS, the
answer), so no attempt outlasts it and no pass outlasts its claim. Each connection goes to an
address `webhooks.addresses` allows, looked up then; redirects are never followed.
"""

from __future__ import annotations

import contextlib
import http.client
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from webhooks.addresses import AddressRefused, addresses_allowed

# Of an answer's body, read so that its connection can carry the next delivery; the body
# itself is not kept (it is the receiver's, and could be anything the address serves).
DRAIN_BYTES = 64 * 1024


@dataclass(frozen=True)
class Answer:
    status: int
    location: str  # where a redirect points, or ""


class NoAnswer(Exception):
    """The attempt got no HTTP answer: why, in words."""


class Channel:
    """Sends to one endpoint URL, reusing its connection while the receiver keeps it open."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if self.https else 80)
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.connection: http.client.HTTPConnection | None = None
        self._socket: socket.socket | None = None  # what the watchdog shuts
        self._lock = threading.Lock()
        self._cut = False
        self._attempt = 0  # which post a running watchdog belongs to: a late one cuts nothing

    def post(self, body: bytes, headers: dict[str, str], *, timeout: float) -> Answer:
        """POST `body`; the answer's status, or NoAnswer within `timeout` seconds in all."""
        with self._lock:
            self._cut = False
            attempt = self._attempt  # moved on when this post ends
        watchdog = threading.Timer(timeout, self._cut_off, args=(attempt,))
        watchdog.daemon = True
        watchdog.start()
        try:
            return self._exchange(body, headers, time.monotonic() + timeout, timeout)
        except (NoAnswer, OSError, http.client.HTTPException) as error:
            self.close()
            if self._cut or isinstance(error, TimeoutError):
                raise NoAnswer(f"No answer within {_seconds(timeout)}.") from error
            if isinstance(error, NoAnswer):
                raise
            raise NoAnswer(f"The request failed: {_reason(error)}"[:500]) from error
        finally:
            watchdog.cancel()
            with self._lock:
                cut = self._cut
                self._attempt += 1  # a watchdog firing from now on is late, and cuts nothing
            if cut:  # the time ran out as the answer came: the connection is spent
                self.close()

    def close(self) -> None:
        with self._lock:
            if self._socket is not None:
                self._socket.close()
            self._socket, self.connection = None, None

    def _cut_off(self, attempt: int) -> None:
        with self._lock:
            if attempt != self._attempt:
                return  # its post ended as the time ran out; the next one has its own
            self._cut = True
            if self._socket is not None:
                # Wakes the sending thread from whatever read or write it is in.
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(self._socket, socket.SHUT_RDWR)

    def _exchange(
        self, body: bytes, headers: dict[str, str], deadline: float, timeout: float
    ) -> Answer:
        connection = self._connection(deadline, timeout)
        connection.request("POST", self.target, body=body, headers=headers)
        response = connection.getresponse()
        with self._lock:
            if self._cut:
                # The watchdog shut the socket while the answer was being read, and http.client
                # takes what came before the cut for the whole answer: a status line cut off
                # after "HTTP/1.1 200 " reads as a success. Nothing read then can be trusted.
                raise TimeoutError
        answer = Answer(response.status, response.getheader("location", ""))
        try:
            response.read(DRAIN_BYTES)
        except (OSError, http.client.HTTPException):  # the status stands; the connection goes
            self.close()
        if not response.isclosed() or response.will_close:
            self.close()
        return answer

    def _connection(self, deadline: float, timeout: float) -> http.client.HTTPConnection:
        if self.connection is not None and self._socket is not None:
            if not _dropped(self._socket):
                self._socket.settimeout(timeout)
                return self.connection
            self.close()
        raw = _connect(self.host, self.port, deadline)
        with self._lock:
            self._socket = raw
            if self._cut:
                raise TimeoutError
        connection: http.client.HTTPConnection
        if self.https:
            context = ssl.create_default_context()
            try:
                secure = context.wrap_socket(raw, server_hostname=self.host)
            except ssl.SSLError as error:
                raise NoAnswer(f"The secure connection failed: {_reason(error)}"[:500]) from error
            with self._lock:
                self._socket = secure
            connection = http.client.HTTPSConnection(
                self.host, self.port, timeout=timeout, context=context
            )
            connection.sock = secure
        else:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            connection.sock = raw
        self.connection = connection
        return connection


def _connect(host: str, port: int, deadline: float) -> socket.socket:
    """A socket connected to an allowed address of `host`."""
    try:
        addresses = addresses_allowed(host, port, timeout=max(deadline - time.monotonic(), 0.1))
    except AddressRefused as refused:
        raise NoAnswer(f"Not sent: {refused}.") from refused
    except OSError as error:
        raise NoAnswer(f"Could not connect: {_reason(error)}"[:500]) from error
    failure: OSError = OSError(f"{host} has no address")
    for address in addresses:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        try:
            return socket.create_connection((address, port), timeout=left)
        except TimeoutError:
            raise
        except OSError as error:
            failure = error
    raise NoAnswer(f"Could not connect: {_reason(failure)}"[:500])


def _dropped(sock: socket.socket) -> bool:
    """Whether an idle kept-alive connection was closed by the receiver (it reads as ready)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _reason(error: BaseException) -> str:
    if isinstance(error, ssl.SSLError) and error.reason:
        return str(error.reason)
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def _seconds(amount: float) -> str:
    return f"{amount:g} second{'' if amount == 1 else 's'}"
