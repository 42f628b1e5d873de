"""Webhook fixtures: a real HTTP receiver on loopback (pytest-httpserver's `httpserver`), and
endpoints registered the way a scoring admin registers them."""

import socket

import pytest

from webhooks import services
from webhooks.events import EVENT_TYPES


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
