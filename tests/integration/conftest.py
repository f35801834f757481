"""Shared fixtures for the integration tests of sartiq-files.

The tests run against a real stack (PostgreSQL + web server + FastCGI responders)
started by scripts/run-tests, which passes it in through these variables:

  FILES_BASE_URL   http://127.0.0.1:PORT
  FILES_ENV_FILE   shell file of `export KEY='value'` lines (DATABASE_URL, SECRET_KEY, ...)
  FILES_ADMIN      path of the files-admin binary
  FILES_PG_STOP    shell command stopping the test PostgreSQL
  FILES_PG_START   shell command starting it again

Nothing is skipped: a missing variable makes every test fail with a message naming it.
Every test makes its own users (uuid-based e-mails), so tests are independent and the
suite can be run again against the same database.

Run with the Debian interpreter: /usr/bin/python3 -m pytest tests/integration
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shlex
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Optional

import jwt
import pytest
import requests

REQUIRED_VARS = ("FILES_BASE_URL", "FILES_ENV_FILE", "FILES_ADMIN",
                 "FILES_PG_STOP", "FILES_PG_START")

REQUEST_TIMEOUT = 15  # seconds; no request of these tests may hang longer
ALLOWED_ORIGIN = "http://allowed.example"
EVIL_ORIGIN = "http://evil.example"

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
UUID4_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
RFC3339_Z_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z$")
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")

ME_PATH = "/api/v1/users/me/export-configuration"


def user_path(user_id: str) -> str:
    return f"/api/v1/users/{user_id}/export-configuration"


def org_path(org_id: str) -> str:
    return f"/api/v1/users/organizations/{org_id}/export-configuration"


# --------------------------------------------------------------------------------------
# Environment of the stack


def parse_env_file(path: str) -> dict:
    """Parse lines `export KEY='value'` (also `KEY=value`, comments, blank lines)."""
    out = {}
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                words = shlex.split(line)
            except ValueError as exc:
                raise ValueError(f"{path}:{lineno}: cannot parse {line!r}: {exc}") from None
            if words and words[0] == "export":
                words = words[1:]
            for w in words:
                if "=" not in w:
                    raise ValueError(f"{path}:{lineno}: not KEY=value: {line!r}")
                k, v = w.split("=", 1)
                out[k] = v
    return out


@dataclass
class Stack:
    base_url: str
    env_file: str
    admin_path: str
    pg_stop: str
    pg_start: str
    file_env: dict

    @property
    def secret_key(self) -> str:
        return self.file_env["SECRET_KEY"]

    @property
    def child_env(self) -> dict:
        """Environment for files-admin and the PostgreSQL commands."""
        env = dict(os.environ)
        env.update(self.file_env)
        return env

    @property
    def token_minutes(self) -> int:
        return int(self.file_env.get("ACCESS_TOKEN_EXPIRE_MINUTES", "11520"))


@pytest.fixture(scope="session")
def stack() -> Stack:
    missing = [v for v in REQUIRED_VARS if not os.environ.get(v)]
    if missing:
        pytest.fail("integration tests need the stack started by scripts/run-tests; "
                    "missing environment variable(s): " + ", ".join(missing), pytrace=False)
    env_file = os.environ["FILES_ENV_FILE"]
    if not os.path.isfile(env_file):
        pytest.fail(f"FILES_ENV_FILE={env_file!r} is not a readable file", pytrace=False)
    admin = os.environ["FILES_ADMIN"]
    if not (os.path.isfile(admin) and os.access(admin, os.X_OK)):
        pytest.fail(f"FILES_ADMIN={admin!r} is not an executable file", pytrace=False)
    file_env = parse_env_file(env_file)
    for key in ("SECRET_KEY", "DATABASE_URL"):
        if not file_env.get(key):
            pytest.fail(f"{env_file} does not set {key}", pytrace=False)
    cors = file_env.get("CORS_ORIGINS", os.environ.get("CORS_ORIGINS"))
    if cors is not None and ALLOWED_ORIGIN not in [o.strip() for o in cors.split(",")]:
        pytest.fail(f"the stack must run with CORS_ORIGINS={ALLOWED_ORIGIN} (has {cors!r})",
                    pytrace=False)
    return Stack(base_url=os.environ["FILES_BASE_URL"].rstrip("/"), env_file=env_file,
                 admin_path=admin, pg_stop=os.environ["FILES_PG_STOP"],
                 pg_start=os.environ["FILES_PG_START"], file_env=file_env)


# --------------------------------------------------------------------------------------
# HTTP client


_UNSET = object()


class Verbs:
    """get/post/patch/delete through the class's request(); also the deployment tests' client."""

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


class Api(Verbs):
    """Thin wrapper over requests: base URL, timeout, no redirects unless asked."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.session = requests.Session()

    def url(self, path: str) -> str:
        return self.base_url + path

    def request(self, method: str, path: str, *, token: Optional[str] = None,
                authorization: Optional[str] = None, headers: Optional[dict] = None,
                json_body: Any = _UNSET, data: Any = None, timeout: float = REQUEST_TIMEOUT,
                allow_redirects: bool = False, fresh: bool = False) -> requests.Response:
        h = {}
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        if authorization is not None:
            h["Authorization"] = authorization
        if headers:
            h.update(headers)
        kw = dict(headers=h, timeout=timeout, allow_redirects=allow_redirects)
        if json_body is not _UNSET:
            kw["data"] = json.dumps(json_body).encode()
            h.setdefault("Content-Type", "application/json")
        elif data is not None:
            kw["data"] = data
        if fresh:
            return requests.request(method, self.url(path), **kw)
        try:
            return self.session.request(method, self.url(path), **kw)
        except requests.exceptions.ConnectionError as e:
            # lighttpd closes a keep-alive connection idle for 5 s (server.max-keep-alive-idle);
            # a request sent on it as it closes gets no answer at all and was never handled:
            # send it once more on a new connection. Anything else is the test's failure.
            if "RemoteDisconnected" not in repr(e) or hasattr(kw.get("data"), "read"):
                raise
            self.session.close()
            return self.session.request(method, self.url(path), **kw)

    def login(self, username: Optional[str], password: Optional[str], **kw) -> requests.Response:
        form = {}
        if username is not None:
            form["username"] = username
        if password is not None:
            form["password"] = password
        return self.request("POST", "/api/v1/login/access-token", data=form, **kw)


@pytest.fixture(scope="session")
def api(stack) -> Api:
    a = Api(stack.base_url)
    yield a
    a.session.close()


# --------------------------------------------------------------------------------------
# files-admin, users, organizations


class Admin:
    def __init__(self, stack: Stack):
        self.stack = stack

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [self.stack.admin_path, *args]
        p = subprocess.run(cmd, env=self.stack.child_env, capture_output=True, text=True,
                           timeout=120)
        if check and p.returncode != 0:
            raise AssertionError(f"files-admin {' '.join(shlex.quote(a) for a in args)} "
                                 f"failed with exit {p.returncode}: stderr={p.stderr.strip()!r} "
                                 f"stdout={p.stdout.strip()!r}")
        return p

    def out(self, *args: str) -> str:
        lines = [ln.strip() for ln in self.run(*args).stdout.splitlines() if ln.strip()]
        if not lines:
            raise AssertionError(f"files-admin {' '.join(args)} printed nothing")
        return lines[-1]


@pytest.fixture(scope="session")
def admin(stack) -> Admin:
    return Admin(stack)


def unique_email(tag: str = "user") -> str:
    return f"it-{tag}-{uuid.uuid4().hex}@example.com"


def mint_token(secret: str, sub: Any = None, *, alg: str = "HS256",
               exp: Any = _UNSET, lifetime: int = 3600, extra: Optional[dict] = None,
               headers: Optional[dict] = None, omit_exp: bool = False,
               omit_sub: bool = False) -> str:
    """An access token as the Python service would mint it, or a deliberately broken one."""
    payload: dict = {}
    if not omit_exp:
        payload["exp"] = int(time.time()) + lifetime if exp is _UNSET else exp
    if not omit_sub:
        payload["sub"] = str(sub)
    if extra:
        payload.update(extra)
    return jwt.encode(payload, secret, algorithm=alg, headers=headers)


def unsigned_token(payload: dict, header: Optional[dict] = None) -> str:
    """An `alg: none` token (RFC 7519 §6.1): header.payload. with an empty signature."""
    import base64

    def b64(d: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(d, separators=(",", ":")).encode()) \
            .rstrip(b"=").decode()

    return f"{b64(header or {'alg': 'none', 'typ': 'JWT'})}.{b64(payload)}."


@dataclass
class User:
    id: str
    email: str
    password: str
    token: str
    is_superuser: bool = False
    full_name: Optional[str] = None

    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Org:
    id: str
    name: str
    admin: Admin = field(repr=False)

    def add(self, user: User, role: Optional[str] = "member") -> None:
        args = ["add-member", "--org", self.id, "--email", user.email]
        if role is not None:
            args += ["--role", role]
        self.admin.run(*args)


@pytest.fixture(scope="session")
def make_user(stack, admin):
    """Factory: make_user(superuser=False, active=True, full_name=None) -> User.

    The user's token is minted with SECRET_KEY (HS256, sub and exp), as the Python
    service mints them; use `login()` to get one from the API instead.
    """

    def _make(superuser: bool = False, active: bool = True,
              full_name: Optional[str] = None, tag: str = "user") -> User:
        email = unique_email(tag)
        password = "pw-" + uuid.uuid4().hex
        args = ["create-user", "--email", email, "--password", password]
        if superuser:
            args.append("--superuser")
        if full_name is not None:
            args += ["--full-name", full_name]
        raw = admin.out(*args)
        try:
            uid = str(uuid.UUID(raw))
        except ValueError:
            raise AssertionError(f"files-admin create-user printed {raw!r}, not a user id")
        if not active:
            admin.run("set-active", "--email", email, "--no")
        token = mint_token(stack.secret_key, uid)
        return User(id=uid, email=email, password=password, token=token,
                    is_superuser=superuser, full_name=full_name)

    return _make


@pytest.fixture(scope="session")
def make_org(admin):
    """Factory: make_org(*members as (User, role)) -> Org."""

    def _make(*members) -> Org:
        name = "it-org-" + uuid.uuid4().hex
        raw = admin.out("create-org", "--name", name)
        try:
            oid = str(uuid.UUID(raw))
        except ValueError:
            raise AssertionError(f"files-admin create-org printed {raw!r}, not an org id")
        org = Org(id=oid, name=name, admin=admin)
        for m in members:
            user, role = m if isinstance(m, tuple) else (m, "member")
            org.add(user, role)
        return org

    return _make


@pytest.fixture(scope="session")
def superuser(make_user) -> User:
    """One superuser for the session; tests use it to act on *other* users' configs."""
    return make_user(superuser=True, tag="su")


@pytest.fixture(scope="session")
def login(api):
    """login(email, password) -> access token obtained from the API (asserts success)."""

    def _login(email: str, password: str) -> str:
        r = api.login(email, password)
        assert r.status_code == 200, describe(r, "login should succeed")
        return r.json()["access_token"]

    return _login


@pytest.fixture(scope="session")
def mint(stack):
    """mint(sub, **kw) -> token signed with the stack's SECRET_KEY (see mint_token)."""

    def _mint(sub: Any = None, **kw) -> str:
        kw.setdefault("secret", stack.secret_key)
        secret = kw.pop("secret")
        return mint_token(secret, sub, **kw)

    return _mint


# --------------------------------------------------------------------------------------
# Assertions with readable failure messages


def describe(r: requests.Response, what: str = "") -> str:
    req = r.request
    body = req.body
    if isinstance(body, bytes):
        body = body[:300].decode("utf-8", "replace") + (" ...(%d bytes)" % len(req.body)
                                                        if len(req.body) > 300 else "")
    elif isinstance(body, str) and len(body) > 300:
        body = body[:300] + " ..."
    hdrs = {k: v for k, v in r.headers.items()}
    return (f"{what}\n  request : {req.method} {req.url}"
            + (f"\n  req body: {body!r}" if body else "")
            + (f"\n  req Authorization: {req.headers.get('Authorization', '')[:40]!r}"
               if req.headers.get("Authorization") else "")
            + f"\n  got     : {r.status_code} {r.text[:800]!r}"
            + f"\n  headers : {hdrs}")


def is_json_response(r: requests.Response) -> bool:
    ct = r.headers.get("Content-Type", "")
    return ct.split(";")[0].strip().lower() == "application/json"


def body_of(r: requests.Response) -> Any:
    assert is_json_response(r), describe(r, "Content-Type must be application/json")
    try:
        return r.json()
    except ValueError:
        raise AssertionError(describe(r, "body is not JSON")) from None


def assert_status(r: requests.Response, status: int, what: str = "") -> Any:
    assert r.status_code == status, describe(r, f"expected status {status} {what}")
    return body_of(r)


def assert_error(r: requests.Response, status: int, detail: str) -> None:
    """Exactly `status {"detail": detail}` as JSON."""
    exp = {"detail": detail}
    ok = r.status_code == status and is_json_response(r)
    got = None
    if ok:
        try:
            got = r.json()
        except ValueError:
            ok = False
    assert ok and got == exp, describe(r, f"expected {status} {json.dumps(exp)}")


def assert_unauthenticated(r: requests.Response) -> None:
    assert_error(r, 401, "Not authenticated")
    www = r.headers.get("WWW-Authenticate")
    assert www is not None and www.strip().lower() == "bearer", \
        describe(r, "401 must carry WWW-Authenticate: Bearer")


def _subset(expected: dict, actual: dict) -> bool:
    return all(k in actual and actual[k] == v for k, v in expected.items())


def assert_422(r: requests.Response, *expected: dict, exact_count: bool = True) -> list:
    """422 with a pydantic-style list; each `expected` dict must match (as a subset of keys)
    one distinct entry. With exact_count the list has exactly len(expected) entries."""
    assert r.status_code == 422, describe(r, f"expected 422 with {list(expected)}")
    body = body_of(r)
    assert isinstance(body, dict) and list(body.keys()) == ["detail"] \
        and isinstance(body["detail"], list), describe(r, "422 body must be {\"detail\": [...]}")
    errors = body["detail"]
    for e in errors:
        assert isinstance(e, dict) and {"type", "loc", "msg"} <= set(e), \
            describe(r, "each 422 entry needs type, loc, msg")
        assert isinstance(e["loc"], list), describe(r, "loc must be a list")
    remaining = list(errors)
    for exp in expected:
        for i, e in enumerate(remaining):
            if _subset(exp, e):
                del remaining[i]
                break
        else:
            raise AssertionError(describe(r, f"no 422 entry matches {exp}"))
    if exact_count:
        assert len(errors) == len(expected), \
            describe(r, f"expected exactly {len(expected)} error entries")
    return errors


def parse_ts(s: str) -> tuple:
    """RFC 3339 UTC timestamp ending in Z -> (aware datetime without fraction, Fraction)."""
    m = RFC3339_Z_RE.match(s) if isinstance(s, str) else None
    assert m, f"timestamp {s!r} is not RFC 3339 UTC ending in Z"
    y, mo, d, h, mi, sec, frac = m.groups()
    base = _dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec),
                        tzinfo=_dt.timezone.utc)
    f = Fraction(int(frac), 10 ** len(frac)) if frac else Fraction(0)
    return base, f


def ts_value(s: str) -> Fraction:
    base, f = parse_ts(s)
    return Fraction(int(base.timestamp())) + f


CONFIG_KEYS = {"id", "created_at", "updated_at", "user_id", "organization_id",
               "metadata_adapter", "image_format"}


def assert_config(r: requests.Response, *, user_id: str, org_id: Optional[str],
                  image_format: str, metadata_adapter: str, status: int = 200) -> dict:
    """A 200 ExportConfigurationPublic body with the given values."""
    body = assert_status(r, status)
    assert isinstance(body, dict) and set(body) == CONFIG_KEYS, \
        describe(r, f"body keys must be exactly {sorted(CONFIG_KEYS)}")
    exp = {"user_id": user_id, "organization_id": org_id, "image_format": image_format,
           "metadata_adapter": metadata_adapter}
    got = {k: body[k] for k in exp}
    assert got == exp, describe(r, f"expected config values {exp}")
    assert isinstance(body["id"], str) and UUID4_RE.match(body["id"]), \
        describe(r, "id must be a lowercase hyphenated UUID v4")
    now = time.time()
    for k in ("created_at", "updated_at"):
        try:
            v = ts_value(body[k])
        except AssertionError as exc:
            raise AssertionError(describe(r, str(exc))) from None
        assert abs(float(v) - now) < 300, \
            describe(r, f"{k} {body[k]} is not close to now (UTC {time.strftime('%H:%M:%S', time.gmtime(now))})")
    assert ts_value(body["updated_at"]) >= ts_value(body["created_at"]), \
        describe(r, "updated_at before created_at")
    return body


# --------------------------------------------------------------------------------------
# Ordering: the PostgreSQL restart test runs last whatever the selection order.


def pytest_collection_modifyitems(session, config, items):
    last = [it for it in items if "test_zz_pg_restart" in it.nodeid]
    first = [it for it in items if "test_zz_pg_restart" not in it.nodeid]
    items[:] = first + last


# --------------------------------------------------------------------------------------
# ---- BEGIN openapi contract (issue 12) ----
# Every response received through `requests` (the Api session, requests.get/post, redirects
# followed) from the stack is checked against docs/openapi.json (openapi_contract.py); a test
# that received a response the document does not describe fails with the list.

import sys  # noqa: E402

# tests/deploy loads this file by path (as integration_conftest): find the module beside it.
if os.path.dirname(os.path.abspath(__file__)) not in sys.path:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import openapi_contract  # noqa: E402

_CONTRACT = {"checker": None, "violations": []}
_send_unchecked = requests.Session.send


def _send_checked(self, request, **kw):
    resp = _send_unchecked(self, request, **kw)
    checker = _CONTRACT["checker"]
    if checker is not None and not kw.get("stream"):
        try:
            found = checker.check(resp)
        except Exception as exc:  # a checker bug must fail loudly, not pass
            found = [f"{request.method} {request.url}: the contract check failed: {exc!r}"]
        _CONTRACT["violations"].extend(found)
    return resp


requests.Session.send = _send_checked


@pytest.fixture(scope="session")
def contract(stack):
    c = openapi_contract.Contract(openapi_contract.load_document(), stack.base_url)
    _CONTRACT["checker"] = c
    yield c
    _CONTRACT["checker"] = None


@pytest.fixture(autouse=True)
def _contract_of_each_test(request):
    if not os.environ.get("FILES_BASE_URL"):
        yield
        return
    request.getfixturevalue("contract")
    start = len(_CONTRACT["violations"])
    yield
    new = _CONTRACT["violations"][start:]
    if new:
        pytest.fail("responses that docs/openapi.json does not describe:\n  " + "\n  ".join(new[:20]),
                    pytrace=False)
# ---- END openapi contract ----
