"""Slow request bodies through Apache mod_proxy_fcgi, which streams a body to the responder
as the client sends it (issue 9 item 2).

A pool of FILES_FCGI_PROCS responders (spawn-fcgi) must not be held by as many clients
sending their bodies slowly: each responder gives up after BODY_READ_TIMEOUT_SECONDS (the
stack's setting; run-tests sets 8 s), answers 408, closes instead of draining, and a normal
request is answered soon after. A caller the gate refuses is answered from the headers,
before any body byte, so its responder is free at once. A local PUT cut off this way leaves
no file behind and releases its token.

What the slow client itself sees is Apache's business: mod_proxy_fcgi blocks reading the
client's body and hands on the responder's answer only once it has it (or its own
mod_reqtimeout / Timeout fires), so these tests watch the responders, not the client.
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


def responders_log(proxy) -> str:
    """The spawn-fcgi'd responders' log of the deployment (next to its storage)."""
    p = proxy.storage.parent / "logs" / "responders.log"
    return p.read_text(errors="replace") if p.exists() else ""


def test_slow_bodies_do_not_hold_the_pool(proxy, make_user, deadline):
    u = make_user(tag="slow")
    before = responders_log(proxy).count("request body stalled")
    slow = [open_slow(proxy.url, "POST", LOGIN,
                      {"Content-Type": "application/x-www-form-urlencoded"}, 4000, b"username=")
            for _ in range(PROCS)]
    try:
        time.sleep(0.5)      # each slow client now holds a responder of the pool
        t0 = time.monotonic()
        r = proxy.login(u.email, u.password)
        took = time.monotonic() - t0
        assert_status(r, 200, "(a normal login behind the slow clients)")
        assert took < deadline + 6, describe(r, f"answered after {took:.1f} s (deadline {deadline} s)")
        time.sleep(1)
        stalled = responders_log(proxy).count("request body stalled") - before
        assert stalled >= PROCS, f"{stalled} responders gave up a stalled body, expected {PROCS}"
    finally:
        for s in slow:
            s.close()


def test_gate_answers_before_the_body(proxy, make_user, deadline):
    """No token: the responders answer 401 from the headers and are free again within their
    bounded linger (2 s), long before the body deadline: a normal request gets through."""
    u = make_user(tag="gate")
    slow = [open_slow(proxy.url, "POST", PRESIGN, {"Content-Type": "application/json"}, 2000, b"{")
            for _ in range(PROCS)]
    try:
        time.sleep(0.5)
        t0 = time.monotonic()
        r = proxy.post(PRESIGN, token=u.token, json_body={"filename": "g.zip", "content_type": "application/zip"})
        took = time.monotonic() - t0
        assert_status(r, 200, "(a presign behind callers without a token)")
        assert took < deadline - 3, describe(r, f"answered after {took:.1f} s: the bodies were waited for")
    finally:
        for s in slow:
            s.close()


def test_slow_local_put_408_leaves_no_file(proxy, make_user, storage_of, deadline):
    u = make_user(tag="slowput")
    r = proxy.post(PRESIGN, token=u.token, json_body={"filename": "slow.zip", "content_type": "application/zip"})
    b = assert_status(r, 200, "(presign)")
    path = urlsplit(b["upload_url"]).path
    s = open_slow(proxy.url, "PUT", path, {"Content-Type": "application/zip"}, 100000, b"PK" + b"\0" * 998)
    try:
        time.sleep(deadline + 3)
        root = storage_of(proxy)
        assert not (root / b["key"]).exists(), "a cut-off PUT left its object"
        tmp = root / ".tmp"
        left = [p.name for p in tmp.iterdir()] if tmp.is_dir() else []
        assert not left, f"temp files left behind: {left}"
        # the responder gave up and released the claim: the same token takes a whole upload
        r = proxy.request("PUT", path, data=b"PK" + b"\0" * 10, headers={"Content-Type": "application/zip"})
        assert_status(r, 200, "(the token after the cut-off attempt)")
        assert (root / b["key"]).stat().st_size == 12
    finally:
        s.close()
