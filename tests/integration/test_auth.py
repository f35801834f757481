"""Identity (API.md §2) and authentication errors (API.md §1).

POST /api/v1/login/access-token and GET /api/v1/users/me, plus every way a bearer token
can be wrong. The 12 export-configuration endpoints get the same token matrix in
test_export_config.py.
"""

import time
import uuid

import jwt
import pytest
import requests

from conftest import (ALLOWED_ORIGIN, REQUEST_TIMEOUT, UUID_RE, assert_422, assert_error,
                      assert_status, assert_unauthenticated, body_of, describe, mint_token,
                      unique_email, unsigned_token)

LOGIN = "/api/v1/login/access-token"
ME = "/api/v1/users/me"


# --------------------------------------------------------------------------------------
# Login


def test_login_success_returns_bearer_token(api, make_user, stack):
    u = make_user()
    r = api.login(u.email, u.password)
    body = assert_status(r, 200)
    assert set(body) == {"access_token", "token_type"}, describe(r, "exact keys")
    assert body["token_type"] == "bearer", describe(r)
    tok = body["access_token"]
    header = jwt.get_unverified_header(tok)
    assert header.get("alg") == "HS256", f"token header {header}"
    claims = jwt.decode(tok, stack.secret_key, algorithms=["HS256"])
    assert claims["sub"] == u.id, f"sub {claims.get('sub')!r} != user id {u.id}"
    expected_exp = time.time() + stack.token_minutes * 60
    assert abs(claims["exp"] - expected_exp) < 120, \
        f"exp {claims['exp']} should be now + ACCESS_TOKEN_EXPIRE_MINUTES ({stack.token_minutes} min)"


def test_login_token_works_on_users_me(api, make_user, login):
    u = make_user(full_name="Login Person")
    tok = login(u.email, u.password)
    body = assert_status(api.get(ME, token=tok), 200)
    assert body["id"] == u.id and body["email"] == u.email


def test_login_token_works_on_export_configuration(api, make_user, login):
    u = make_user()
    tok = login(u.email, u.password)
    assert_error(api.get("/api/v1/users/me/export-configuration", token=tok), 404,
                 "Export configuration not found")


def test_login_accepts_oauth2_form_extras(api, make_user):
    """Swagger UI / OAuth2 clients send grant_type=password, scope, client_id."""
    u = make_user()
    r = api.request("POST", LOGIN, data={"grant_type": "password", "username": u.email,
                                         "password": u.password, "scope": "",
                                         "client_id": "", "client_secret": ""})
    assert assert_status(r, 200)["token_type"] == "bearer"


def test_files_admin_token_works(api, make_user, admin):
    u = make_user()
    tok = admin.out("token", "--email", u.email)
    body = assert_status(api.get(ME, token=tok), 200)
    assert body["id"] == u.id


@pytest.mark.parametrize("case", ["wrong-password", "unknown-email", "password-of-other-user",
                                  "email-of-other-case-password"])
def test_login_incorrect_credentials(api, make_user, case):
    u = make_user()
    other = make_user() if case == "password-of-other-user" else None
    if case == "wrong-password":
        r = api.login(u.email, u.password + "x")
    elif case == "unknown-email":
        r = api.login("nobody-" + uuid.uuid4().hex + "@example.com", u.password)
    elif case == "password-of-other-user":
        r = api.login(u.email, other.password)
    else:
        r = api.login(u.email, u.password.upper())
    assert_error(r, 400, "Incorrect email or password")


def test_login_inactive_user(api, make_user):
    u = make_user(active=False)
    assert_error(api.login(u.email, u.password), 400, "Inactive user")


def test_login_inactive_user_wrong_password_is_incorrect(api, make_user):
    """Credentials are checked first (the FastAPI template authenticates, then checks is_active)."""
    u = make_user(active=False)
    assert_error(api.login(u.email, u.password + "x"), 400, "Incorrect email or password")


def test_login_reactivated_user(api, make_user, admin):
    u = make_user(active=False)
    admin.run("set-active", "--email", u.email, "--yes")
    assert assert_status(api.login(u.email, u.password), 200)["token_type"] == "bearer"


@pytest.mark.parametrize("form,missing", [
    pytest.param({"password": "x"}, ["username"], id="no-username"),
    pytest.param({"username": "a@example.com"}, ["password"], id="no-password"),
    pytest.param({}, ["username", "password"], id="empty-form"),
    pytest.param(None, ["username", "password"], id="no-body"),
])
def test_login_missing_fields(api, form, missing):
    if form is None:
        r = api.request("POST", LOGIN)
    else:
        r = api.request("POST", LOGIN, data=form,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_422(r, *[{"type": "missing", "loc": ["body", f], "msg": "Field required"}
                    for f in missing])


def test_login_json_body_is_not_a_form(api, make_user):
    """The endpoint takes a form; a JSON body leaves both form fields missing (FastAPI)."""
    u = make_user()
    r = api.request("POST", LOGIN, json_body={"username": u.email, "password": u.password})
    assert_422(r, {"type": "missing", "loc": ["body", "username"], "msg": "Field required"},
               {"type": "missing", "loc": ["body", "password"], "msg": "Field required"})


def test_login_unknown_email_costs_a_bcrypt_verification(api, make_user):
    """API.md §2: an unknown email still costs one bcrypt verification, so the response
    time does not tell which emails exist. Compared by medians, with a wide margin."""
    u = make_user()

    def median_time(email, password):
        times = []
        for _ in range(5):
            t0 = time.monotonic()
            r = api.login(email, password)
            times.append(time.monotonic() - t0)
            assert_error(r, 400, "Incorrect email or password")
        return sorted(times)[2]

    wrong_pw = median_time(u.email, "wrong-password")
    unknown = median_time("nobody-" + uuid.uuid4().hex + "@example.com", "wrong-password")
    assert unknown >= 0.5 * wrong_pw, \
        f"unknown email answered in {unknown * 1000:.1f} ms, wrong password in " \
        f"{wrong_pw * 1000:.1f} ms: the unknown email skips the bcrypt verification"


def test_login_wrong_method(api):
    assert_error(api.get(LOGIN), 405, "Method Not Allowed")


# --------------------------------------------------------------------------------------
# Login as multipart/form-data: OAuth2PasswordRequestForm reads either encoding, and the
# answers are the urlencoded ones.

MP_BOUNDARY = "login-b0undary"


def multipart(parts, boundary=MP_BOUNDARY) -> bytes:
    """parts: (name, value) text parts, or (name, value, filename) file parts, in order."""
    out = b""
    for p in parts:
        name, value = p[0], p[1]
        value = value.encode() if isinstance(value, str) else value
        disp = f'form-data; name="{name}"'
        if len(p) > 2:
            disp += f'; filename="{p[2]}"'
        out += f"--{boundary}\r\nContent-Disposition: {disp}\r\n".encode()
        if len(p) > 2:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + value + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def mp_login(api, parts=None, body=None, content_type=None):
    body = multipart(parts) if body is None else body
    ct = content_type or f"multipart/form-data; boundary={MP_BOUNDARY}"
    return api.request("POST", LOGIN, data=body, headers={"Content-Type": ct})


def form_login(api, fields):
    return api.request("POST", LOGIN, data=fields,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})


def assert_same_answer(mp, form):
    """The multipart answer is the urlencoded one: status and JSON body."""
    assert mp.status_code == form.status_code and body_of(mp) == body_of(form), \
        describe(mp, f"multipart differs from urlencoded ({form.status_code} {form.text[:300]!r})")


def test_login_multipart_token_works_on_users_me(api, make_user):
    u = make_user()
    body = assert_status(mp_login(api, [("username", u.email), ("password", u.password)]), 200)
    assert set(body) == {"access_token", "token_type"} and body["token_type"] == "bearer", str(body)
    me = assert_status(api.get(ME, token=body["access_token"]), 200)
    assert me["id"] == u.id and me["email"] == u.email, str(me)


def test_login_multipart_from_requests_files(api, make_user):
    """What requests (and browsers' FormData) send: parts without a filename are text."""
    u = make_user()
    r = requests.post(api.url(LOGIN), files={"username": (None, u.email), "password": (None, u.password)},
                      timeout=REQUEST_TIMEOUT)
    assert assert_status(r, 200)["token_type"] == "bearer"


def test_login_multipart_type_any_case_and_quoted_boundary(api, make_user):
    u = make_user()
    r = mp_login(api, [("username", u.email), ("password", u.password)],
                 content_type=f'Multipart/Form-Data; charset=utf-8; boundary="{MP_BOUNDARY}"')
    assert assert_status(r, 200)["token_type"] == "bearer"


def test_login_multipart_password_with_form_syntax_and_utf8(api, admin):
    """Bytes a urlencoded body would escape (& = + % and UTF-8) come through multipart as sent."""
    email, password = unique_email("mp-pw"), "p&w=1+2 %41 \u00e4\u00df \u2713"
    admin.out("create-user", "--email", email, "--password", password)
    assert_status(mp_login(api, [("username", email), ("password", password)]), 200)
    assert_status(form_login(api, {"username": email, "password": password}), 200)
    assert_error(mp_login(api, [("username", email), ("password", password[:-1])]), 400,
                 "Incorrect email or password")


def test_login_multipart_accepts_oauth2_form_extras(api, make_user):
    u = make_user()
    for extras in ([("grant_type", "password"), ("scope", ""), ("client_id", ""), ("client_secret", "")],
                   [("grant_type", "password"), ("scope", "me items:read"), ("client_id", "swagger"),
                    ("client_secret", "s3cret")],
                   [("scope", "x"), ("unknown_field", "ignored")]):
        r = mp_login(api, extras[:1] + [("username", u.email), ("password", u.password)] + extras[1:])
        assert assert_status(r, 200, f"with {extras}")["token_type"] == "bearer"


MISSING = {"type": "missing", "msg": "Field required"}

MP_FIELD_CASES = {
    # name: (fields, expected 422 entries)
    "no-username": ({"password": "x"}, [dict(MISSING, loc=["body", "username"])]),
    "no-password": ({"username": "a@example.com"}, [dict(MISSING, loc=["body", "password"])]),
    "empty-username": ({"username": "", "password": "x"}, [dict(MISSING, loc=["body", "username"])]),
    "empty-password": ({"username": "a@example.com", "password": ""},
                       [dict(MISSING, loc=["body", "password"])]),
    "both-empty": ({"username": "", "password": ""},
                   [dict(MISSING, loc=["body", "username"]), dict(MISSING, loc=["body", "password"])]),
    "only-other-fields": ({"scope": "x", "user": "a@example.com"},
                          [dict(MISSING, loc=["body", "username"]), dict(MISSING, loc=["body", "password"])]),
    "no-parts": ({}, [dict(MISSING, loc=["body", "username"]), dict(MISSING, loc=["body", "password"])]),
    "grant-type-not-password": (
        {"grant_type": "client_credentials", "username": "a@example.com", "password": "x"},
        [{"type": "string_pattern_mismatch", "loc": ["body", "grant_type"], "input": "client_credentials"}]),
    "grant-type-wrong-and-no-password": (
        {"grant_type": "implicit", "username": "a@example.com"},
        [dict(MISSING, loc=["body", "password"]),
         {"type": "string_pattern_mismatch", "loc": ["body", "grant_type"]}]),
}


@pytest.mark.parametrize("case", list(MP_FIELD_CASES))
def test_login_multipart_field_errors_as_urlencoded(api, case):
    fields, expected = MP_FIELD_CASES[case]
    r = mp_login(api, list(fields.items()))
    assert_422(r, *expected)
    assert_same_answer(r, form_login(api, fields))


@pytest.mark.parametrize("case", ["wrong-password", "unknown-email", "inactive", "inactive-wrong-password"])
def test_login_multipart_credentials_as_urlencoded(api, make_user, case):
    u = make_user(active=not case.startswith("inactive"))
    email = "nobody-" + uuid.uuid4().hex + "@example.com" if case == "unknown-email" else u.email
    password = u.password + "x" if case.endswith("wrong-password") else u.password
    r = mp_login(api, [("username", email), ("password", password)])
    assert_error(r, 400, "Inactive user" if case == "inactive" else "Incorrect email or password")
    assert_same_answer(r, form_login(api, {"username": email, "password": password}))


STRING_TYPE = {"type": "string_type", "msg": "Input should be a valid string"}


@pytest.mark.parametrize("parts,expected", [
    pytest.param([("username", "a@example.com", "u.txt"), ("password", "x")],
                 [dict(STRING_TYPE, loc=["body", "username"])], id="username-file"),
    pytest.param([("username", "a@example.com"), ("password", "x", "")],
                 [dict(STRING_TYPE, loc=["body", "password"])], id="password-file-empty-filename"),
    pytest.param([("username", b"\x00\xff\xfe binary", "bin"), ("password", b"", "p")],
                 [dict(STRING_TYPE, loc=["body", "username"]), dict(STRING_TYPE, loc=["body", "password"])],
                 id="both-files"),
    pytest.param([("username", "a@example.com", "u.txt")],
                 [dict(STRING_TYPE, loc=["body", "username"]), dict(MISSING, loc=["body", "password"])],
                 id="username-file-no-password"),
    pytest.param([("username", "a@example.com"), ("password", "x"), ("grant_type", "password", "g")],
                 [dict(STRING_TYPE, loc=["body", "grant_type"])], id="grant-type-file"),
    pytest.param([("username", "a@example.com"), ("password", "x"), ("scope", "s", "s"),
                  ("client_id", "c", "c"), ("client_secret", "c", "c")],
                 [dict(STRING_TYPE, loc=["body", f]) for f in ("scope", "client_id", "client_secret")],
                 id="optional-fields-files"),
])
def test_login_multipart_file_part_is_not_a_string(api, parts, expected):
    """FastAPI hands a part with a filename to the str field as an UploadFile: string_type."""
    assert_422(mp_login(api, parts), *expected)


def test_login_multipart_file_part_does_not_log_in(api, make_user):
    """Even with the right credentials, a file part is not the form's string."""
    u = make_user()
    r = mp_login(api, [("username", u.email), ("password", u.password, "pw.txt")])
    assert_422(r, dict(STRING_TYPE, loc=["body", "password"]))


PARSE_ERROR = "There was an error parsing the body"
GOOD = [("username", "a@example.com"), ("password", "x")]


@pytest.mark.parametrize("body,content_type", [
    pytest.param(multipart(GOOD)[:-len(f"--{MP_BOUNDARY}--\r\n")], None, id="truncated-no-close"),
    pytest.param(multipart(GOOD)[:40], None, id="truncated-in-headers"),
    pytest.param(multipart(GOOD, boundary="other-boundary"), None, id="boundary-not-the-header-one"),
    pytest.param(multipart(GOOD), "multipart/form-data", id="no-boundary-parameter"),
    pytest.param(multipart(GOOD), "multipart/form-data; boundary=", id="empty-boundary"),
    pytest.param(f"--{MP_BOUNDARY}\r\nnot a header\r\n\r\nx\r\n--{MP_BOUNDARY}--\r\n".encode(), None,
                 id="bad-part-header"),
    pytest.param(f"--{MP_BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--{MP_BOUNDARY}--\r\n"
                 .encode(), None, id="part-without-name"),
])
def test_login_multipart_malformed_400(api, body, content_type):
    """Starlette's parser fails and FastAPI answers 400 with this detail."""
    assert_error(mp_login(api, body=body, content_type=content_type), 400, PARSE_ERROR)


def test_login_multipart_empty_body_is_json_4xx(api):
    """No delimiter at all: refused as a parse error or read as an empty form, never a crash."""
    r = mp_login(api, body=b"")
    assert r.status_code in (400, 422), describe(r)
    assert isinstance(body_of(r).get("detail"), (str, list)), describe(r)


@pytest.mark.parametrize("encoding", ["multipart", "urlencoded"])
def test_login_body_over_limit_413(api, make_user, encoding):
    """Both encodings share the 16 KiB login body limit."""
    u = make_user()
    fields = {"username": u.email, "password": u.password, "scope": "s" * (17 * 1024)}
    r = mp_login(api, list(fields.items())) if encoding == "multipart" else form_login(api, fields)
    assert_error(r, 413, "Request body too large")


def test_login_multipart_just_under_limit(api, make_user):
    u = make_user()
    r = mp_login(api, [("username", u.email), ("password", u.password), ("scope", "s" * (15 * 1024))])
    assert assert_status(r, 200)["token_type"] == "bearer"


# --------------------------------------------------------------------------------------
# /users/me


def test_users_me_regular(api, make_user):
    u = make_user(full_name="Ada Lovelace")
    r = api.get(ME, token=u.token)
    body = assert_status(r, 200)
    assert {"id", "email", "full_name", "is_active", "is_superuser"} <= set(body), describe(r)
    assert {k: body[k] for k in ("id", "email", "full_name", "is_active", "is_superuser")} == {
        "id": u.id, "email": u.email, "full_name": "Ada Lovelace", "is_active": True,
        "is_superuser": False}, describe(r)
    assert UUID_RE.match(body["id"]), describe(r, "id lowercase hyphenated")
    for secret_key in ("hashed_password", "password"):
        assert secret_key not in body, describe(r, f"{secret_key} must not be exposed")


def test_users_me_superuser_without_full_name(api, make_user):
    u = make_user(superuser=True)
    body = assert_status(api.get(ME, token=u.token), 200)
    assert body["is_superuser"] is True and body["full_name"] is None and body["id"] == u.id


def test_users_me_token_from_python_service_shape(api, make_user, stack):
    """The exact shape the FastAPI template mints: {"exp": <int>, "sub": "<uuid>"}, HS256."""
    u = make_user()
    tok = jwt.encode({"exp": int(time.time()) + 600, "sub": u.id}, stack.secret_key,
                     algorithm="HS256")
    assert assert_status(api.get(ME, token=tok), 200)["id"] == u.id


def test_users_me_extra_claims_are_ignored(api, make_user, mint):
    u = make_user()
    tok = mint(u.id, extra={"iat": int(time.time()), "iss": "elsewhere", "scope": "x"})
    assert assert_status(api.get(ME, token=tok), 200)["id"] == u.id


def test_users_me_lowercase_bearer_scheme(api, make_user):
    """OAuth2PasswordBearer compares the scheme case-insensitively."""
    u = make_user()
    r = api.get(ME, authorization=f"bearer {u.token}")
    assert assert_status(r, 200)["id"] == u.id


# --------------------------------------------------------------------------------------
# Authentication errors, table-driven. Each case gives the Authorization header value
# (None: no header) built from a fresh user, and the expected status/detail.

NOT_AUTH = (401, "Not authenticated")
BAD_CRED = (403, "Could not validate credentials")


def _past(seconds):
    return int(time.time()) - seconds


AUTH_CASES = {
    # name: (builder(user, stack) -> Authorization header or None, expected)
    "no-header": (lambda u, s: None, NOT_AUTH),
    "empty-header": (lambda u, s: "", NOT_AUTH),
    "basic-scheme": (lambda u, s: "Basic dXNlcjpwYXNz", NOT_AUTH),
    "token-scheme": (lambda u, s: f"Token {u.token}", NOT_AUTH),
    "bare-token-no-scheme": (lambda u, s: u.token, NOT_AUTH),
    "bearer-empty-token": (lambda u, s: "Bearer ", BAD_CRED),
    "bearer-garbage": (lambda u, s: "Bearer garbage", BAD_CRED),
    "bearer-three-garbage-segments": (lambda u, s: "Bearer aaa.bbb.ccc", BAD_CRED),
    "bearer-truncated-signature": (lambda u, s: "Bearer " + u.token[:-4], BAD_CRED),
    "bearer-tampered-payload": (lambda u, s: "Bearer " + _tamper_sub(u.token, s), BAD_CRED),
    "wrong-secret": (lambda u, s: "Bearer " + mint_token("not-the-secret", u.id), BAD_CRED),
    "alg-none": (lambda u, s: "Bearer " + unsigned_token(
        {"sub": u.id, "exp": int(time.time()) + 600}), BAD_CRED),
    "alg-none-with-signature": (lambda u, s: "Bearer " + _alg_none_signed(u, s), BAD_CRED),
    "alg-HS384": (lambda u, s: "Bearer " + mint_token(s.secret_key, u.id, alg="HS384"), BAD_CRED),
    "alg-HS512": (lambda u, s: "Bearer " + mint_token(s.secret_key, u.id, alg="HS512"), BAD_CRED),
    "expired": (lambda u, s: "Bearer " + mint_token(s.secret_key, u.id, exp=_past(120)), BAD_CRED),
    "expired-long-ago": (lambda u, s: "Bearer " + mint_token(s.secret_key, u.id, exp=1300819380),
                         BAD_CRED),
    "no-exp": (lambda u, s: "Bearer " + mint_token(s.secret_key, u.id, omit_exp=True), BAD_CRED),
    "no-sub": (lambda u, s: "Bearer " + mint_token(s.secret_key, omit_sub=True), BAD_CRED),
    "sub-not-uuid": (lambda u, s: "Bearer " + mint_token(s.secret_key, "not-a-uuid"), BAD_CRED),
    "sub-email": (lambda u, s: "Bearer " + mint_token(s.secret_key, u.email), BAD_CRED),
    "sub-integer-string": (lambda u, s: "Bearer " + mint_token(s.secret_key, "42"), BAD_CRED),
    "sub-unknown-user": (lambda u, s: "Bearer " + mint_token(s.secret_key, str(uuid.uuid4())),
                         (404, "User not found")),
}


def _tamper_sub(token: str, stack) -> str:
    """Swap the payload for one naming another user, keeping the original signature."""
    h, _p, sig = token.split(".")
    other = mint_token(stack.secret_key, str(uuid.uuid4()))
    return ".".join([h, other.split(".")[1], sig])


def _alg_none_signed(u, stack) -> str:
    """Header says alg none, but a valid HS256 signature over it is attached."""
    import base64
    import hashlib
    import hmac
    import json as _json

    def b64(b):
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

    signing = b64(_json.dumps({"alg": "none", "typ": "JWT"}).encode()) + "." + \
        b64(_json.dumps({"sub": u.id, "exp": int(time.time()) + 600}).encode())
    sig = hmac.new(stack.secret_key.encode(), signing.encode(), hashlib.sha256).digest()
    return signing + "." + b64(sig)


@pytest.mark.parametrize("case", list(AUTH_CASES))
def test_users_me_auth_errors(api, make_user, stack, case):
    build, (status, detail) = AUTH_CASES[case]
    u = make_user()
    authz = build(u, stack)
    r = api.get(ME, authorization=authz) if authz is not None else api.get(ME)
    if status == 401:
        assert_unauthenticated(r)
    else:
        assert_error(r, status, detail)


def test_users_me_deleted_user(api, make_user, admin):
    u = make_user()
    admin.run("delete-user", "--email", u.email)
    assert_error(api.get(ME, token=u.token), 404, "User not found")


def test_users_me_inactive_user(api, make_user):
    u = make_user(active=False)
    assert_error(api.get(ME, token=u.token), 400, "Inactive user")


def test_users_me_deactivated_after_token_then_reactivated(api, make_user, admin):
    u = make_user()
    assert_status(api.get(ME, token=u.token), 200)
    admin.run("set-active", "--email", u.email, "--no")
    assert_error(api.get(ME, token=u.token), 400, "Inactive user")
    admin.run("set-active", "--email", u.email, "--yes")
    assert_status(api.get(ME, token=u.token), 200)


def test_users_me_inactive_superuser(api, make_user):
    u = make_user(superuser=True, active=False)
    assert_error(api.get(ME, token=u.token), 400, "Inactive user")


def test_users_me_cors_on_auth_error(api):
    """CORS headers are on error responses too (Starlette's middleware wraps everything)."""
    r = api.get(ME, headers={"Origin": ALLOWED_ORIGIN})
    assert_unauthenticated(r)
    assert r.headers.get("Access-Control-Allow-Origin") == ALLOWED_ORIGIN, describe(r)


# A NUL or invalid UTF-8 in a credential is refused before any lookup (issue 9: every form
# string field), in both encodings; the echoed input is valid UTF-8.
UTF8_ERR = {"type": "string_unicode",
            "msg": "Input should be a valid string, unable to parse raw data as a unicode string"}
NUL_ERR = {"type": "value_error", "msg": "Value error, String should not contain a NUL character"}


def test_login_invalid_utf8_username_is_422(api, make_user):
    u = make_user(tag="utf8")
    for body in (b"username=%FF%FE" + u.email.encode() + b"&password=" + u.password.encode(),
                 b"username=" + u.email.encode() + b"%FF&password=" + u.password.encode()):
        assert_422(form_login(api, body), dict(UTF8_ERR, loc=["body", "username"]))
    assert_422(mp_login(api, [("username", b"\xff" + u.email.encode()), ("password", u.password)]),
               dict(UTF8_ERR, loc=["body", "username"], input="\ufffd" + u.email))


def test_login_nul_in_credentials_is_422(api, make_user):
    u = make_user(tag="nul")
    email, pw = u.email.encode(), u.password.encode()
    assert_422(form_login(api, b"username=" + email + b"&password=" + pw + b"%00junk"),
               dict(NUL_ERR, loc=["body", "password"]))
    assert_422(form_login(api, b"username=" + email + b"%00x&password=" + pw),
               dict(NUL_ERR, loc=["body", "username"]))
    assert_422(mp_login(api, [("username", u.email), ("password", pw + b"\x00junk")]),
               dict(NUL_ERR, loc=["body", "password"]))
    # the same credentials without the NUL still log in
    assert_status(form_login(api, b"username=" + email + b"&password=" + pw), 200)


@pytest.mark.parametrize("order", ["wrong-then-right", "right-then-wrong"])
def test_login_repeated_field_last_wins_in_both_encodings(api, make_user, order):
    """A name sent twice: Starlette takes the last value, urlencoded or multipart."""
    u = make_user(tag="repeat")
    pws = ["not-" + u.password, u.password]
    if order == "right-then-wrong":
        pws.reverse()
    mp = mp_login(api, [("username", u.email), ("password", pws[0]), ("password", pws[1])])
    form = form_login(api, [("username", u.email), ("password", pws[0]), ("password", pws[1])])
    if order == "wrong-then-right":
        # both log in (the tokens may differ: their exp can fall in different seconds)
        assert_status(mp, 200)
        assert_status(form, 200)
    else:
        assert_error(mp, 400, "Incorrect email or password")
        assert_same_answer(mp, form)
