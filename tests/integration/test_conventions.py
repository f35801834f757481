"""Conventions of API.md §1 that hold for every route: 404 / 405 / 307 (other slash form),
CORS, X-Request-ID and Content-Type, checked on the identity and export-configuration
routes.
"""

import uuid
from urllib.parse import urlsplit

import pytest

from conftest import (ALLOWED_ORIGIN, EVIL_ORIGIN, ME_PATH, REQUEST_ID_RE, assert_error,
                      assert_status, assert_unauthenticated, describe, is_json_response,
                      org_path, user_path)

RAND = "3f2b8a4e-9c1d-4e5f-a6b7-c8d9e0f1a2b3"


@pytest.fixture(scope="module")
def ctx(make_user, make_org, superuser, api):
    """A user with a personal config, a user without, an org of the first (with a config)."""
    with_cfg = make_user(tag="conv")
    without = make_user(tag="conv")
    org = make_org((with_cfg, "member"))
    assert_status(api.post(ME_PATH, token=with_cfg.token, json_body={"image_format": "png"}), 200)
    assert_status(api.post(org_path(org.id), token=with_cfg.token, json_body={}), 200)
    return {"with": with_cfg, "without": without, "org": org, "su": superuser}


# --------------------------------------------------------------------------------------
# 404 for unknown routes


UNKNOWN_ROUTES = [
    "/api/v1/nope",
    "/api/v1/nope/",
    "/api/v1/users/me/export-configurations",
    "/api/v1/users/me/export",
    "/api/v1/users/me/export-configuration/extra",
    f"/api/v1/users/{RAND}/export-configuration/extra",
    f"/api/v1/users/organizations/{RAND}/export-configuration/extra",
    f"/api/v1/users/organizations/{RAND}",
    "/api/v1/export-configuration",
    "/api/v1/export-configuration/",
    "/nope",                                   # outside every responder: the web server's 404
    "/api/v2/users/me/export-configuration",
]


@pytest.mark.parametrize("path", UNKNOWN_ROUTES)
@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("who", ["anonymous", "authenticated"])
def test_unknown_route(api, ctx, path, method, who):
    token = ctx["with"].token if who == "authenticated" else None
    assert_error(api.request(method, path, token=token), 404, "Not Found")


# --------------------------------------------------------------------------------------
# 405 for a method the route does not serve


METHOD_CASES = [
    ("PUT", ME_PATH), ("PUT", user_path(RAND)), ("PUT", org_path(RAND)),
    ("OPTIONS", ME_PATH),  # no preflight headers: just a method nobody serves
    ("PUT", "/api/v1/users/me"),
    ("PUT", "/api/v1/login/access-token"),
]


@pytest.mark.parametrize("method,path", METHOD_CASES, ids=[f"{m}-{p}" for m, p in METHOD_CASES])
@pytest.mark.parametrize("who", ["anonymous", "authenticated"])
def test_method_not_allowed(api, ctx, method, path, who):
    token = ctx["with"].token if who == "authenticated" else None
    kw = {"json_body": {"image_format": "png"}} if method == "PUT" else {}
    assert_error(api.request(method, path, token=token, **kw), 405, "Method Not Allowed")
    # the refused PUT changed nothing
    assert assert_status(api.get(ME_PATH, token=ctx["with"].token), 200)["image_format"] == "png"


# --------------------------------------------------------------------------------------
# 307 to the canonical slash form, query kept


SLASH_PATHS = [ME_PATH, user_path(RAND), org_path(RAND), user_path("not-a-uuid"),
               "/api/v1/users/me", "/api/v1/login/access-token"]


@pytest.mark.parametrize("path", SLASH_PATHS)
@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
@pytest.mark.parametrize("query", ["", "?a=1&b=two"])
def test_trailing_slash_redirects(api, path, method, query):
    """Anonymous on purpose: routing (and so the redirect) comes before authentication."""
    r = api.request(method, path + "/" + query, allow_redirects=False)
    assert r.status_code == 307, describe(r, "expected 307 to the form without the slash")
    loc = r.headers.get("Location")
    assert loc, describe(r, "307 needs a Location")
    parts = urlsplit(loc)
    assert parts.path == path and parts.query == query.lstrip("?"), \
        describe(r, f"Location must point at {path}{query}")
    if parts.netloc:
        assert parts.netloc == urlsplit(api.base_url).netloc, \
            describe(r, "absolute Location must stay on this host")


def test_redirected_post_reaches_the_endpoint(api, make_user):
    u = make_user()
    r = api.post(ME_PATH + "/", token=u.token, json_body={"image_format": "avif"},
                 allow_redirects=True)
    body = assert_status(r, 200)
    assert body["image_format"] == "avif" and body["user_id"] == u.id, describe(r)
    assert [h.status_code for h in r.history] == [307], describe(r, "one 307 hop")


def test_redirected_get_keeps_query(api, make_user):
    u = make_user()
    r = api.get(ME_PATH + "/?x=1", token=u.token, allow_redirects=True)
    assert_error(r, 404, "Export configuration not found")
    assert urlsplit(r.url).query == "x=1"


# --------------------------------------------------------------------------------------
# CORS


def _assert_cors(r):
    assert r.headers.get("Access-Control-Allow-Origin") == ALLOWED_ORIGIN, \
        describe(r, f"Access-Control-Allow-Origin must be {ALLOWED_ORIGIN}")
    assert r.headers.get("Access-Control-Allow-Credentials") == "true", \
        describe(r, "Access-Control-Allow-Credentials must be true")
    vary = [v.strip().lower() for v in r.headers.get("Vary", "").split(",")]
    assert "origin" in vary, describe(r, "Vary must contain Origin")


def _simple(kind, api, ctx, headers):
    w, wo, org, su = ctx["with"], ctx["without"], ctx["org"], ctx["su"]
    return {
        "200-get": lambda: api.get(ME_PATH, token=w.token, headers=headers),
        "200-org-member": lambda: api.get(org_path(org.id), token=w.token, headers=headers),
        "200-users-me": lambda: api.get("/api/v1/users/me", token=w.token, headers=headers),
        "400-post-twice": lambda: api.post(ME_PATH, token=w.token, json_body={}, headers=headers),
        "401-anonymous": lambda: api.get(ME_PATH, headers=headers),
        "403-garbage": lambda: api.get(ME_PATH, authorization="Bearer x", headers=headers),
        "403-other-user": lambda: api.get(user_path(w.id), token=wo.token, headers=headers),
        "404-missing-config": lambda: api.get(ME_PATH, token=wo.token, headers=headers),
        "404-unknown-user": lambda: api.get(user_path(str(uuid.uuid4())), token=su.token,
                                            headers=headers),
        "422-bad-uuid": lambda: api.get(user_path("bad"), token=w.token, headers=headers),
        "422-bad-body": lambda: api.patch(ME_PATH, token=w.token,
                                          json_body={"image_format": "gif"}, headers=headers),
    }[kind]()


SIMPLE_KINDS = ["200-get", "200-org-member", "200-users-me", "400-post-twice", "401-anonymous",
                "403-garbage", "403-other-user", "404-missing-config", "404-unknown-user",
                "422-bad-uuid", "422-bad-body"]


@pytest.mark.parametrize("kind", SIMPLE_KINDS)
def test_cors_allowed_origin(api, ctx, kind):
    r = _simple(kind, api, ctx, {"Origin": ALLOWED_ORIGIN})
    assert r.status_code == int(kind[:3]), describe(r, f"expected {kind[:3]}")
    _assert_cors(r)


@pytest.mark.parametrize("kind", ["200-get", "401-anonymous", "404-missing-config"])
def test_cors_disallowed_origin_simple_request(api, ctx, kind):
    r = _simple(kind, api, ctx, {"Origin": EVIL_ORIGIN})
    assert r.status_code == int(kind[:3]), describe(r, f"expected {kind[:3]}")
    assert "Access-Control-Allow-Origin" not in r.headers, \
        describe(r, "no Access-Control-Allow-Origin for an unlisted origin")
    assert "Access-Control-Allow-Credentials" not in r.headers, describe(r)


@pytest.mark.parametrize("kind", ["200-get", "401-anonymous"])
def test_cors_no_origin_no_headers(api, ctx, kind):
    r = _simple(kind, api, ctx, {})
    assert "Access-Control-Allow-Origin" not in r.headers, describe(r)


PREFLIGHT_PATHS = [ME_PATH, user_path(RAND), org_path(RAND), "/api/v1/users/me",
                   "/api/v1/login/access-token"]


@pytest.mark.parametrize("path", PREFLIGHT_PATHS)
@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
def test_cors_preflight_allowed(api, path, method):
    r = api.request("OPTIONS", path, headers={
        "Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization,content-type,x-request-id"})
    assert r.status_code == 200, describe(r, "preflight from an allowed origin is 200")
    assert r.headers.get("Access-Control-Allow-Origin") == ALLOWED_ORIGIN, describe(r)
    assert r.headers.get("Access-Control-Allow-Credentials") == "true", describe(r)
    methods = [m.strip().upper() for m in r.headers.get("Access-Control-Allow-Methods", "").split(",")]
    assert method in methods or "*" in methods, \
        describe(r, f"Access-Control-Allow-Methods must allow {method}")
    allowed = [h.strip().lower() for h in r.headers.get("Access-Control-Allow-Headers", "").split(",")]
    for h in ("authorization", "content-type", "x-request-id"):
        assert h in allowed, describe(r, f"Access-Control-Allow-Headers must allow {h}")
    # the body's Content-Type is checked once, in test_content_type_json[200-preflight]


@pytest.mark.parametrize("path", PREFLIGHT_PATHS)
@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_cors_preflight_disallowed_origin(api, path, method):
    r = api.request("OPTIONS", path, headers={
        "Origin": EVIL_ORIGIN, "Access-Control-Request-Method": method})
    assert_error(r, 400, "Disallowed CORS origin")
    assert "Access-Control-Allow-Origin" not in r.headers, \
        describe(r, "no Access-Control-Allow-Origin on a refused preflight")


# --------------------------------------------------------------------------------------
# X-Request-ID and Content-Type on every kind of response


def _any(kind, api, ctx, headers):
    if kind in SIMPLE_KINDS:
        return _simple(kind, api, ctx, headers)
    w = ctx["with"]
    h = dict(headers)
    if kind == "200-login":
        return api.login(w.email, w.password, headers=h)
    if kind == "400-login-wrong":
        return api.login(w.email, "wrong", headers=h)
    if kind == "422-login-missing":
        return api.login(w.email, None, headers=h)
    if kind == "404-unknown-route":
        return api.get("/api/v1/nope", headers=h)
    if kind == "405-put":
        return api.request("PUT", ME_PATH, token=w.token, json_body={}, headers=h)
    if kind == "307-slash":
        return api.get(ME_PATH + "/", headers=h)
    if kind == "200-preflight":
        h.update({"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "PATCH"})
        return api.request("OPTIONS", ME_PATH, headers=h)
    if kind == "400-preflight-evil":
        h.update({"Origin": EVIL_ORIGIN, "Access-Control-Request-Method": "PATCH"})
        return api.request("OPTIONS", ME_PATH, headers=h)
    if kind == "413-large-body":
        # over the responder's 64 KiB JSON limit, under the web server's 1 MiB for this
        # route (above it the web server answers its own 413: tests/integration/test_limits.py)
        h["Content-Type"] = "application/json"
        return api.request("POST", ME_PATH, token=ctx["without"].token, headers=h, fresh=True,
                           data=b'{"pad": "' + b"x" * (200 * 1024) + b'"}')
    raise AssertionError(kind)


ALL_KINDS = SIMPLE_KINDS + ["200-login", "400-login-wrong", "422-login-missing",
                            "404-unknown-route", "405-put", "307-slash", "200-preflight",
                            "400-preflight-evil", "413-large-body"]
NO_JSON_BODY_NEEDED = {"307-slash", "200-preflight"}


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_content_type_json(api, ctx, kind):
    r = _any(kind, api, ctx, {})
    assert r.status_code == int(kind[:3]), describe(r, f"expected {kind[:3]}")
    if kind in NO_JSON_BODY_NEEDED and not r.content:
        return
    assert is_json_response(r), describe(r, "Content-Type must be application/json")
    try:
        r.json()
    except ValueError:
        raise AssertionError(describe(r, "body must be JSON")) from None


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_request_id_echoed(api, ctx, kind):
    rid = "it-" + uuid.uuid4().hex
    r = _any(kind, api, ctx, {"X-Request-ID": rid})
    assert r.status_code == int(kind[:3]), describe(r, f"expected {kind[:3]}")
    assert r.headers.get("X-Request-ID") == rid, describe(r, f"X-Request-ID must echo {rid}")


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_request_id_generated(api, ctx, kind):
    r = _any(kind, api, ctx, {})
    assert r.status_code == int(kind[:3]), describe(r, f"expected {kind[:3]}")
    rid = r.headers.get("X-Request-ID")
    assert rid and REQUEST_ID_RE.match(rid), describe(r, "a fresh X-Request-ID is required")


VALID_IDS = {"short": "a", "digits": "0", "mixed": "A.b_c-1", "uuid": str(uuid.uuid4()),
             "max-128": "r" * 128}
INVALID_IDS = {"too-long-129": "r" * 129, "space": "has space", "slash": "a/b",
               "semicolon": "a;b", "quote": 'a"b', "colon": "a:b", "empty": "",
               "percent": "a%0d%0ab"}


@pytest.mark.parametrize("name", list(VALID_IDS))
def test_request_id_valid_forms_echoed(api, ctx, name):
    rid = VALID_IDS[name]
    r = api.get(ME_PATH, token=ctx["with"].token, headers={"X-Request-ID": rid})
    assert_status(r, 200)
    assert r.headers.get("X-Request-ID") == rid, describe(r, f"X-Request-ID must echo {rid!r}")


@pytest.mark.parametrize("name", list(INVALID_IDS))
def test_request_id_invalid_replaced(api, ctx, name):
    rid = INVALID_IDS[name]
    r = api.get(ME_PATH, token=ctx["with"].token, headers={"X-Request-ID": rid})
    assert_status(r, 200)
    got = r.headers.get("X-Request-ID")
    assert got and got != rid and REQUEST_ID_RE.match(got), \
        describe(r, f"an invalid X-Request-ID {rid!r} must be replaced by a fresh one")


def test_request_ids_are_fresh_each_time(api):
    ids = set()
    for _ in range(5):
        r = api.get(ME_PATH)
        assert_unauthenticated(r)
        ids.add(r.headers.get("X-Request-ID"))
    assert len(ids) == 5 and None not in ids, f"request ids repeat: {ids}"
