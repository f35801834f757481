"""uploads.fcgi in s3 mode, run as plain CGI against the stack's database: the presigned PUT
it issues (s3rver accepting and refusing such URLs is tests/unit/test_storage in s3 mode), and
a store that cannot be reached answering 503 JSON."""
import json
import os
import subprocess
import time
from urllib.parse import parse_qs, urlsplit

import pytest

S3 = {
    "STORAGE_BACKEND": "s3",
    # Nothing listens on port 1: any storage call fails to connect.
    "R2_ENDPOINT_URL": "http://127.0.0.1:1",
    "R2_ACCESS_KEY_ID": "AKIDTEST",
    "R2_SECRET_ACCESS_KEY": "test-secret-key",
    "R2_BUCKET": "media",
    "R2_REGION": "us-east-1",
    "CDN_URL": "https://cdn.example.com",
}


@pytest.fixture(scope="module")
def uploads_bin(stack) -> str:
    path = os.path.normpath(os.path.join(os.path.dirname(stack.admin_path), "..", "fcgi-bin", "uploads.fcgi"))
    assert os.access(path, os.X_OK), f"{path} is not an executable file"
    return path


def cgi(binary, stack, method, uri, body=b"", content_type=None, token=None, **settings):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GATEWAY_INTERFACE": "CGI/1.1",
           "REQUEST_METHOD": method, "REQUEST_URI": uri, "CONTENT_LENGTH": str(len(body)),
           "DATABASE_URL": stack.file_env["DATABASE_URL"], "SECRET_KEY": stack.secret_key}
    if content_type:
        env["CONTENT_TYPE"] = content_type
    if token:
        env["HTTP_AUTHORIZATION"] = "Bearer " + token
    env.update(S3)
    env.update(settings)
    t0 = time.monotonic()
    p = subprocess.run([binary], env=env, input=body, capture_output=True, timeout=60)
    elapsed = time.monotonic() - t0
    assert p.returncode == 0, (p.returncode, p.stderr)
    head, _, out = p.stdout.partition(b"\r\n\r\n")
    headers = {}
    for ln in head.decode("latin-1").split("\r\n"):
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(headers.pop("status").split()[0]), headers, out, elapsed


@pytest.mark.parametrize("size", [None, 1234])
def test_presigned_put_shape(uploads_bin, stack, make_user, size):
    u = make_user(tag="s3p")
    body = {"filename": "a b+c.png", "content_type": "image/png"}
    if size is not None:
        body["size"] = size
    status, headers, out, _ = cgi(uploads_bin, stack, "POST", "/api/v1/uploads/presigned-url",
                                  json.dumps(body).encode(), "application/json", u.token)
    assert status == 200, out
    b = json.loads(out)
    assert "token" not in b
    url = urlsplit(b["upload_url"])
    assert (url.scheme, url.netloc) == ("http", "127.0.0.1:1")
    assert url.path == "/media/" + b["key"]
    q = parse_qs(url.query)
    assert q["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert q["X-Amz-Expires"] == [str(b["expires_in_seconds"])]
    assert q["X-Amz-Credential"][0].startswith("AKIDTEST/") and q["X-Amz-Credential"][0].endswith("/us-east-1/s3/aws4_request")
    signed = "content-length;content-type;host" if size is not None else "content-type;host"
    assert q["X-Amz-SignedHeaders"] == [signed]
    assert len(q["X-Amz-Signature"][0]) == 64 and url.query.endswith(q["X-Amz-Signature"][0])
    assert b["file_url"] == "https://cdn.example.com/" + b["key"]
    assert b["required_headers"] == {"Content-Type": "image/png"}


def test_local_put_is_not_served_in_s3_mode(uploads_bin, stack):
    status, _, out, _ = cgi(uploads_bin, stack, "PUT", "/api/v1/uploads/local/abc.def", b"x", "image/png")
    assert status == 404 and json.loads(out) == {"detail": "Not Found"}


def test_store_down_503(uploads_bin, stack, make_user):
    su = make_user(superuser=True, tag="s3down")
    body = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.pt\"\r\n\r\n"
            + b"x" * 1000 + b"\r\n--b--\r\n")
    status, headers, out, elapsed = cgi(uploads_bin, stack, "POST", "/api/v1/uploads/admin/upload-lora",
                                        body, "multipart/form-data; boundary=b", su.token)
    assert status == 503, out
    assert headers["content-type"] == "application/json"
    assert json.loads(out) == {"detail": "Storage unavailable"}
    assert elapsed < 30
