"""Web-server hardening of the Apache configurations (issue 9): files planted in the local
storage behind the service's back are served as inert bytes (or refused), never run, even on
a host that runs PHP, CGI and SSI server-wide (the php-host deployment); each location has
its own body limit, answered by the web server before any body is read."""

from __future__ import annotations

import time

import pytest

from integration_conftest import describe

from conftest import raw_http  # tests/deploy/conftest.py

# Each of these prints RAN-42 if a handler runs it; read as bytes it holds no "RAN-42".
PLANTED = {
    "x.php": b'<?php echo "RAN-" . (6 * 7); ?>\n',
    "x.php.png": b'<?php echo "RAN-" . (6 * 7); ?>\n',
    "x.phtml": b'<?php echo "RAN-" . (6 * 7); ?>\n',
    "x.shtml": b'<!--#set var="v" value="RAN-" --><!--#echo var="v" -->42\n',
    "x.cgi": b'#!/bin/sh\nprintf "Content-Type: text/plain\\n\\nRAN-%s\\n" 42\n',
}


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_storage_never_runs_scripts(server_dep, storage_of, name):
    path = storage_of(server_dep) / "temp" / name
    path.write_bytes(PLANTED[name])
    path.chmod(0o755)      # even executable
    try:
        for method in ("GET", "POST"):      # Apache's default handler serves POST too
            r = server_dep.request(method, f"/storage/temp/{name}?c=id")
            assert b"RAN-42" not in r.content, describe(r, f"{name} ran on {server_dep.name}")
            assert r.status_code in (200, 403, 404, 405), describe(r, "served or refused")
            if r.status_code == 200:
                assert r.content == PLANTED[name], describe(r, "the planted bytes, as they are")
                assert r.headers.get("Content-Type") in ("application/octet-stream", "image/png"), \
                    describe(r, "an inert Content-Type")
                assert r.headers.get("X-Content-Type-Options") == "nosniff", describe(r)
    finally:
        path.unlink(missing_ok=True)


def _declared(url: str, path: str, length: int, send: int) -> tuple:
    """Declare LENGTH body bytes, send SEND of them, and time the answer."""
    req = (f"POST {path} HTTP/1.1\r\nHost: deploy.test\r\n"
           f"Content-Type: application/x-www-form-urlencoded\r\n"
           f"Content-Length: {length}\r\nConnection: close\r\n\r\n").encode() + b"u" * send
    t = time.monotonic()
    r = raw_http(url, req, timeout=15)
    return r, time.monotonic() - t


def test_login_body_limit_is_the_web_servers(http_dep, make_user):
    """2 MiB to login: the server's own JSON 413, answered before the body is read (the body
    never comes, so nothing can have been spooled), where the local PUT allows far more."""
    r, took = _declared(http_dep.url, "/api/v1/login/access-token", 2 * 1024 * 1024, 1024)
    assert r.status == 413 and r.json() == {"detail": "Request Entity Too Large"}, r.raw[:500]
    assert r.headers.get("Content-Type") == "application/json", r.raw[:500]
    assert "X-Request-ID" not in r.headers, "the web server's 413, not a responder's"
    assert took < 10, f"answered after {took:.1f} s: the server waited for the body"
    # The same size is within the local PUT's limit (MAX_UPLOAD_SIZE): it is stored.
    from urllib.parse import urlsplit
    size = 2 * 1024 * 1024
    person = make_user(tag="limits")
    r = http_dep.post("/api/v1/uploads/presigned-url", token=person.token,
                      json_body={"filename": "big.png", "content_type": "image/png", "size": size})
    assert r.status_code == 200, describe(r, "presign")
    r = http_dep.request("PUT", urlsplit(r.json()["upload_url"]).path, data=b"u" * size,
                         headers={"Content-Type": "image/png"})
    assert r.status_code == 200 and r.json()["size"] == size, describe(r, "a 2 MiB local PUT")
