"""Slow request bodies through Apache mod_proxy_fcgi, which streams a body to the responder
as the client sends it (issue 9 item 2).

A pool of FILES_FCGI_PROCS responders (spawn-fcgi) must not be held by as many clients
sending their bodies slowly: each is cut off with a JSON 408 after BODY_READ_TIMEOUT_SECONDS
(the stack's setting; run-tests sets 5 s), the responder closes instead of draining, and a
normal request is answered soon after. A caller the gate refuses is answered from the
headers, before any body byte. A local PUT cut off this way leaves no file behind.
"""

from __future__ import annotations

import os
import socket
import time
from urllib.parse import urlsplit

import pytest

from integration_conftest import assert_status, describe

from conftest import DEPLOY_URLS, _get  # tests/deploy/conftest.py

LOGIN = "/api/v1/login/access-token"
PRESIGN = "/api/v1/uploads/presigned-url"
PROCS = int(os.environ.get("FILES_FCGI_PROCS", "2"))


@pytest.fixture(scope="module")
def proxy(stack):
    if "proxy-fcgi" not in dict(DEPLOY_URLS):
        pytest.fail("FILES_DEPLOY_URLS names no proxy-fcgi deployment", pytrace=False)
    return _get("proxy-fcgi", stack)


@pytest.fixture(scope="module")
def deadline(stack) -> float:
    """The responders' BODY_READ_TIMEOUT_SECONDS (default 20)."""
    return float(stack.file_env.get("BODY_READ_TIMEOUT_SECONDS", "20"))


def open_slow(url: str, method: str, path: str, headers: dict, declared: int, sent: bytes) -> socket.socket:
    """Send a request's head and the first bytes of a body declared `declared` bytes long,
    then nothing more; the socket stays open."""
    u = urlsplit(url)
    s = socket.create_connection((u.hostname, u.port), timeout=120)
    head = f"{method} {path} HTTP/1.1\r\nHost: deploy.test\r\nContent-Length: {declared}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    s.sendall(head.encode() + sent)
    return s


def read_answer(s: socket.socket, timeout: float) -> tuple:
    """(status, body) of the answer on s, read until the server closes or the body is whole."""
    s.settimeout(timeout)
    data = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep and b"content-length:" in head.lower():
                n = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                if len(body) >= n:
                    break
    except (socket.timeout, ConnectionResetError):
        pass
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/") else 0
    return status, body


def test_slow_bodies_do_not_hold_the_pool(proxy, make_user, deadline):
    u = make_user(tag="slow")
    slow = [open_slow(proxy.url, "POST", LOGIN,
                      {"Content-Type": "application/x-www-form-urlencoded"}, 4000, b"username=")
            for _ in range(PROCS)]
    try:
        time.sleep(0.5)      # each slow client now holds a responder of the pool
        t0 = time.monotonic()
        r = proxy.login(u.email, u.password)
        took = time.monotonic() - t0
        assert_status(r, 200, "(a normal login behind the slow clients)")
        assert took < deadline + 8, describe(r, f"answered after {took:.1f} s (deadline {deadline} s)")
        for s in slow:
            status, body = read_answer(s, deadline + 10)
            assert status == 408 and body.startswith(b'{"detail":'), (status, body[:200])
    finally:
        for s in slow:
            s.close()


def test_gate_answers_before_the_body(proxy, deadline):
    """No token: 401 at once, though the declared body never comes."""
    s = open_slow(proxy.url, "POST", PRESIGN, {"Content-Type": "application/json"}, 2000, b"{")
    t0 = time.monotonic()
    status, body = read_answer(s, deadline + 10)
    took = time.monotonic() - t0
    assert status == 401 and b"Not authenticated" in body, (status, body[:200])
    assert took < min(deadline, 5) - 1, f"401 after {took:.1f} s: the body was waited for"


def test_slow_local_put_408_leaves_no_file(proxy, make_user, storage_of, deadline):
    u = make_user(tag="slowput")
    r = proxy.post(PRESIGN, token=u.token, json_body={"filename": "slow.zip", "content_type": "application/zip"})
    b = assert_status(r, 200, "(presign)")
    path = urlsplit(b["upload_url"]).path
    s = open_slow(proxy.url, "PUT", path, {"Content-Type": "application/zip"}, 100000, b"PK" + b"\0" * 998)
    t0 = time.monotonic()
    status, body = read_answer(s, deadline + 15)
    took = time.monotonic() - t0
    assert status == 408 and body.startswith(b'{"detail":'), (status, body[:200])
    assert took < deadline + 8, f"408 after {took:.1f} s"
    root = storage_of(proxy)
    assert not (root / b["key"]).exists(), "a cut-off PUT left its object"
    tmp = root / ".tmp"
    left = [p.name for p in tmp.iterdir()] if tmp.is_dir() else []
    assert not left, f"temp files left behind: {left}"
    # the claim was released: the same token takes a whole upload
    r = proxy.request("PUT", path, data=b"PK" + b"\0" * 10, headers={"Content-Type": "application/zip"})
    assert_status(r, 200, "(the token after the cut-off attempt)")
