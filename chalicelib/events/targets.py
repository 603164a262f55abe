"""Where a webhook may point: public internet addresses only, so a callback cannot reach inside.

`check_address` is the one rule for an address. `check_url` applies it, with the URL's own
rules (https, no user name or password, a plain host name or an address), on create and
update and again before each delivery; `resolve_checked` then applies it to every address
the name resolves to, and the connection goes to the checked address itself, so a DNS
answer that changes in between (rebinding) cannot get around the check. A numeric host is
read as the resolver reads it (`127.1`, `2130706433`, `0x7f000001` are 127.0.0.1), and an
IPv6 address that carries an IPv4 one (mapped, NAT64, 6to4, Teredo) must carry a public one.
Loopback is allowed only where the stage says so (the local stack, for its own tests), and
never to the ports of the emulated AWS services beside it.
"""
from __future__ import annotations

import ipaddress
import os
import re
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
# IPv6 prefixes whose last 32 bits are the IPv4 address the packets reach (compatible, translated, NAT64).
_IPV4_IN_LAST_32_BITS = tuple(ipaddress.IPv6Network(prefix) for prefix in (
    "::/96", "::ffff:0:0:0/96", "64:ff9b::/96"))
# RFC 8215's local-use NAT64 prefix: a translator inside some network, whatever address it carries.
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")
_LABEL = re.compile(r"[a-z0-9_-]{1,63}")
_NUMBER = re.compile(r"[0-9]+|0x[0-9a-f]*")  # a label that makes a host an IPv4 address (WHATWG's rule)


class TargetRefusedError(Exception):
    """A callback URL or one of its addresses is not a place webhooks may go."""


def ipv4_spelling(host: str) -> ipaddress.IPv4Address | None:
    """The address `inet_aton` reads in `host`: 1 to 4 parts, each decimal, 0x-hex or 0-octal."""
    parts = host.split(".")
    values = [_inet_number(part) for part in parts]
    if not 1 <= len(parts) <= 4 or None in values:
        return None
    *head, last = [value for value in values if value is not None]
    if any(value > 255 for value in head) or last >= 256 ** (4 - len(head)):
        return None
    return ipaddress.IPv4Address(sum(value << 8 * (3 - n) for n, value in enumerate(head)) + last)


def _inet_number(part: str) -> int | None:
    if re.fullmatch(r"0x[0-9a-f]+", part):
        return int(part[2:], 16)
    if re.fullmatch(r"0[0-7]*", part):
        return int(part, 8)
    return int(part) if re.fullmatch(r"[1-9][0-9]*", part) else None


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


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


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses a translated or tunnelled IPv6 address reaches (none for a native one)."""
    found = [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
             for prefix in _IPV4_IN_LAST_32_BITS if address in prefix]
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)  # the Teredo server and the client behind it
    return found


def _public(address: Address) -> bool:
    return address.is_global and not address.is_multicast


def _unmapped(address: Address) -> Address:
    """::ffff:10.0.0.1 is 10.0.0.1: a dual-stack socket connects to the IPv4 address itself."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def check_address(address: Address, port: int, allow_loopback: bool) -> None:
    """Refuse every address that is not public: loopback (unless allowed), private, link-local, ..."""
    address = _unmapped(address)
    if address.is_loopback:
        if not allow_loopback:
            raise TargetRefusedError(f"{address} is a loopback address")
        if port in _own_ports():
            raise TargetRefusedError(f"port {port} on {address} belongs to the service itself")
        return
    if not _public(address) or (isinstance(address, ipaddress.IPv6Address) and address in _LOCAL_NAT64):
        raise TargetRefusedError(f"{address} is not a public address")
    if isinstance(address, ipaddress.IPv6Address):
        for inner in _embedded_ipv4(address):
            if not _public(inner):
                raise TargetRefusedError(f"{address} reaches {inner}, which is not a public address")


def _host_address(host: str) -> Address | None:
    """The address a numeric host names, or None for a host name; refuses what is neither."""
    if len(host) > 253:
        raise TargetRefusedError("its host is longer than 253 characters")
    if "%" in host:
        raise TargetRefusedError("its host may not hold a % (an escape, or an IPv6 zone)")
    if ":" in host:
        address = _address(host)
        if address is None:
            raise TargetRefusedError("its host is not a valid IPv6 address")
        return address
    labels = host.split(".")
    if _NUMBER.fullmatch(labels[-1]):
        spelled = ipv4_spelling(host)
        if spelled is None:
            raise TargetRefusedError("its host ends in a number but is not an IPv4 address")
        return spelled
    if not all(_LABEL.fullmatch(label) for label in labels):
        raise TargetRefusedError("its host is not a valid host name (ASCII letters, digits, - and _)")
    return None


def _port(scheme: str, port: int | None) -> int:
    return port or (443 if scheme == "https" else 80)


def check_url(url: str, allow_loopback: bool) -> None:
    """What the URL says on its face: https (http only to loopback where allowed), no inside addresses."""
    try:
        parts = urlsplit(url)
        port = _port(parts.scheme, parts.port)
    except ValueError:
        raise TargetRefusedError("it is not a valid URL (its host or its port)") from None
    if "@" in parts.netloc:
        raise TargetRefusedError("it may not carry a user name or password")
    hostname = (parts.hostname or "").lower()
    host = hostname[:-1] if hostname.endswith(".") else hostname
    if not host:
        raise TargetRefusedError("it must be an absolute URL")
    address = _host_address(host)
    loopback = _loopback_name(host) or (address is not None and _unmapped(address).is_loopback)
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
