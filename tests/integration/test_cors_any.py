"""CORS_ORIGINS=* answered as Starlette's CORSMiddleware (allow_credentials=True) does: a simple
request without a cookie gets `Access-Control-Allow-Origin: *`; with a cookie, and on a
preflight, the origin is echoed with `Vary: Origin` (issue 9). The responder runs as plain CGI
with its own settings, against the stack's database."""
import os
import subprocess

import pytest

ORIGIN = "http://anywhere.example"


@pytest.fixture(scope="module")
def auth_bin(stack):
    path = os.path.normpath(os.path.join(os.path.dirname(stack.admin_path), "..", "fcgi-bin", "auth.fcgi"))
    assert os.access(path, os.X_OK), f"{path} is not an executable file"
    return path


def cgi(binary, stack, method, uri, cors="*", **headers):
    env = dict(stack.file_env)
    env.update({"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GATEWAY_INTERFACE": "CGI/1.1",
                "REQUEST_METHOD": method, "REQUEST_URI": uri, "CONTENT_LENGTH": "0",
                "CORS_ORIGINS": cors})
    env.update({"HTTP_" + k.upper(): v for k, v in headers.items()})
    p = subprocess.run([binary], env=env, input=b"", capture_output=True, timeout=60)
    assert p.returncode == 0, (p.returncode, p.stderr)
    head, _, body = p.stdout.partition(b"\r\n\r\n")
    hdrs = {}
    for ln in head.decode("latin-1").split("\r\n"):
        k, _, v = ln.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return int(hdrs.pop("status").split()[0]), hdrs, body


def test_any_origin_simple_request_gets_star(auth_bin, stack):
    status, h, _ = cgi(auth_bin, stack, "GET", "/api/v1/users/me", origin=ORIGIN)
    assert status == 401
    assert h.get("access-control-allow-origin") == "*", h
    assert h.get("access-control-allow-credentials") == "true", h
    assert "vary" not in h, h


def test_any_origin_with_cookie_echoes_origin(auth_bin, stack):
    status, h, _ = cgi(auth_bin, stack, "GET", "/api/v1/users/me", origin=ORIGIN, cookie="session=x")
    assert status == 401
    assert h.get("access-control-allow-origin") == ORIGIN, h
    assert h.get("access-control-allow-credentials") == "true", h
    assert h.get("vary") == "Origin", h


def test_any_origin_preflight_echoes_origin(auth_bin, stack):
    status, h, _ = cgi(auth_bin, stack, "OPTIONS", "/api/v1/users/me", origin=ORIGIN,
                       access_control_request_method="GET",
                       access_control_request_headers="authorization")
    assert status == 200
    assert h.get("access-control-allow-origin") == ORIGIN, h
    assert h.get("vary") == "Origin", h
    assert "GET" in h.get("access-control-allow-methods", ""), h


def test_any_origin_no_origin_no_cors_headers(auth_bin, stack):
    _, h, _ = cgi(auth_bin, stack, "GET", "/api/v1/users/me")
    assert "access-control-allow-origin" not in h, h


def test_listed_origin_still_echoed(auth_bin, stack):
    """An exact list is unchanged: the origin itself, credentials, Vary."""
    _, h, _ = cgi(auth_bin, stack, "GET", "/api/v1/users/me", cors=ORIGIN, origin=ORIGIN)
    assert h.get("access-control-allow-origin") == ORIGIN and h.get("vary") == "Origin", h
    _, h, _ = cgi(auth_bin, stack, "GET", "/api/v1/users/me", cors=ORIGIN, origin="http://other.example")
    assert "access-control-allow-origin" not in h, h
