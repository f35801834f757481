"""Body limits per location in the web server (issue 9 item 3): lighttpd refuses a body over
its route's limit with its JSON 413 from the declared length, before spooling any of it to
server.upload-dirs (the stack's tmp/ next to FILES_ENV_FILE)."""

from __future__ import annotations

import os
import socket
import time
from urllib.parse import urlsplit

from conftest import describe

LOGIN = "/api/v1/login/access-token"


def _spool(stack) -> str:
    return os.path.join(os.path.dirname(stack.env_file), "tmp")


def _raw(url: str, head: bytes, body: bytes) -> tuple:
    u = urlsplit(url)
    t = time.monotonic()
    with socket.create_connection((u.hostname, u.port), timeout=10) as s:
        s.sendall(head + body)
        out = b""
        while b"\r\n\r\n" not in out or len(out.split(b"\r\n\r\n", 1)[1]) < 10:
            b = s.recv(65536)
            if not b:
                break
            out += b
    return out, time.monotonic() - t


def test_login_two_mib_is_the_servers_413_before_any_spool(stack):
    spool = _spool(stack)
    before = set(os.listdir(spool))
    head = (f"POST {LOGIN} HTTP/1.1\r\nHost: limits.test\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {2 * 1024 * 1024}\r\nConnection: close\r\n\r\n").encode()
    out, took = _raw(stack.base_url, head, b"username=" + b"u" * 1024)
    status, _, rest = out.partition(b"\r\n")
    assert status.startswith(b"HTTP/1.1 413"), out[:400]
    assert b'{"detail":"Request Entity Too Large"}' in out or b"Too Large" in out, out[:400]
    assert b"application/json" in out.split(b"\r\n\r\n")[0].lower(), out[:400]
    assert took < 5, f"answered after {took:.1f} s: lighttpd waited for the body"
    assert set(os.listdir(spool)) == before, "a spool file appeared for a refused body"


def test_each_location_has_its_own_limit(api, stack):
    """2 MiB is too much for login and the JSON routes, not for the local PUT (the responder
    answers: 403 for a token it never issued)."""
    big = b"u" * (2 * 1024 * 1024)
    # (a raw socket: the API client would read the whole answer before sending the body)
    head = (f"POST {LOGIN} HTTP/1.1\r\nHost: limits.test\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(big)}\r\nConnection: close\r\n\r\n").encode()
    out, _ = _raw(stack.base_url, head, big[:4096])
    # lighttpd's own 413, with the X-Request-ID of API.md §1 (its response-start script)
    assert out.startswith(b"HTTP/1.1 413") and b"\r\nx-request-id: " in out.lower(), out[:400]
    r = api.request("PUT", "/api/v1/uploads/local/bad.token", data=big, headers={"Content-Type": "image/png"},
                    fresh=True)
    assert r.status_code == 403 and r.headers.get("X-Request-ID"), describe(r, "the responder's 403")
