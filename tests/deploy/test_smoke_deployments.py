"""Deployment smoke tests: the same small set of requests against every deployment of
sartiq-files (see conftest.py): Apache + mod_fcgid, Apache + mod_proxy_fcgi + spawn-fcgi,
Apache + mod_cgid, a shared host (.htaccess + CGI), and the responders run as plain CGI
from a shell. The integration tests (tests/integration, behind lighttpd) check the API in
depth; these check that each deployment carries it whole: routing of every URL space, the
Authorization header, request bodies (with and without a length), status codes, headers
and JSON error bodies, the responder's own limits, and the errors Apache answers itself.
"""

from __future__ import annotations

import os
import json
import uuid

import pytest

from integration_conftest import (ALLOWED_ORIGIN, ME_PATH, UUID_RE, assert_422, assert_config,
                                  assert_error, assert_status, assert_unauthenticated, body_of,
                                  describe, org_path, user_path)

from conftest import raw_http  # tests/deploy/conftest.py

LOGIN = "/api/v1/login/access-token"
ME = "/api/v1/users/me"
DELETED = {"message": "Export configuration deleted successfully"}
NOT_FOUND = "Export configuration not found"


@pytest.fixture
def person(dep, make_user):
    """A fresh user whose token comes from this deployment's login."""
    u = make_user(tag="deploy")
    r = dep.login(u.email, u.password)
    body = assert_status(r, 200, f"(login through {dep.name})")
    u.token = body["access_token"]
    return u


# --------------------------------------------------------------------------------------
# Identity


def test_smoke_login_and_users_me(dep, make_user):
    u = make_user(full_name="Deploy Smoke", tag="deploy")
    r = dep.login(u.email, u.password)
    body = assert_status(r, 200, f"(login through {dep.name})")
    assert set(body) == {"access_token", "token_type"} and body["token_type"] == "bearer", \
        describe(r, "login answer")
    r = dep.get(ME, token=body["access_token"], headers={"X-Request-ID": "smoke-me.1"})
    me = assert_status(r, 200)
    assert me["id"] == u.id and me["email"] == u.email and me["full_name"] == "Deploy Smoke", \
        describe(r, "the logged-in user")
    assert r.headers.get("X-Request-ID") == "smoke-me.1", describe(r, "X-Request-ID kept")


def test_smoke_wrong_password(dep, make_user):
    u = make_user(tag="deploy")
    assert_error(dep.login(u.email, "not-" + u.password), 400, "Incorrect email or password")


def test_smoke_401_without_token(dep):
    r = dep.get(ME)
    assert_unauthenticated(r)
    assert r.headers.get("X-Request-ID"), describe(r, "the responder's own 401")


def test_smoke_403_bad_token(dep):
    """The Authorization header reaches the responder (a garbage token is 403, not 401)."""
    assert_error(dep.get(ME, token="not.a.jwt"), 403, "Could not validate credentials")


# --------------------------------------------------------------------------------------
# Export configuration


def test_smoke_export_config_create_get_patch_delete(dep, person):
    r = dep.get(ME_PATH, token=person.token)
    assert_error(r, 404, NOT_FOUND)
    r = dep.post(ME_PATH, token=person.token, json_body={"image_format": "png"})
    created = assert_config(r, user_id=person.id, org_id=None, image_format="png",
                            metadata_adapter="default")
    # the same configuration by id: the /users/{uuid}/ URL space
    r = dep.get(user_path(person.id), token=person.token)
    got = assert_config(r, user_id=person.id, org_id=None, image_format="png",
                        metadata_adapter="default")
    assert got["id"] == created["id"], describe(r, "same config by id")
    r = dep.patch(ME_PATH, token=person.token, json_body={"metadata_adapter": "ovs"})
    patched = assert_config(r, user_id=person.id, org_id=None, image_format="png",
                            metadata_adapter="ovs")
    assert patched["id"] == created["id"], describe(r)
    r = dep.post(ME_PATH, token=person.token, json_body={})
    assert r.status_code == 400, describe(r, "a second POST is 400")
    r = dep.delete(user_path(person.id), token=person.token)
    assert assert_status(r, 200) == DELETED, describe(r)
    assert_error(dep.get(ME_PATH, token=person.token), 404, NOT_FOUND)


def test_smoke_org_export_config(dep, make_user, make_org):
    """The /users/organizations/{uuid}/ URL space."""
    u = make_user(tag="deploy")
    org = make_org((u, "member"))
    tok = assert_status(dep.login(u.email, u.password), 200)["access_token"]
    path = org_path(org.id)
    r = dep.post(path, token=tok, json_body={"image_format": "jpeg"})
    assert_config(r, user_id=u.id, org_id=org.id, image_format="jpeg", metadata_adapter="default")
    r = dep.get(path, token=tok)
    assert_config(r, user_id=u.id, org_id=org.id, image_format="jpeg", metadata_adapter="default")
    assert assert_status(dep.delete(path, token=tok), 200) == DELETED
    assert_error(dep.get(org_path(str(uuid.uuid4())), token=tok), 404, "Organization not found")


def test_smoke_422(dep, person):
    r = dep.post(ME_PATH, token=person.token,
                 json_body={"image_format": "gif", "metadata_adapter": "none"})
    assert_422(r, {"type": "enum", "loc": ["body", "image_format"], "input": "gif"},
               {"type": "enum", "loc": ["body", "metadata_adapter"], "input": "none"})
    r = dep.get(user_path("not-a-uuid"), token=person.token)
    assert_422(r, {"type": "uuid_parsing", "loc": ["path", "user_id"]})


def test_smoke_chunked_body_arrives_whole(dep, person):
    """A body without a length: Transfer-Encoding: chunked over HTTP (mod_proxy_fcgi passes
    it on without CONTENT_LENGTH), no CONTENT_LENGTH as plain CGI: read to its end."""
    body = json.dumps({"image_format": "avif", "metadata_adapter": "ovs",
                       "padding": "x" * 3000}).encode()
    r = dep.post(ME_PATH, token=person.token, data=body, chunked=True,
                 headers={"Content-Type": "application/json"})
    assert_config(r, user_id=person.id, org_id=None, image_format="avif", metadata_adapter="ovs")
    r = dep.get(ME_PATH, token=person.token)
    assert_config(r, user_id=person.id, org_id=None, image_format="avif", metadata_adapter="ovs")


def test_smoke_chunked_empty_body(dep, person):
    r = dep.post(ME_PATH, token=person.token, data=b"", chunked=True,
                 headers={"Content-Type": "application/json"})
    assert_422(r, {"type": "missing", "loc": ["body"]})


def test_smoke_body_over_limit_is_the_responders_413(dep, person):
    """100 KB of JSON: above the responders' 64 KiB limit for JSON bodies and below every
    web-server limit (mod_fcgid's FcgidMaxRequestLen included), so the answer is the
    responder's own 413 (it carries X-Request-ID)."""
    big = json.dumps({"image_format": "png", "padding": "x" * 100_000}).encode()
    r = dep.post(ME_PATH, token=person.token, data=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and isinstance(body_of(r).get("detail"), str), \
        describe(r, "expected the responder's 413")
    assert r.headers.get("X-Request-ID"), describe(r, "the responder's 413 has X-Request-ID")
    r = dep.post(ME_PATH, token=person.token, data=big, chunked=True,
                 headers={"Content-Type": "application/json"})
    assert r.status_code == 413, describe(r, "expected 413 for a chunked body over the limit")
    body_of(r)
    assert_error(dep.get(ME_PATH, token=person.token), 404, NOT_FOUND)


# --------------------------------------------------------------------------------------
# Routing, URLs and headers


@pytest.mark.parametrize("path", ["/api/v1/no-such-route", "/no-such-path",
                                  "/api/v1/users/me/export-configuration/extra", "/"])
def test_smoke_unknown_path_is_json_404(dep, path):
    assert_error(dep.get(path), 404, "Not Found")


def test_smoke_wrong_method_is_405(dep, person):
    r = dep.request("PUT", ME, token=person.token)
    assert_error(r, 405, "Method Not Allowed")


def test_smoke_cors_preflight(dep):
    r = dep.request("OPTIONS", ME_PATH, headers={"Origin": ALLOWED_ORIGIN,
                                                 "Access-Control-Request-Method": "PATCH"})
    assert r.status_code == 200, describe(r, "preflight from a listed origin")
    assert r.headers.get("Access-Control-Allow-Origin") == ALLOWED_ORIGIN, describe(r)
    assert "PATCH" in r.headers.get("Access-Control-Allow-Methods", ""), describe(r)
    r = dep.request("OPTIONS", ME_PATH, headers={"Origin": "http://evil.example",
                                                 "Access-Control-Request-Method": "PATCH"})
    assert_error(r, 400, "Disallowed CORS origin")


def test_smoke_request_uri_is_raw(dep, person):
    """The responders route on REQUEST_URI as the client sent it: an encoded slash stays
    inside one path segment (a bad UUID, 422), where a decoded URI would be a 404 route.
    On the shared host Apache itself refuses %2F (AllowEncodedSlashes is the host's), with
    the host's own 404 page: a documented limit of that deployment."""
    r = dep.get("/api/v1/users/ab%2Fcd/export-configuration", token=person.token)
    if dep.name == "htaccess":
        assert r.status_code == 404, describe(r, "Apache's own 404 for %2F on a shared host")
        return
    assert_422(r, {"type": "uuid_parsing", "loc": ["path", "user_id"]})
    # percent-encoded "me" is the caller's own configuration, as the responder decodes it
    assert_error(dep.get("/api/v1/users/%6De/export-configuration", token=person.token),
                 404, NOT_FOUND)


@pytest.mark.parametrize("path", ["/files/%2e%2e/etc/passwd", "/files/a/../b.png",
                                  "/api/v1/users/./me", "/api/v1/users/%2E/me"])
def test_smoke_dot_segments_are_400(http_dep, path):
    """A path with "." or ".." segments, in any spelling, is refused before routing (the web
    server would resolve it and hand the raw REQUEST_URI to another responder)."""
    r = raw_http(http_dep.url, f"GET {path} HTTP/1.1\r\nHost: deploy.test\r\n"
                               f"Connection: close\r\n\r\n".encode())
    assert r.status == 400 and r.headers.get("Content-Type") == "application/json", r.raw[:500]
    assert isinstance(r.json().get("detail"), str), r.raw[:500]


def test_smoke_trailing_slash_and_query(dep, person):
    assert_status(dep.get(ME + "?x=%2F&y=1", token=person.token), 200)
    for path in (ME, ME_PATH):
        r = dep.get(path + "/?q=%2F", token=person.token)
        assert r.status_code == 307 and r.headers.get("Location") == path + "?q=%2F", \
            describe(r, "307 to the canonical form, query kept as sent")


# --------------------------------------------------------------------------------------
# Plain CGI from a shell only


def test_smoke_shell_cgi_without_request_uri(shell_dep, make_user):
    """Plain CGI may lack REQUEST_URI: the responders rebuild it from SCRIPT_NAME,
    PATH_INFO and QUERY_STRING."""
    shell = shell_dep
    u = make_user(tag="deploy")
    r = shell.login(u.email, u.password)
    tok = assert_status(r, 200)["access_token"]
    r = shell.get(ME, token=tok, cgi_env={"REQUEST_URI": None, "SCRIPT_NAME": "/api/v1",
                                          "PATH_INFO": "/users/me"})
    assert assert_status(r, 200)["id"] == u.id


# --------------------------------------------------------------------------------------
# What Apache answers itself (server configurations of httpd-conf/)


def test_smoke_apache_404_outside_the_responders_is_json(server_dep):
    """/storage/ is Apache's own location (local storage): its 404 is the ErrorDocument's
    JSON with the status kept, and the error bodies are not reachable directly."""
    for path in ("/storage/loras/x.safetensors", "/storage/temp/no-such-file.png",
                 "/.sartiq-errors/json-404.html"):
        r = server_dep.get(path)
        assert_error(r, 404, "Not Found")
        assert "X-Request-ID" not in r.headers, describe(r, "Apache's 404, not a responder's")


def test_smoke_apache_storage_static(server_dep, storage_of):
    """The local storage backend's /storage/ location, served by Apache itself."""
    name = f"smoke-{uuid.uuid4().hex}"
    png = storage_of(server_dep) / "temp" / f"{name}.png"
    html = storage_of(server_dep) / "temp" / f"{name}.html"
    png.write_bytes(b"\x89PNG\r\n\x1a\nsmoke")
    html.write_bytes(b"<script>alert(1)</script>")
    try:
        for path, ctype, content in ((png, "image/png", png.read_bytes()),
                                     (html, "application/octet-stream", html.read_bytes())):
            r = server_dep.get(f"/storage/temp/{path.name}")
            assert r.status_code == 200 and r.content == content, describe(r, "static file")
            assert r.headers.get("Content-Type") == ctype, describe(r, f"Content-Type {ctype}")
            assert r.headers.get("X-Content-Type-Options") == "nosniff", describe(r)
            assert r.headers.get("Content-Security-Policy") == "sandbox", describe(r)
        r = server_dep.request("PUT", f"/storage/temp/{png.name}", data=b"x")
        assert_error(r, 405, "Method Not Allowed")
    finally:
        png.unlink(missing_ok=True)
        html.unlink(missing_ok=True)


def test_smoke_apache_broken_request_is_json_400(server_dep):
    r = raw_http(server_dep.url, b"GARBAGE\r\n\r\n")
    assert r.status == 400 and r.json() == {"detail": "Bad Request"}, r.raw[:500]
    assert r.headers.get("Content-Type") == "application/json", r.raw[:500]


def test_smoke_declared_body_over_server_limit_is_json_413(http_dep, make_user, mint):
    """A body declared above the web server's limit (and not sent) is Apache's 413 (JSON) at
    once, not a wait for the body nor a request passed on without it."""
    token = mint(make_user(tag="deploy").id)
    req = (f"POST {ME_PATH} HTTP/1.1\r\nHost: deploy.test\r\n"
           f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
           f"Content-Length: 99999999999\r\nConnection: close\r\n\r\n").encode()
    r = raw_http(http_dep.url, req)
    assert r.status == 413 and r.json() == {"detail": "Request Entity Too Large"}, r.raw[:500]
    assert r.headers.get("Content-Type") == "application/json", r.raw[:500]
    assert r.headers.get("X-Content-Type-Options") == "nosniff", r.raw[:500]



def test_smoke_local_upload_chunked_arrives_whole(http_dep, make_user, storage_of):
    """presign -> chunked PUT to the local upload endpoint (mod_proxy_fcgi passes it without
    CONTENT_LENGTH) -> the stored file holds every byte."""
    import hashlib
    from urllib.parse import urlsplit
    data = bytes(range(256)) * 400 + b"tail"
    person = make_user(tag="chunk")
    r = http_dep.post("/api/v1/uploads/presigned-url", token=person.token,
                      json_body={"filename": "chunked.zip", "content_type": "application/zip"})
    assert r.status_code == 200, describe(r, "presign")
    b = r.json()
    r = http_dep.request("PUT", urlsplit(b["upload_url"]).path, data=data, chunked=True,
                         headers={"Content-Type": "application/zip"})
    assert r.status_code == 200, describe(r, "chunked local PUT")
    assert r.json()["size"] == len(data)
    stored = storage_of(http_dep) / b["key"]
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------
# Products and the media location (API.md §6, §4.1)

MEDIA_TYPES = (("jpg", "image/jpeg"), ("png", "image/png"), ("webp", "image/webp"), ("gif", "image/gif"),
               ("avif", "image/avif"), ("pdf", "application/pdf"), ("zip", "application/zip"),
               ("mp4", "video/mp4"), ("mp3", "audio/mpeg"), ("html", "application/octet-stream"),
               ("svg", "application/octet-stream"))


def test_smoke_products_and_shootings(dep, person):
    s = assert_status(dep.post("/api/v1/shootings", token=person.token, json_body={"name": "smoke"}), 200)
    p = assert_status(dep.post("/api/v1/products", token=person.token,
                               json_body={"sku": "smoke-" + uuid.uuid4().hex[:8], "name": "n",
                                          "shooting_id": s["id"], "attributes": {"a": 1}}), 200)
    assert p["shooting_id"] == s["id"] and p["attributes"] == {"a": 1} and p["images"] == []
    assert assert_status(dep.get(f"/api/v1/products/{p['id']}", token=person.token), 200)["id"] == p["id"]
    lst = assert_status(dep.get("/api/v1/products?limit=1", token=person.token), 200)
    assert lst["count"] >= 1 and len(lst["data"]) == 1
    assert assert_status(dep.get(f"/api/v1/shootings/{s['id']}", token=person.token), 200)["product_ids"] == [p["id"]]
    assert_status(dep.delete(f"/api/v1/products/{p['id']}", token=person.token), 200)
    assert_error(dep.get(f"/api/v1/products/{p['id']}", token=person.token), 404, "Product not found")
    assert_422(dep.post("/api/v1/products", token=person.token, json_body={"name": "n"}),
               {"type": "missing", "loc": ["body", "sku"]})


def test_smoke_product_image_served_from_media(http_dep, make_user, storage_of):
    """presign -> local PUT -> product -> the canonical media/ URL, through this deployment."""
    from urllib.parse import urlsplit
    data = b"\x89PNG\r\n\x1a\n" + uuid.uuid4().bytes * 50
    person = make_user(tag="media")
    b = assert_status(http_dep.post("/api/v1/uploads/presigned-url", token=person.token,
                                    json_body={"filename": "p.png", "content_type": "image/png"}), 200)
    assert_status(http_dep.request("PUT", urlsplit(b["upload_url"]).path, data=data,
                                   headers={"Content-Type": "image/png"}), 200)
    p = assert_status(http_dep.post("/api/v1/products", token=person.token,
                                    json_body={"sku": "m-" + uuid.uuid4().hex[:8], "name": "n",
                                               "cover_image_url": b["file_url"]}), 200)
    from conftest import SERVER_CONFIGS
    path = urlsplit(p["cover_image_url"]).path
    assert path.startswith("/storage/media/") and path.endswith("/file.png")
    stored = storage_of(http_dep)
    assert (stored / path[len("/storage/"):]).read_bytes() == data
    assert not (stored / b["key"]).exists(), "the temp object is left"
    if http_dep.name not in SERVER_CONFIGS:
        return      # a shared host has no /storage/ location (httpd-conf/cgi/htaccess.in)
    r = http_dep.get(path)
    assert r.status_code == 200 and r.content == data, describe(r, "the canonical URL")
    assert r.headers.get("Content-Type") == "image/png"
    assert r.headers.get("X-Content-Type-Options") == "nosniff"
    assert r.headers.get("Content-Security-Policy") == "sandbox"


def test_smoke_apache_media_static(server_dep, storage_of):
    """Real media/ objects: the fixed Content-Type table, both headers; no listing, no private prefix."""
    rid = str(uuid.uuid4())
    root = storage_of(server_dep)
    made = []
    # Directories planted here belong to the storage's owner (the responders' user), so a later
    # upload under loras/ or bulk-uploads/ can still create and close its own directories there.
    owner = root.stat()

    def plant_dir(d):
        missing = [p for p in [d, *d.parents] if not p.exists() and root in p.parents]
        d.mkdir(parents=True, exist_ok=True)
        for p in missing:
            os.chown(p, owner.st_uid, owner.st_gid)
    try:
        for ext, ctype in MEDIA_TYPES:
            f = root / "media" / rid / f"file.{ext}"
            plant_dir(f.parent)
            f.write_bytes(b"media " + ext.encode())
            made.append(f)
            r = server_dep.get(f"/storage/media/{rid}/file.{ext}")
            assert r.status_code == 200 and r.content == f.read_bytes(), describe(r, ext)
            assert r.headers.get("Content-Type") == ctype, describe(r, f"Content-Type of .{ext}")
            assert r.headers.get("X-Content-Type-Options") == "nosniff", describe(r)
            assert r.headers.get("Content-Security-Policy") == "sandbox", describe(r)
        for private in ("loras", "bulk-uploads"):
            f = root / private / rid / "x.png"
            plant_dir(f.parent)
            f.write_bytes(b"private")
            made.append(f)
            assert_error(server_dep.get(f"/storage/{private}/{rid}/x.png"), 404, "Not Found")
        for listing in (f"/storage/media/{rid}/", f"/storage/media/{rid}", "/storage/media/", "/storage/"):
            assert_error(server_dep.get(listing), 404, "Not Found")
    finally:
        for f in made:
            f.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------
# Bulk upload (API.md §7): the responder behind each deployment; the import itself is files-cron's


def test_smoke_bulk_upload(dep, person):
    import io
    import zipfile
    from urllib3 import encode_multipart_formdata
    zb = io.BytesIO()
    with zipfile.ZipFile(zb, "w") as z:
        z.writestr("p.csv", "sku,name\nB1,n\n")
        z.writestr("B1/cover.jpg", b"\xff\xd8\xff\xe0" + uuid.uuid4().bytes * 20)
    body, ctype = encode_multipart_formdata({"file": ("smoke.zip", zb.getvalue(), "application/zip")})
    t = assert_status(dep.post("/api/v1/products/bulk-upload/", token=person.token, data=body,
                               headers={"Content-Type": ctype}), 200)
    assert t["status"] == "PENDING" and t["filename"] == "smoke.zip" and t["file_url"] is None
    assert assert_status(dep.get(f"/api/v1/products/bulk-upload/{t['id']}", token=person.token), 200)["id"] == t["id"]
    assert assert_status(dep.get(f"/api/v1/products/bulk-upload/{t['id']}/errors", token=person.token), 200) == []
    lst = assert_status(dep.get("/api/v1/products/bulk-upload?limit=1", token=person.token), 200)
    assert isinstance(lst, list) and len(lst) == 1
    body, ctype = encode_multipart_formdata({"file": ("x.zip", b"not a zip", "application/zip")})
    assert_error(dep.post("/api/v1/products/bulk-upload", token=person.token, data=body,
                          headers={"Content-Type": ctype}), 400, "The file is not a ZIP archive")


# --------------------------------------------------------------------------------------
# openapi (issue 12): the document, /docs and /demo/ on every Apache deployment


def test_smoke_openapi_document(dep):
    r = dep.get("/api/v1/openapi.json", headers={"X-Request-ID": "smoke-doc"})
    body = assert_status(r, 200, f"(document through {dep.name})")
    assert body["openapi"].startswith("3.1") and "/api/v1/uploads/presigned-url" in body["paths"]
    assert r.headers.get("X-Request-ID") == "smoke-doc", describe(r, "X-Request-ID echoed")


@pytest.mark.parametrize("path,ctype,needle", [
    ("/docs/", "text/html", b"swagger-ui-bundle.js"),
    ("/docs/swagger-ui/swagger-ui-bundle.js", "text/javascript", b"SwaggerUIBundle"),
    ("/demo/", "text/html", b"demo.js"),
    ("/demo/demo.js", "text/javascript", b"XMLHttpRequest"),
])
def test_smoke_docs_and_demo(http_dep, path, ctype, needle):
    r = http_dep.get(path)
    assert r.status_code == 200 and needle in r.content, describe(r, f"{path} served statically")
    assert r.headers.get("Content-Type", "").startswith(ctype), describe(r, f"{path} is {ctype}")
    r = http_dep.get(path.rstrip("/").rsplit("/", 1)[0] + "/no-such-file.js")
    assert_error(r, 404, "Not Found")
