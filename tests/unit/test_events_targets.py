"""Webhook targets: which URLs and resolved addresses a callback may reach (pure, resolver faked)."""
from __future__ import annotations

import ipaddress
import socket

import pytest

from chalicelib.events.adapters.transport import post
from chalicelib.events.targets import TargetRefusedError, check_address, check_url, ipv4_spelling, resolve_checked

# Every spelling `inet_aton` (and so the resolver at delivery) reads as 127.0.0.1.
LOOPBACK_SPELLINGS = ["2130706433", "0x7f000001", "0X7F000001", "017700000001", "127.1", "127.0.1", "0x7f.1",
                      "0177.0.0.1", "0x7f.0.0.1", "127.000.000.001", "0x7f.0x0.0x0.0x1"]
# IPv6 addresses that carry an inside IPv4 one: refused on create and at delivery alike.
CARRIED_INSIDE = [
    "64:ff9b::7f00:1",  # NAT64 (well-known prefix) to 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 to 169.254.169.254
    "64:ff9b::a00:1",  # NAT64 to 10.0.0.1
    "64:ff9b:1::808:808",  # local-use NAT64 prefix: inside whatever it carries
    "64:ff9b:1:7f00:1::",
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2002:c0a8:101::",  # 6to4 of 192.168.1.1
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo: client 192.0.2.45
    "2001:0:a00:1:8000:63bf:3fff:fdd2",  # Teredo: server 10.0.0.1
    "::127.0.0.1",  # IPv4-compatible
    "::a9fe:a9fe",
    "::10.0.0.1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::ffff:0:10.0.0.1",  # IPv4-translated (SIIT)
    "::",
]


@pytest.mark.parametrize("url", [
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.1/",
    "https://172.16.5.4/",
    "https://192.168.1.1/h",
    "https://100.64.0.1/",
    "https://[fd00:ec2::254]/",
    "https://[fe80::1]/",
    "https://[::ffff:10.0.0.1]/",
    "https://224.0.0.1/",
    "https://0.0.0.0/",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://127.0.0.1/",
    "https://localhost/",
    "https://api.localhost/",
    "http://example.com/h",
    "ftp://example.com/h",
    "https:///nohost",
    *[f"https://{spelling}/" for spelling in LOOPBACK_SPELLINGS],
    *[f"https://{spelling}./h" for spelling in LOOPBACK_SPELLINGS],  # the trailing dot of a fully qualified name
    "https://0/", "https://0x0/", "https://10.1/", "https://167772161/", "https://0xa9fea9fe/", "https://0251.0376.0251.0376/",
    *[f"https://[{address}]/" for address in CARRIED_INSIDE],
    "https://[fe80::1%25eth0]/",
    "https://[2606:4700::1%25eth0]/",  # a zone names an interface of ours
    "https://user:pw@example.com/",
    "https://user@example.com/",
    "https://@example.com/",
    "https://example.com:pw@example.org/",
    "https://\uff11\uff12\uff17.\uff10.\uff10.\uff11/",  # full-width digits: the resolver reads 127.0.0.1
    "https://ex%41mple.com/",
    "https://1.2.3.4.5/",  # ends in a number, not an address
    "https://08.0.0.1/",
    "https://0x/",
    "https://256.0.0.1/",
    "https://4294967296/",
    "https://" + "9" * 5000 + "/",
    "https://[::1/",
    "https://example.com:99999/",
])
def test_check_url_refuses_inside_addresses_and_plain_http(url):
    # Given a stage that does not allow loopback (every deployed stage)
    # When / Then
    with pytest.raises(TargetRefusedError):
        check_url(url, allow_loopback=False)


@pytest.mark.parametrize("url", [
    "https://example.com/h", "https://93.184.216.34:8443/h", "https://[2606:4700::1]/", "https://example.com./h",
    "https://hooks_1.example-2.com/h", "https://EXAMPLE.com/h", "https://1572395042/",  # 93.184.216.34
    "https://[64:ff9b::808:808]/", "https://[2002:808:808::1]/", "https://[::ffff:8.8.8.8]/", "https://[::8.8.8.8]/",
    "https://1e100.net/", "https://10.example.com/",
])
def test_check_url_allows_public_https(url):
    check_url(url, allow_loopback=False)


@pytest.mark.parametrize("spelling", [*LOOPBACK_SPELLINGS, "93.184.216.34", "1572395042", "0", "10.1", "1.2.3"])
def test_ipv4_spelling_reads_each_form_as_inet_aton_does(spelling):
    # Given a numeric host / When it is read / Then it is the address the system's resolver reads
    assert ipv4_spelling(spelling.lower()) == ipaddress.IPv4Address(socket.inet_aton(spelling))


@pytest.mark.parametrize("spelling", ["08.0.0.1", "0x", "1.2.3.4.5", "256.0.0.1", "1.256.0.0.0", "4294967296", "",
                                      "1..1", "0xg", "-1"])
def test_ipv4_spelling_refuses_what_inet_aton_refuses(spelling):
    assert ipv4_spelling(spelling) is None


@pytest.mark.parametrize("address", CARRIED_INSIDE)
@pytest.mark.parametrize("allow_loopback", [False, True])
def test_check_address_refuses_an_ipv6_address_carrying_an_inside_ipv4_one(address, allow_loopback):
    # Given an IPv6 address translated or tunnelled to an inside IPv4 address (as a DNS answer gives it)
    # When / Then: refused, even where loopback is allowed, unless it is the loopback address itself
    parsed = ipaddress.ip_address(address)
    if allow_loopback and parsed.ipv4_mapped is not None and parsed.ipv4_mapped.is_loopback:
        check_address(parsed, 8123, allow_loopback)
    else:
        with pytest.raises(TargetRefusedError):
            check_address(parsed, 443, allow_loopback)


def test_check_url_allows_loopback_http_only_where_the_stage_allows_it():
    check_url("http://127.0.0.1:8123/h", allow_loopback=True)
    check_url("http://[::1]:8123/h", allow_loopback=True)
    with pytest.raises(TargetRefusedError):
        check_url("http://127.0.0.1:8123/h", allow_loopback=False)
    with pytest.raises(TargetRefusedError):
        check_url("http://10.0.0.1/h", allow_loopback=True)


def test_check_url_refuses_the_emulated_aws_ports_even_on_loopback(monkeypatch):
    # Given the local stack's embedded AWS on port 4566
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    # When / Then: a hook to it is refused, another loopback port is not
    with pytest.raises(TargetRefusedError, match="4566"):
        check_url("http://127.0.0.1:4566/", allow_loopback=True)
    check_url("http://127.0.0.1:4567/", allow_loopback=True)


@pytest.mark.parametrize("answers", [["10.0.0.1"], ["93.184.216.34", "10.0.0.1"], ["169.254.169.254"], ["::1"], [],
                                     *[[address] for address in CARRIED_INSIDE]])
def test_resolve_checked_refuses_a_name_that_resolves_inside(answers):
    # Given a public-looking name whose DNS answer points inside (rebinding)
    def resolve(host: str, port: int) -> list[str]:
        return answers

    # When / Then
    with pytest.raises(TargetRefusedError):
        resolve_checked("https://hooks.example.com/h", allow_loopback=False, resolve=resolve)


def test_resolve_checked_returns_the_checked_address():
    assert resolve_checked("https://hooks.example.com/h", False, lambda h, p: ["93.184.216.34"]) == "93.184.216.34"


def test_post_to_a_refused_target_sends_nothing_and_says_why():
    # Given a name that resolves to the metadata address
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["169.254.169.254"]

    # When
    answer = post("https://rebind.example.com/h", b"{}", {}, 1.0, allow_loopback=False, resolve=resolve)
    # Then
    assert answer.code is None and answer.message.startswith("refused:")
    assert calls == ["rebind.example.com"]
