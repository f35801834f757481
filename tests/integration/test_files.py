"""GET|HEAD /files/{file_path:path} (API.md §5): public redirects to where files are served.

The shared stack runs the local storage backend with CLOUDFLARE_IMAGE_TRANSFORMS off and the
default R2_PUBLIC_URL/CDN_URL ({PUBLIC_BASE_URL}/storage), so there /files answers a 302 to the
static storage location and a valid `type` is ignored. Cloudflare mode (and the s3 mode's
R2_PUBLIC_URL) cannot be switched on in the shared stack: those tests run the responder as
plain CGI (fcgi-bin/files.fcgi beside FILES_ADMIN's sbin/), with a DATABASE_URL that points at
a closed port, which also shows that /files opens no database connection.

Raw paths are sent with http.client, so no client library normalises `..` or re-encodes.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import uuid
from urllib.parse import quote, urlsplit

import pytest

from conftest import ALLOWED_ORIGIN, REQUEST_ID_RE, REQUEST_TIMEOUT

TYPES = ("webp", "jpeg", "png", "avif", "gif")
TRANSFORM_TYPES = ("webp", "jpeg", "png", "avif")   # Cloudflare has no gif output format
EXPECTED = "'webp', 'jpeg', 'png', 'avif' or 'gif'"
INVALID = {"detail": "Invalid file path"}
NOT_FOUND = {"detail": "Not Found"}


def enum_error(value: str) -> dict:
    return {"detail": [{"type": "enum", "loc": ["query", "type"],
                        "msg": f"Input should be {EXPECTED}", "input": value,
                        "ctx": {"expected": EXPECTED}}]}


# --------------------------------------------------------------------------------------
# Raw HTTP against the stack


class Raw:
    """One raw request's answer: status, headers (lower-case names), body bytes."""

    def __init__(self, method: str, target: str, status: int, headers: dict, body: bytes):
        self.method, self.target, self.status, self.headers, self.body = \
            method, target, status, headers, body

    def json(self):
        return json.loads(self.body)

    def __repr__(self) -> str:
        return (f"{self.method} {self.target!r} -> {self.status} {self.headers} "
                f"{self.body[:300]!r}")


def raw_request(base_url: str, method: str, target: str, headers: dict | None = None) -> Raw:
    """Send target exactly as given (no normalisation, no re-encoding)."""
    u = urlsplit(base_url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=REQUEST_TIMEOUT)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        r = conn.getresponse()
        body = r.read()
        return Raw(method, target, r.status, {k.lower(): v for k, v in r.getheaders()}, body)
    finally:
        conn.close()


@pytest.fixture(scope="module")
def get(stack):
    def _get(target: str, method: str = "GET", headers: dict | None = None) -> Raw:
        return raw_request(stack.base_url, method, target, headers)
    return _get


@pytest.fixture(scope="module")
def storage_url(stack) -> str:
    """Where the stack serves stored objects: R2_PUBLIC_URL's default in local mode."""
    env = stack.file_env
    assert env.get("STORAGE_BACKEND", "local") == "local", "these tests expect the local backend"
    assert not env.get("R2_PUBLIC_URL") and not env.get("CLOUDFLARE_IMAGE_TRANSFORMS"), \
        "these tests expect the default R2_PUBLIC_URL and transformations off"
    base = env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8080").rstrip("/")
    return base + "/storage"


def assert_json(r: Raw, status: int, body) -> None:
    assert r.status == status, r
    ct = r.headers.get("content-type", "").split(";")[0].strip().lower()
    assert ct == "application/json", r
    assert r.json() == body, r
    assert "location" not in r.headers, r


def assert_redirect(r: Raw, location: str) -> None:
    assert r.status == 302, r
    assert r.headers.get("location") == location, r
    assert REQUEST_ID_RE.match(r.headers.get("x-request-id", "")), r
    assert r.headers.get("content-length", "0") == "0" and r.body == b"", r


# --------------------------------------------------------------------------------------
# Redirects (local mode)


@pytest.mark.parametrize("target,key", [
    ("/files/temp/photo.png", "temp/photo.png"),
    ("/files/media/0b5e0d6a-9f3c-4c8a-8a53-2f1a3c9b7e10/a.webp",
     "media/0b5e0d6a-9f3c-4c8a-8a53-2f1a3c9b7e10/a.webp"),
    ("/files/temp/a%20b.png", "temp/a%20b.png"),            # space re-encoded
    ("/files/temp/a+b.png", "temp/a%2Bb.png"),              # '+' is not unreserved
    ("/files/temp/a%2Bb.png", "temp/a%2Bb.png"),
    ("/files/temp/t%C3%A9st.png", "temp/t%C3%A9st.png"),    # UTF-8 per byte, upper-case hex
    ("/files/temp/t%c3%a9st.png", "temp/t%C3%A9st.png"),
    ("/files/temp/%7Euser-_.x", "temp/~user-_.x"),          # unreserved decoded
    ("/files/temp/a;b=c,d'e(f)", "temp/a%3Bb%3Dc%2Cd%27e%28f%29"),
    ("/files/temp/a%3Fb%23c", "temp/a%3Fb%23c"),            # '?' '#' inside the key
    ("/files/temp/x:y.png", "temp/x%3Ay.png"),              # ':' allowed past the first segment
    ("/files/a/b/c/d.png", "a/b/c/d.png"),
    ("/files/temp//x.png", "temp/x.png"),                   # empty segments dropped
    ("/files/temp/x.png/", "temp/x.png"),
])
def test_redirect_local(get, storage_url, target, key):
    assert_redirect(get(target), f"{storage_url}/{key}")


@pytest.mark.parametrize("type_", TYPES)
def test_type_ignored_without_transformations(get, storage_url, type_):
    r = get(f"/files/temp/photo.png?type={type_}")
    assert_redirect(r, f"{storage_url}/temp/photo.png")


def test_other_query_parameters_ignored(get, storage_url):
    assert_redirect(get("/files/temp/p.png?x=1&type=png&y"), f"{storage_url}/temp/p.png")


def test_head_same_headers_no_body(get, storage_url):
    g = get("/files/temp/photo.png?type=avif")
    h = get("/files/temp/photo.png?type=avif", method="HEAD")
    assert_redirect(h, f"{storage_url}/temp/photo.png")
    assert h.headers["location"] == g.headers["location"]
    assert h.body == b""


def test_head_errors_have_no_body(get):
    for target, status in (("/files/?type=bmp", 422), ("/files/loras/x", 404),
                           ("/files//etc/passwd", 400)):
        r = get(target, method="HEAD")
        assert r.status == status and r.body == b"", r
        assert REQUEST_ID_RE.match(r.headers.get("x-request-id", "")), r


def test_request_id_echoed_and_generated(get):
    rid = "files-" + uuid.uuid4().hex
    for target in ("/files/temp/a.png", "/files/?type=nope", "/files/loras/x", "/files//abs"):
        r = get(target, headers={"X-Request-ID": rid})
        assert r.headers.get("x-request-id") == rid, r
        r = get(target)
        assert REQUEST_ID_RE.match(r.headers.get("x-request-id", "")), r
        assert r.headers["x-request-id"] != rid, r


def test_public_no_auth_needed_and_token_ignored(get, storage_url):
    r = get("/files/temp/a.png", headers={"Authorization": "Bearer garbage"})
    assert_redirect(r, f"{storage_url}/temp/a.png")


def test_cors_on_redirect(get):
    r = get("/files/temp/a.png", headers={"Origin": ALLOWED_ORIGIN})
    assert r.status == 302, r
    assert r.headers.get("access-control-allow-origin") == ALLOWED_ORIGIN, r


def test_method_not_allowed(get):
    for m in ("POST", "PUT", "DELETE", "PATCH"):
        r = get("/files/temp/a.png", method=m, headers={"Content-Length": "0"})
        assert_json(r, 405, {"detail": "Method Not Allowed"})


# --------------------------------------------------------------------------------------
# The redirect target answers with the stored bytes


@pytest.mark.parametrize("name", ["it-files-{u}.png", "it files+é-{u}.webp"])
def test_redirect_target_serves_the_file(get, stack, name):
    root = os.environ.get("FILES_STORAGE_ROOT")
    assert root, "FILES_STORAGE_ROOT must be set (scripts/run-tests sets it)"
    name = name.format(u=uuid.uuid4().hex)
    data = os.urandom(3000) + b"\x00end"
    os.makedirs(os.path.join(root, "temp"), exist_ok=True)
    path = os.path.join(root, "temp", name)
    with open(path, "wb") as fh:
        fh.write(data)
    try:
        r = get("/files/temp/" + quote(name, safe=""))
        assert r.status == 302, r
        loc = r.headers["location"]
        assert loc.endswith("/temp/" + quote(name, safe="-._~")), r
        target = urlsplit(loc)
        assert f"{target.scheme}://{target.netloc}" == stack.base_url, r
        f = raw_request(stack.base_url, "GET", target.path)
        assert f.status == 200, f
        assert f.body == data
    finally:
        os.unlink(path)


# --------------------------------------------------------------------------------------
# Validation of `type` (422 before the handler's own rules)


@pytest.mark.parametrize("query,value", [
    ("type=bmp", "bmp"),
    ("type=", ""),
    ("type", ""),
    ("type=WEBP", "WEBP"),          # enum values are case-sensitive
    ("type=jpg", "jpg"),
    ("type=webp%20", "webp "),
    ("type=png&type=tiff", "tiff"),  # the last value counts
])
def test_bad_type_422(get, query, value):
    assert_json(get(f"/files/temp/a.png?{query}"), 422, enum_error(value))


@pytest.mark.parametrize("path", ["/files/", "/files/loras/x.safetensors", "/files//etc/passwd",
                                  "/files/https://evil/x.png"])
def test_bad_type_checked_before_path_rules(get, path):
    assert_json(get(path + "?type=bmp"), 422, enum_error("bmp"))


def test_valid_type_last_value_wins(get, storage_url):
    assert_redirect(get("/files/temp/a.png?type=bmp&type=gif"), f"{storage_url}/temp/a.png")


# --------------------------------------------------------------------------------------
# Empty path, private prefixes


def test_empty_path_404(get):
    assert_json(get("/files/"), 404, NOT_FOUND)
    assert_json(get("/files/?type=png"), 404, NOT_FOUND)


def test_no_slash_redirects_to_slash_form(get):
    r = get("/files")
    assert r.status == 307 and r.headers.get("location", "").endswith("/files/"), r


@pytest.mark.parametrize("target", [
    "/files/loras/subject/1700000000_0123456789abcdef_x.safetensors",
    "/files/loras/x.png",
    "/files/loras",
    "/files/loras/",
    "/files/bulk-uploads/job/archive.zip",
    "/files/bulk-uploads",
    "/files/%6Coras/x",           # encoded letter
    "/files/%256Coras/x",         # double-encoded (issue 9), and deeper
    "/files/%25256Coras/x.safetensors",
    "/files/%25%36Coras/x",
    "/files/bulk%252Duploads/job/archive.zip",
    "/files/%2562ulk-uploads",
    "/files/loras//x",
    "/files/loras/x?type=webp",
])
def test_private_prefixes_404(get, target):
    assert_json(get(target), 404, NOT_FOUND)


@pytest.mark.parametrize("target,key", [
    ("/files/lorasx/y.png", "lorasx/y.png"),
    ("/files/temp/loras/y.png", "temp/loras/y.png"),
    ("/files/bulk-uploadsx", "bulk-uploadsx"),
])
def test_lookalikes_of_private_prefixes_redirect(get, storage_url, target, key):
    assert_redirect(get(target), f"{storage_url}/{key}")


# --------------------------------------------------------------------------------------
# Traversal and hostile paths


# Spellings that reach the responder as sent: exactly 400 {"detail":"Invalid file path"}.
RESPONDER_TRAVERSAL = [
    "/files/a/../b",                 # stays under /files/ after the web server's normalisation
    "/files/a/%2e%2e/b",
    "/files/%252e%252e/x",           # double-encoded
    "/files/%252e%252e%252fetc%252fpasswd",
    "/files/a/%252E%252E/b",
    "/files/a%5cb",                  # backslash
    "/files/a%5c..%5cb",
    "/files/..%5cx",
    "/files/a%255cb",
    "/files//etc/passwd",            # absolute
    "/files/%2fetc/passwd",
    "/files/%2F%2Fevil.example/x.png",
    "/files/https://evil/x.png",     # a first segment holding ':'
    "/files/https%3A%2F%2Fevil%2Fx.png",
    "/files/https%253A%252F%252Fevil/x.png",
    "/files/c:/x",
    "/files/C:%5cwindows",
]


# Dot segments, which lighttpd resolves before choosing a responder (/files/../x becomes /x,
# the default responder's): every responder refuses a raw REQUEST_URI that holds them, so
# the answer is the files responder's own 400 whichever responder lighttpd picked.
DOT_SEGMENTS = [
    "/files/../x",
    "/files/a/../../x",
    "/files/%2e%2e/x",
    "/files/%2E%2E/etc/passwd",
    "/files/..%2fx",
    "/files/../files/loras/x",
    "/files/temp/%2E%2E/%2E%2E/x",
    "/files/a/./x.png",
    "/files/../api/v1/users/me",
]


@pytest.mark.parametrize("target", RESPONDER_TRAVERSAL + DOT_SEGMENTS)
def test_traversal_400(get, target):
    assert_json(get(target), 400, INVALID)
    assert_json(get(target + "?type=webp"), 400, INVALID)


@pytest.mark.parametrize("target", ["/api/v1/users/./me", "/api/v1/users/%2E%2E/users/me",
                                    "/api/v1/uploads/../users/me"])
def test_dot_segments_400_outside_files(get, target):
    assert_json(get(target), 400, {"detail": "Invalid path"})


@pytest.mark.parametrize("target", ["/files/.../x.png", "/files/.hidden/x.png", "/files/a..b.png"])
def test_dots_that_are_not_segments_redirect(get, target):
    r = get(target)
    assert r.status == 302, r


# What lighttpd refuses itself (encoded control bytes, invalid UTF-8), with its JSON 400;
# never redirected. The responder's own answer to each is checked through CGI in
# test_cgi_traversal_400.
SERVER_RESOLVED = [
    "/files/a%00b",
    "/files/a%0d%0aSet-Cookie:x=y",
    "/files/a%c0%ae%c0%ae/x",        # invalid UTF-8 (overlong '.')
    "/files/%ff.png",
]


@pytest.mark.parametrize("target", SERVER_RESOLVED)
def test_traversal_resolved_by_web_server_never_redirects(get, target):
    r = get(target)
    assert r.status in (400, 404), r
    assert "location" not in r.headers, r
    ct = r.headers.get("content-type", "").split(";")[0].strip().lower()
    assert ct == "application/json" and "detail" in r.json(), r


def test_control_bytes_400(get):
    r = get("/files/a%00b")
    assert r.status == 400, r


def test_location_never_echoes_raw_input(get, storage_url):
    r = get("/files/temp/%22%3E%3Cscript%3E%20%0A.png")   # a newline is refused outright
    assert r.status == 400, r
    r = get('/files/temp/"><script>.png'.replace('"', "%22").replace("<", "%3C").replace(">", "%3E"))
    assert_redirect(r, f"{storage_url}/temp/%22%3E%3Cscript%3E.png")


# --------------------------------------------------------------------------------------
# The responder as plain CGI: Cloudflare mode, s3 public URL, and raw traversal spellings


@pytest.fixture(scope="module")
def files_bin(stack) -> str:
    path = os.path.normpath(os.path.join(os.path.dirname(stack.admin_path), "..", "fcgi-bin",
                                         "files.fcgi"))
    assert os.access(path, os.X_OK), f"{path} is not an executable file"
    return path


CDN = "https://cdn.example.com"
PUB = "https://pub.example.com"


def cgi(files_bin: str, target: str, method: str = "GET", **settings: str) -> Raw:
    """Run files.fcgi once as plain CGI for target (raw REQUEST_URI) and parse its answer."""
    path, _, query = target.partition("?")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GATEWAY_INTERFACE": "CGI/1.1",
        "REQUEST_METHOD": method,
        "REQUEST_URI": target,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        # Nothing listens on port 1: a database connection attempt would answer 503.
        "DATABASE_URL": "postgresql://files@127.0.0.1:1/files",
        "SECRET_KEY": "cgi-test-secret-" + "x" * 32,
    }
    env.update(settings)
    p = subprocess.run([files_bin], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=REQUEST_TIMEOUT)
    assert p.returncode == 0, (p.returncode, p.stderr)
    head, sep, body = p.stdout.partition(b"\r\n\r\n")
    assert sep, p.stdout
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for ln in lines:
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    status = int(headers.pop("status").split()[0])
    return Raw(method, target, status, headers, body)


CF = {"CLOUDFLARE_IMAGE_TRANSFORMS": "true", "CDN_URL": CDN}


@pytest.mark.parametrize("type_", TRANSFORM_TYPES)
def test_cgi_cloudflare_transform(files_bin, type_):
    r = cgi(files_bin, f"/files/temp/photo.png?type={type_}", **CF)
    assert_redirect(r, f"{CDN}/cdn-cgi/image/format={type_},quality=90/temp/photo.png")


def test_cgi_cloudflare_gif_untransformed(files_bin):
    assert_redirect(cgi(files_bin, "/files/temp/anim.gif?type=gif", **CF), f"{CDN}/temp/anim.gif")


def test_cgi_cloudflare_no_type(files_bin):
    assert_redirect(cgi(files_bin, "/files/temp/photo.png", **CF), f"{CDN}/temp/photo.png")


@pytest.mark.parametrize("spelling", ["true", "1", "yes", "on", "T", "Y"])
def test_cgi_cloudflare_boolean_spellings(files_bin, spelling):
    r = cgi(files_bin, "/files/a.png?type=webp", CLOUDFLARE_IMAGE_TRANSFORMS=spelling, CDN_URL=CDN)
    assert_redirect(r, f"{CDN}/cdn-cgi/image/format=webp,quality=90/a.png")


def test_cgi_cloudflare_encoded_path(files_bin):
    r = cgi(files_bin, "/files/temp/a%20b+%C3%A9.png?type=jpeg", **CF)
    assert_redirect(r, f"{CDN}/cdn-cgi/image/format=jpeg,quality=90/temp/a%20b%2B%C3%A9.png")


def test_cgi_cloudflare_cdn_trailing_slash(files_bin):
    r = cgi(files_bin, "/files/x.png?type=png", CLOUDFLARE_IMAGE_TRANSFORMS="true",
            CDN_URL=CDN + "/")
    assert_redirect(r, f"{CDN}/cdn-cgi/image/format=png,quality=90/x.png")


def test_cgi_cloudflare_head(files_bin):
    r = cgi(files_bin, "/files/temp/photo.png?type=webp", method="HEAD", **CF)
    assert_redirect(r, f"{CDN}/cdn-cgi/image/format=webp,quality=90/temp/photo.png")


def test_cgi_cloudflare_bad_type_422(files_bin):
    r = cgi(files_bin, "/files/temp/photo.png?type=bmp", **CF)
    assert_json(r, 422, enum_error("bmp"))


def test_cgi_bad_type_invalid_utf8(files_bin):
    """Reported as U+FFFD like Starlette (lighttpd itself refuses such a URL with 400)."""
    assert_json(cgi(files_bin, "/files/a.png?type=%FF%FE"), 422, enum_error("\ufffd\ufffd"))
    assert_json(cgi(files_bin, "/files/a.png?type=we%E2%9Cbp"), 422, enum_error("we\ufffdbp"))


@pytest.mark.parametrize("target", [
    "/files/https://evil/x.png?type=webp",     # never a transformation of a foreign URL
    "/files/https:%2F%2Fevil%2Fx.png?type=webp",
    "/files//evil.example/x.png?type=webp",
    "/files/../x?type=webp",
])
def test_cgi_cloudflare_foreign_url_refused(files_bin, target):
    assert_json(cgi(files_bin, target, **CF), 400, INVALID)


def test_cgi_cloudflare_private_404(files_bin):
    assert_json(cgi(files_bin, "/files/loras/x.safetensors?type=webp", **CF), 404, NOT_FOUND)
    assert_json(cgi(files_bin, "/files/bulk-uploads/a.zip", **CF), 404, NOT_FOUND)


def test_cgi_cloudflare_empty_404(files_bin):
    assert_json(cgi(files_bin, "/files/?type=webp", **CF), 404, NOT_FOUND)


@pytest.mark.parametrize("type_", (None,) + TYPES)
def test_cgi_dev_mode_uses_r2_public_url(files_bin, type_):
    """Transformations off (development/MinIO): R2_PUBLIC_URL, never the CDN, type ignored."""
    q = f"?type={type_}" if type_ else ""
    r = cgi(files_bin, "/files/temp/p.png" + q, STORAGE_BACKEND="s3",
            R2_ENDPOINT_URL="http://127.0.0.1:9000", R2_ACCESS_KEY_ID="minio",
            R2_SECRET_ACCESS_KEY="minio-secret", R2_BUCKET="files", R2_PUBLIC_URL=PUB,
            CDN_URL=CDN, CLOUDFLARE_IMAGE_TRANSFORMS="false")
    assert_redirect(r, f"{PUB}/temp/p.png")


@pytest.mark.parametrize("target", RESPONDER_TRAVERSAL + SERVER_RESOLVED + [
    "/files/.%2e/x",
    "/files/%2e./x",
    "/files/a/..",
    "/files/..",
    "/files/%25252e%25252e/x",       # triple-encoded
    "/files/a%01b",
    "/files/a%7fb",
    "/files/a%09b",
])
def test_cgi_traversal_400(files_bin, target):
    """The responder's own answer to every spelling, raw REQUEST_URI, no web server between."""
    assert_json(cgi(files_bin, target), 400, INVALID)
    assert_json(cgi(files_bin, target.partition("?")[0] + "?type=webp", **CF), 400, INVALID)


def test_cgi_long_keys(files_bin):
    """A key as uploads make them (temp/{id}_{ts}_{name of 200}.{ext of 16}) redirects; a key
    over 1024 bytes (S3's limit) is no storage path at all."""
    key = f"temp/{uuid.uuid4().hex}_1700000000_{'n' * 200}.{'e' * 16}"
    assert_redirect(cgi(files_bin, f"/files/{key}?type=webp", **CF),
                    f"{CDN}/cdn-cgi/image/format=webp,quality=90/{key}")
    assert_json(cgi(files_bin, "/files/" + "a" * 1025), 400, INVALID)
