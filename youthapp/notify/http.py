"""HTTP for the push senders: a session that can only reach the public internet.

A subscription's endpoint is chosen by whoever registered it, and a DNS name is checked
only by what it resolves to when it is used (`10.0.0.1.nip.io` is a public name for a
private address). So each request resolves the host once, refuses loopback, private,
link-local and reserved addresses, and connects to the very address it checked, never
looking the name up twice (requests-hardened). Redirects are never followed.
"""

from __future__ import annotations

import requests
from requests_hardened import Config, HTTPSession
from requests_hardened.ip_filter import InvalidIPAddress

__all__ = ["InvalidIPAddress", "public_session"]


def public_session(*, timeout_seconds: float, allow_loopback: bool = False) -> requests.Session:
    """A session for push services; `allow_loopback` only for tests and local development."""
    session: requests.Session = HTTPSession(  # requests-hardened ships no types
        Config(
            ip_filter_enable=True,
            ip_filter_allow_loopback_ips=allow_loopback,
            never_redirect=True,
            default_timeout=(timeout_seconds, timeout_seconds),
        )
    )
    return session
