"""Where a webhook may point: public internet addresses only, so a callback cannot reach inside.

Checked twice: on create and update (the URL as written: scheme, literal addresses,
names of metadata services) and again at delivery, on every address the name
resolves to, after which the connection goes to the checked address itself, so
a DNS answer that changes in between (rebinding) cannot get around the check.
Loopback is allowed only where the stage says so (the local stack, for its own
tests), and never to the ports of the emulated AWS services beside it.
"""
from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolve = Callable[[str, int], Sequence[str]]

# Instance metadata services answer on these names wherever the service runs.
METADATA_HOSTS = frozenset({"metadata", "metadata.google.internal", "metadata.goog", "instance-data",
                            "instance-data.ec2.internal"})
_ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS",
                       "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SSM")


class TargetRefusedError(Exception):
    """A callback URL or one of its addresses is not a place webhooks may go."""


def _address(text: str) -> Address | None:
    try:
        found = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    return found


def _loopback_name(host: str) -> bool:
    return host == "localhost" or host.endswith(".localhost")


def _own_ports() -> frozenset[int]:
    """The emulated AWS endpoints' ports: off limits even where loopback is allowed."""
    ports = set()
    for name in _ENDPOINT_VARIABLES:
        value = os.environ.get(name)
        if value:
            port = urlsplit(value).port
            if port:
                ports.add(port)
    return frozenset(ports)


def check_address(address: Address, port: int, allow_loopback: bool) -> None:
    """Refuse every address that is not public: loopback (unless allowed), private, link-local, ..."""
    if address.is_loopback:
        if not allow_loopback:
            raise TargetRefusedError(f"{address} is a loopback address")
        if port in _own_ports():
            raise TargetRefusedError(f"port {port} on {address} belongs to the service itself")
        return
    if not address.is_global or address.is_multicast:
        raise TargetRefusedError(f"{address} is not a public address")


def _port(scheme: str, port: int | None) -> int:
    return port or (443 if scheme == "https" else 80)


def check_url(url: str, allow_loopback: bool) -> None:
    """What the URL says on its face: https (http only to loopback where allowed), no inside addresses."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise TargetRefusedError("it must be an absolute URL")
    try:
        port = _port(parts.scheme, parts.port)
    except ValueError:
        raise TargetRefusedError("its port is not a number from 0 to 65535") from None
    address = _address(host)
    loopback = _loopback_name(host) or (address is not None and address.is_loopback)
    if parts.scheme != "https" and not (parts.scheme == "http" and allow_loopback and loopback):
        raise TargetRefusedError("it must use https")
    if host in METADATA_HOSTS:
        raise TargetRefusedError(f"{host} is a metadata service")
    if _loopback_name(host) and not allow_loopback:
        raise TargetRefusedError(f"{host} is a loopback name")
    if address is not None:
        check_address(address, port, allow_loopback)


def system_resolve(host: str, port: int) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def resolve_checked(url: str, allow_loopback: bool, resolve: Resolve = system_resolve) -> str:
    """The address to connect to: every address the host resolves to must pass `check_address`."""
    check_url(url, allow_loopback)
    parts = urlsplit(url)
    port = _port(parts.scheme, parts.port)
    try:
        found = [_address(text) for text in resolve(parts.hostname or "", port)]
    except OSError as error:
        raise TargetRefusedError(f"its host does not resolve ({error})") from None
    addresses = [a for a in found if a is not None]
    if not addresses:
        raise TargetRefusedError("its host resolves to no address")
    for address in addresses:
        check_address(address, port, allow_loopback)
    return str(addresses[0])
