"""Identity (API.md §2) and authentication errors (API.md §1).

POST /api/v1/login/access-token and GET /api/v1/users/me, plus every way a bearer token
can be wrong. The 12 export-configuration endpoints get the same token matrix in
test_export_config.py.
"""

import time
import uuid

import jwt
import pytest

from conftest import (ALLOWED_ORIGIN, UUID_RE, assert_422, assert_error, assert_status,
                      assert_unauthenticated, body_of, describe, mint_token, unsigned_token)

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
