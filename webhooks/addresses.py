"""Where webhooks may go: the public internet, and the company's private networks when the
deployment allows them (`WEBHOOK_ALLOW_PRIVATE_NETWORKS`).

Never this server itself (loopback), link-local addresses (cloud metadata services answer at
169.254.169.254) or unspecified ones, whatever the settings say: an endpoint's URL would
otherwise let whoever registers it reach services only this server can reach. The check runs
when an endpoint is saved and again for every connection, on the address actually connected
to, so a host name that resolves elsewhere later (DNS rebinding) gains nothing.
"""

from __future__ import annotations

import ipaddress
import socket
import threading

from django.conf import settings

# Private networks, refused unless WEBHOOK_ALLOW_PRIVATE_NETWORKS is on: RFC 1918, the
# carrier-grade NAT range clouds use inside (RFC 6598), and IPv6 unique local addresses.
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
RESOLVE_SECONDS = 5.0  # a host name that takes longer to resolve is not waited for


class AddressRefused(Exception):
    """The URL's host is, or resolves to, an address webhooks are not sent to."""


def address_refusal(address: str) -> str | None:
    """Why webhooks are not sent to this IP address (words that follow it), or None."""
    ip = ipaddress.ip_address(address.split("%")[0])  # an IPv6 scope (fe80::1%eth0) aside
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if settings.WEBHOOK_ALLOW_LOOPBACK else "is this server itself (loopback)"
    if ip.is_link_local:
        return "is link-local, where cloud metadata services answer"
    if ip.is_unspecified:
        return "is not an address to send to"
    if any(ip in network for network in PRIVATE_NETWORKS):
        if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
            return None
        return "is on a private network, and WEBHOOK_ALLOW_PRIVATE_NETWORKS is off"
    if ip.is_multicast or not ip.is_global:
        return "is not a public internet address"
    return None


def host_addresses(host: str, port: int, *, timeout: float = RESOLVE_SECONDS) -> list[str]:
    """The IP addresses `host` stands for (an address stands for itself), looked up within
    `timeout` seconds; OSError if it does not resolve."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    found: list[str] = []
    failed: list[OSError] = []

    def lookup() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            found.extend(dict.fromkeys(str(info[4][0]) for info in infos))
        except OSError as error:
            failed.append(error)

    # getaddrinfo cannot be interrupted: a lookup that hangs is left to finish on its own.
    looking = threading.Thread(target=lookup, name="webhook-dns", daemon=True)
    looking.start()
    looking.join(timeout)
    if looking.is_alive():
        raise OSError(f"{host} did not resolve within {timeout:g} seconds")
    if failed:
        raise failed[0]
    return found


def addresses_allowed(host: str, port: int, *, timeout: float = RESOLVE_SECONDS) -> list[str]:
    """The addresses of `host` to connect to; AddressRefused, saying why, if any of them is
    one webhooks are not sent to (OSError if the name does not resolve)."""
    addresses = host_addresses(host, port, timeout=timeout)
    for address in addresses:
        refusal = address_refusal(address)
        if refusal:
            where = address if host.strip("[]") == address else f"{host} ({address})"
            raise AddressRefused(f"{where} {refusal}")
    return addresses


def url_host_refusal(host: str, port: int) -> str | None:
    """Why an endpoint at `host` is refused, or None. A name that does not resolve now is
    let through: every send checks again."""
    try:
        addresses_allowed(host, port)
    except AddressRefused as refused:
        return str(refused)
    except OSError:
        return None
    return None
