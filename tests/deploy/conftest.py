"""Fixtures of the deployment smoke tests: one smoke set, run once per deployment.

scripts/run-tests starts, in front of its integration stack (same PostgreSQL, same
settings), the Apache deployments of httpd-conf/ (scripts/lib.sh, deploy_start) and passes:

  FILES_DEPLOY_URLS   NAME=URL,NAME=URL: the HTTP deployments, e.g.
                      fcgid=http://127.0.0.1:P1,proxy-fcgi=http://127.0.0.1:P2,
                      cgi=http://127.0.0.1:P3,htaccess=http://127.0.0.1:P4
  FILES_CONFIG_FILE   the stack's KEY=value configuration (FILES_CONFIG of the plain-CGI runs;
                      default: files.conf next to FILES_ENV_FILE)
  FILES_CGI_BIN_DIR   directory of the built NAME.fcgi (default: the checkout's fcgi-bin/)
  FILES_DEPLOY_STORAGE  NAME=DIR,...: each HTTP deployment's STORAGE_LOCAL_ROOT (each has
                      its own, as if on a host of its own; the /storage/ checks)

plus the variables of tests/integration/conftest.py (FILES_BASE_URL, FILES_ENV_FILE,
FILES_ADMIN, FILES_PG_STOP, FILES_PG_START), whose fixtures (users, organizations) and
assertion helpers are reused. Besides the HTTP deployments, every smoke test also runs
against "shell-cgi": the responders run as plain CGI from a shell (environment + stdin,
response parsed from stdout), the program chosen from httpd-conf/responders.

Known names (others get the common smoke set only):
  fcgid, proxy-fcgi, cgi   Apache with the server configurations of httpd-conf/
  php-host                 the cgi configuration on a host running mod_php, SSI and global
                           AddHandler lines (scripts/lib.sh)
  htaccess                 Apache as a shared host, httpd-conf/cgi/htaccess.in
  shell-cgi                no web server at all

As in tests/integration, nothing is skipped: a missing variable fails every test naming it.
Run: FILES_DEPLOY_URLS=... /usr/bin/python3 -m pytest tests/deploy
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional
from urllib.parse import unquote, urlsplit

import pytest
import requests
from requests.structures import CaseInsensitiveDict

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

# The integration tests' conftest, under another module name (its fixtures are re-exported
# below, its helpers imported by the test module from "integration_conftest").
_spec = importlib.util.spec_from_file_location("integration_conftest",
                                               ROOT / "tests" / "integration" / "conftest.py")
it = importlib.util.module_from_spec(_spec)
sys.modules["integration_conftest"] = it
_spec.loader.exec_module(it)

stack = it.stack
admin = it.admin
make_user = it.make_user
make_org = it.make_org
mint = it.mint

SERVER_CONFIGS = ("fcgid", "proxy-fcgi", "cgi", "php-host")   # Apache with an httpd-conf/ server configuration
SHELL = "shell-cgi"
CGI_TIMEOUT = 30


def _pairs(var: str, check) -> list:
    """NAME=VALUE,NAME=VALUE of environment variable VAR as [(name, value)]."""
    raw = os.environ.get(var, "").strip()
    out = []
    for item in filter(None, (x.strip() for x in raw.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not check(value.strip()):
            out.append((f"bad-{var}-item-{len(out)}", None))
        else:
            out.append((name.strip(), value.strip()))
    return out


DEPLOY_URLS = ([(n, u.rstrip("/") if u else u)
                for n, u in _pairs("FILES_DEPLOY_URLS", lambda v: v.startswith("http"))]
               or [("missing-FILES_DEPLOY_URLS", None)])
DEPLOY_STORAGE = dict(_pairs("FILES_DEPLOY_STORAGE", lambda v: v.startswith("/")))
ALL_NAMES = [n for n, _ in DEPLOY_URLS] + [SHELL]
HTTP_NAMES = [n for n, _ in DEPLOY_URLS]
SERVER_NAMES = [n for n, _ in DEPLOY_URLS if n in SERVER_CONFIGS] or ["no-server-configuration-deployment"]


# --------------------------------------------------------------------------------------
# Which responder serves a path (plain CGI from a shell plays the web server)


def responder_table(path: Path) -> tuple:
    routes, default = [], None
    for line in path.read_text().splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        assert len(words) == 2, f"{path}: bad line {line!r}"
        if words[0] == "default":
            default = words[1]
        else:
            routes.append((words[0], re.compile(words[1])))
    return routes, default


def program_for(path: str, routes, default) -> Optional[str]:
    # Web servers match the decoded path with %2F kept encoded.
    decoded = unquote(re.sub("%2[fF]", "%252F", path))
    for name, rx in routes:
        if rx.search(decoded):
            return name
    return default


# --------------------------------------------------------------------------------------
# Clients: the same requests over HTTP or as a CGI run


class CgiRunError(AssertionError):
    pass


def parse_cgi_output(out: bytes) -> tuple:
    """CGI response -> (status, reason, headers, body)."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        if sep in out:
            head, body = out.split(sep, 1)
            break
    else:
        raise CgiRunError(f"CGI output has no end of headers: {out[:300]!r}")
    headers = CaseInsensitiveDict()
    status, reason = 200, "OK"
    for line in head.decode("latin-1").replace("\r\n", "\n").split("\n"):
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise CgiRunError(f"bad CGI header line {line!r} in {out[:300]!r}")
        value = value.strip()
        if name.lower() == "status":
            m = re.match(r"^(\d{3})(?: (.*))?$", value)
            if not m:
                raise CgiRunError(f"bad Status line {line!r}")
            status, reason = int(m.group(1)), m.group(2) or ""
        elif name in headers:
            headers[name] = headers[name] + ", " + value
        else:
            headers[name] = value
    return status, reason, headers, body


@dataclass
class Deployment(it.Verbs):
    name: str
    url: Optional[str]          # None for shell-cgi
    cgi_bin: Optional[Path] = None
    config_file: Optional[str] = None
    routes: Any = None
    default: Optional[str] = None
    storage: Optional[Path] = None      # STORAGE_LOCAL_ROOT of an HTTP deployment

    @property
    def is_shell(self) -> bool:
        return self.url is None

    @property
    def server_config(self) -> bool:
        return self.name in SERVER_CONFIGS

    def __post_init__(self):
        self.session = requests.Session()
        self.last_stderr = b""

    def request(self, method: str, path: str, *, token: Optional[str] = None,
                headers: Optional[dict] = None, json_body: Any = it._UNSET,
                data: Any = None, chunked: bool = False,
                cgi_env: Optional[dict] = None) -> requests.Response:
        """One request. chunked: over HTTP the body is sent with Transfer-Encoding: chunked
        (a generator body); as CGI it is given without CONTENT_LENGTH (read to EOF)."""
        h = {}
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        if headers:
            h.update(headers)
        body = data
        if json_body is not it._UNSET:
            body = json.dumps(json_body).encode()
            h.setdefault("Content-Type", "application/json")
        if self.is_shell:
            return self._cgi(method, path, h, body, chunked, cgi_env or {})
        if chunked:
            raw = body if isinstance(body, bytes) else (body or "").encode()

            def gen():
                for i in range(0, len(raw), 7):       # several chunks, some mid-token
                    yield raw[i:i + 7]
            body = gen()
        return self.session.request(method, self.url + path, headers=h, data=body,
                                    timeout=it.REQUEST_TIMEOUT, allow_redirects=False)

    def login(self, email: str, password: str) -> requests.Response:
        return self.post("/api/v1/login/access-token",
                         data={"username": email, "password": password})

    # -- plain CGI ---------------------------------------------------------------------

    def _cgi(self, method, path, headers, body, chunked, extra_env) -> requests.Response:
        prep = requests.Request(method, "http://shell-cgi.invalid" + path, headers=headers,
                                data=body).prepare()
        url = urlsplit(prep.url)
        raw_path = path.split("?", 1)[0]
        name = program_for(raw_path, self.routes, self.default)
        assert name, f"no responder serves {path} (httpd-conf/responders has no default)"
        program = self.cgi_bin / f"{name}.fcgi"
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "SERVER_SOFTWARE": "shell",
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "REMOTE_ADDR": "127.0.0.1",
            "REQUEST_METHOD": method,
            "REQUEST_URI": path,
            "SCRIPT_NAME": raw_path,
            "QUERY_STRING": url.query,
            "FILES_CONFIG": self.config_file,
        }
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        payload = prep.body or b""
        if isinstance(payload, str):
            payload = payload.encode()
        for k, v in prep.headers.items():
            lk = k.lower()
            if lk == "content-type":
                env["CONTENT_TYPE"] = v
            elif lk == "content-length":
                if not chunked:
                    env["CONTENT_LENGTH"] = v
            elif lk == "transfer-encoding":
                continue
            else:
                env["HTTP_" + k.upper().replace("-", "_")] = v
        if payload and not chunked:
            env["CONTENT_LENGTH"] = str(len(payload))
        for k, v in extra_env.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        p = subprocess.run([str(program)], input=payload, env=env, capture_output=True,
                           timeout=CGI_TIMEOUT, cwd="/")
        self.last_stderr = p.stderr
        if p.returncode != 0:
            raise CgiRunError(f"{program} exited with {p.returncode}; stderr: "
                              f"{p.stderr[-2000:].decode('utf-8', 'replace')}")
        status, reason, hdrs, content = parse_cgi_output(p.stdout)
        r = requests.Response()
        r.status_code = status
        r.reason = reason
        r.headers = hdrs
        r._content = content
        r.encoding = "utf-8"
        r.url = prep.url
        r.request = prep
        return r


def _make_deployment(name: str) -> Deployment:
    if name == SHELL:
        bin_dir = Path(os.environ.get("FILES_CGI_BIN_DIR") or ROOT / "fcgi-bin")
        conf = os.environ.get("FILES_CONFIG_FILE")
        if not conf and os.environ.get("FILES_ENV_FILE"):
            conf = str(Path(os.environ["FILES_ENV_FILE"]).parent / "files.conf")
        if not conf or not os.path.isfile(conf):
            pytest.fail(f"shell-cgi needs FILES_CONFIG_FILE (the stack's files.conf); got {conf!r}",
                        pytrace=False)
        routes, default = responder_table(
            Path(os.environ.get("FILES_RESPONDERS") or ROOT / "httpd-conf" / "responders"))
        # As scripts/lib.sh does for the web servers: a responder not built yet is left out
        # (its URLs go to the default responder).
        routes = [(n, rx) for n, rx in routes if os.access(bin_dir / f"{n}.fcgi", os.X_OK)]
        if not routes or (default and not os.access(bin_dir / f"{default}.fcgi", os.X_OK)):
            pytest.fail(f"the responders are not built in {bin_dir}", pytrace=False)
        return Deployment(SHELL, None, bin_dir, conf, routes, default)
    url = dict(DEPLOY_URLS).get(name)
    if url is None:
        pytest.fail(f"deployment {name!r}: FILES_DEPLOY_URLS must be NAME=URL,NAME=URL "
                    f"(scripts/run-tests sets it); got {os.environ.get('FILES_DEPLOY_URLS')!r}",
                    pytrace=False)
    storage = DEPLOY_STORAGE.get(name)
    return Deployment(name, url, storage=Path(storage) if storage else None)


_deployments: dict = {}


def _get(name: str, stack) -> Deployment:
    if name not in _deployments:
        _deployments[name] = _make_deployment(name)
    return _deployments[name]


@pytest.fixture(scope="session", params=ALL_NAMES)
def dep(request, stack) -> Deployment:
    """Every deployment: the HTTP ones and shell-cgi."""
    return _get(request.param, stack)


@pytest.fixture(scope="session", params=HTTP_NAMES)
def http_dep(request, stack) -> Deployment:
    """The deployments behind a web server."""
    return _get(request.param, stack)


@pytest.fixture(scope="session", params=SERVER_NAMES)
def server_dep(request, stack) -> Deployment:
    """Apache with a server configuration of httpd-conf/ (not the shared host)."""
    if request.param not in dict(DEPLOY_URLS):
        pytest.fail(f"FILES_DEPLOY_URLS names none of {', '.join(SERVER_CONFIGS)}", pytrace=False)
    return _get(request.param, stack)


@pytest.fixture(scope="session")
def shell_dep(stack) -> Deployment:
    """The responders as plain CGI from a shell only."""
    return _get(SHELL, stack)


@pytest.fixture(scope="session")
def storage_of():
    """storage_of(deployment) -> its STORAGE_LOCAL_ROOT (FILES_DEPLOY_STORAGE)."""

    def _of(d: Deployment) -> Path:
        if d.storage is None or not d.storage.is_dir():
            pytest.fail(f"FILES_DEPLOY_STORAGE must name the storage directory of {d.name}; got "
                        f"{os.environ.get('FILES_DEPLOY_STORAGE')!r}", pytrace=False)
        return d.storage

    return _of


# --------------------------------------------------------------------------------------
# Raw HTTP (requests the client libraries will not send)


@dataclass
class RawResponse:
    status: int
    headers: CaseInsensitiveDict
    body: bytes
    raw: bytes

    def json(self):
        return json.loads(self.body)


def raw_http(url: str, data: bytes, timeout: float = it.REQUEST_TIMEOUT) -> RawResponse:
    """Send DATA as is to URL's host and port; read the answer until the server closes."""
    u = urlsplit(url)
    with socket.create_connection((u.hostname, u.port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                break
            if not b:
                break
            chunks.append(b)
            got = b"".join(chunks)
            # enough once a Content-Length body is complete (the server may keep the line open)
            if b"\r\n\r\n" in got:
                head, body = got.split(b"\r\n\r\n", 1)
                m = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
                if m and len(body) >= int(m.group(1)):
                    break
    out = b"".join(chunks)
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"^HTTP/\d\.\d (\d{3})", lines[0] if lines else "")
    assert m, f"no HTTP status line in {out[:300]!r}"
    hdrs = CaseInsensitiveDict()
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip()] = v.strip()
    return RawResponse(int(m.group(1)), hdrs, body, out)
