"""Webhook targets: which URLs and resolved addresses a callback may reach (pure, resolver faked)."""
from __future__ import annotations

import pytest

from chalicelib.events.targets import TargetRefusedError, check_url, resolve_checked
from chalicelib.events.transport import post


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
])
def test_check_url_refuses_inside_addresses_and_plain_http(url):
    # Given a stage that does not allow loopback (every deployed stage)
    # When / Then
    with pytest.raises(TargetRefusedError):
        check_url(url, allow_loopback=False)


@pytest.mark.parametrize("url", ["https://example.com/h", "https://93.184.216.34:8443/h", "https://[2606:4700::1]/"])
def test_check_url_allows_public_https(url):
    check_url(url, allow_loopback=False)


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


@pytest.mark.parametrize("answers", [["10.0.0.1"], ["93.184.216.34", "10.0.0.1"], ["169.254.169.254"], ["::1"], []])
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
