from __future__ import annotations

import pytest

from cas.notify import redacted, undeliverable_reason


@pytest.mark.parametrize(
    "url", ["http://mdm.example/notify", "HTTPS://10.0.0.1:8443/x?y=1", "http://[::1]:80/"]
)
def test_http_urls_are_deliverable(url):
    assert undeliverable_reason(url) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://mdm.example/notify", "not an http(s) URL"),
        ("file:///etc/passwd", "not an http(s) URL"),
        ("/notify", "not an http(s) URL"),
        ("", "not an http(s) URL"),
        ("http:///notify", "URL without a host"),
        ("http://mdm.example:99999/notify", "not a valid URL"),
        ("http://[::1/notify", "not a valid URL"),
    ],
)
def test_other_urls_are_not(url, reason):
    assert undeliverable_reason(url) == reason


def test_logs_see_no_credentials():
    url = "https://user:s3cret@mdm.example:8443/cb/notify?token=abc#frag"
    assert redacted(url) == "https://mdm.example:8443/cb/notify"
    assert redacted("http://[::1]:8080/x") == "http://[::1]:8080/x"
    assert redacted("http://[::1/x") == "<invalid URL>"
