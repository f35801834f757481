"""The /files fast path changes no answer, only who gives it (issue 14).

tests/fastpath/run starts, per settings set ("mode"), lighttpd with the mod_magnet fast path
and Apache (mod_fcgid, mod_proxy_fcgi) with the mod_rewrite one and the mod_lua one
("apache-NAME-lua"), and passes
FASTPATH_TARGETS = "MODE|FCGI_SOCKET|CORS_ORIGINS|NAME=URL,NAME=URL;..." where FCGI_SOCKET is
a files.fcgi of the same settings listening for FastCGI. A generated corpus (safe paths,
the hostile spellings of API.md §5, random bytes; GET, HEAD and other methods; valid,
invalid and absent X-Request-ID; listed and unlisted Origin) goes through every web server
and to files.fcgi directly. Through the web server the answer must be files.fcgi's: same
status, Location and CORS headers, X-Request-ID the client's when valid (else a fresh one of
the §1 pattern). An answer without X-Request-ID, or (lighttpd) with the body of one of its
errorfiles, is the web server refusing the request by itself (a bad request line, say): never
a 2xx or 3xx.
"""

from __future__ import annotations

import os
import random
import re
import socket
import struct
from urllib.parse import urlsplit

import pytest

RID_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
COMPARED = ("Location", "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials")
PER_MODE = int(os.environ.get("FASTPATH_CORPUS", "1200"))


def _targets():
    out = []
    for item in filter(None, os.environ.get("FASTPATH_TARGETS", "").split(";")):
        mode, sock, origins, servers = item.split("|", 3)
        for pair in servers.split(","):
            name, _, url = pair.partition("=")
            out.append((mode, sock, origins, name, url))
    return out or [("missing-FASTPATH_TARGETS", None, None, None, None)]


TARGETS = _targets()

# ---------------------------------------------------------------------------------------
# The corpus

HOSTILE = ["..", "%2e%2e", "%2E%2e", ".%2e", "%2e.", "%252e%252e", "%25252e%25252e", ".", "%2e",
           "\\", "%5c", "%5C", "%255c", "%00", "%0a", "%0d%0a", "%2f", "%2F", "%252f", "", ":",
           "https:", "http:%2f%2fevil", "c:", "loras", "LORAS", "Loras", "%6coras", "%256Coras",
           "bulk-uploads", "BULK-UPLOADS", "bulk%2duploads", "~x", "%20", "%C3%A9", "\xc3\xa9",
           "%FF", "\xff", ".hidden", "a..b", "-x", "_x", "x.", "%", "%zz", "%2", "@", "x;y",
           "x,y", "x=y", "x+y", "x!", "x*", "x'", "x(1)", "x$", "x&y", "[x]", "%7e", "x%23y"]
QUERIES = ["", "?", "?type=webp", "?type=jpeg", "?type=png", "?type=avif", "?type=gif",
           "?type=WEBP", "?type=", "?type=svg", "?type=webp&type=png", "?a=1&type=webp",
           "?type=webp&", "?type=%77ebp", "?type", "?TYPE=webp", "?type=gif&x", "?&type=png",
           "?type=webp%00", "?type=jpeg#frag", "#frag", "?type=avif?", "?x=1"]


def seg(rng: random.Random) -> str:
    n = rng.randint(1, 24)
    return "".join(rng.choice(SAFE) for _ in range(n))


def safe_path(rng: random.Random) -> str:
    first = rng.choice(["temp", "media", "products", "x", seg(rng)])
    return "/".join([first] + [seg(rng) for _ in range(rng.randint(0, 3))]) + \
        rng.choice(["", ".png", ".jpg", ".webp", ".pdf"])


def hostile_path(rng: random.Random) -> str:
    parts = safe_path(rng).split("/")
    for _ in range(rng.randint(1, 2)):
        h = rng.choice(HOSTILE)
        where = rng.randrange(len(parts) + 1)
        if rng.random() < 0.5:
            parts.insert(where, h)
        else:
            i = min(where, len(parts) - 1)
            parts[i] = parts[i] + h if rng.random() < 0.5 else h + parts[i]
    p = "/".join(parts)
    if rng.random() < 0.1:
        p = "/" + p
    if rng.random() < 0.1:
        p += "/"
    return p


def random_path(rng: random.Random) -> str:
    n = rng.randint(0, 40)
    out = []
    for _ in range(n):
        b = rng.randrange(256)
        if b <= 0x20 or b in (0x7f, 0x23, 0x3f) or rng.random() < 0.3:
            out.append("%%%02X" % b)
        elif b >= 0x80:
            out.append(bytes([b]).decode("latin-1"))
        else:
            out.append(chr(b))
    return "".join(out)


def long_path(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "/".join(seg(rng) for _ in range(rng.randint(14, 20)))
    return "temp/" + "a" * rng.randint(480, 560) + ".png"


def corpus(seed: str, n: int) -> list:
    rng = random.Random(seed)
    items = []
    for i in range(n):
        kind = rng.random()
        if kind < 0.45:
            path = safe_path(rng)
        elif kind < 0.78:
            path = hostile_path(rng)
        elif kind < 0.92:
            path = random_path(rng)
        else:
            path = long_path(rng)
        query = rng.choice(QUERIES) if rng.random() < 0.6 else ""
        prefix = rng.choice(["/files/"] * 12 + ["/files", "/FILES/", "/files//", "/x/../files/",
                                                 "/files/./", "/files%2f", "/%66iles/"])
        method = rng.choice(["GET"] * 8 + ["HEAD"] * 3 + ["OPTIONS", "POST", "PUT", "DELETE"])
        headers = {}
        r = rng.random()
        if r < 0.3:
            headers["X-Request-ID"] = rng.choice(["abc-123", "A.b_c-9", "x" * 128])
        elif r < 0.45:
            headers["X-Request-ID"] = rng.choice(["x" * 129, "a@b", "a/b", "é", "a,b", ""])
        r = rng.random()
        if r < 0.25:
            headers["Origin"] = rng.choice(["http://localhost:5173", "https://app.example.com"])
        elif r < 0.35:
            headers["Origin"] = rng.choice(["https://evil.example", "https://app.example.com/",
                                            "null", "http://localhost:5173 "])
        if method == "OPTIONS" and rng.random() < 0.7:
            headers["Access-Control-Request-Method"] = "GET"
        items.append((method, prefix + path + query, headers))
    return items


# ---------------------------------------------------------------------------------------
# Clients


def http_raw(url: str, method: str, target: str, headers: dict) -> tuple:
    u = urlsplit(url)
    lines = [f"{method} {target} HTTP/1.1", f"Host: {u.hostname}:{u.port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if method in ("POST", "PUT"):
        lines.append("Content-Length: 0")
    req = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
    with socket.create_connection((u.hostname, u.port), timeout=20) as s:
        s.sendall(req)
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    head, _, body = data.partition(b"\r\n\r\n")
    status, hdrs = parse_head(head.decode("latin-1").split("\r\n"), http=True)
    return status, hdrs, body


# lighttpd's own answers (a bad request line, say) carry the JSON bodies of its errorfiles and,
# through its response-start script, an X-Request-ID like every other answer.
ERROR_DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "httpd-conf", "lighttpd", "errors")


def web_server_own(server: str, status: int, hdrs: dict, body: bytes) -> bool:
    """True when the web server answered by itself, before any responder or the fast path."""
    if "x-request-id" not in hdrs:
        return True
    if server != "lighttpd" or status < 400:
        return False
    try:
        with open(os.path.join(ERROR_DOCS, f"json-{status}.html"), "rb") as f:
            return body.strip() == f.read().strip()
    except FileNotFoundError:
        return False


def parse_head(lines: list, http: bool) -> tuple:
    status, hdrs = 200, {}
    if http:
        m = re.match(r"^HTTP/1\.[01] (\d{3})", lines[0] if lines else "")
        assert m, f"no status line: {lines[:3]!r}"
        status, lines = int(m.group(1)), lines[1:]
    for line in lines:
        k, sep, v = line.partition(":")
        if not sep:
            continue
        k, v = k.strip().lower(), v.strip()
        if k == "status":
            status = int(v[:3])
        else:
            hdrs[k] = hdrs[k] + ", " + v if k in hdrs else v
    return status, hdrs


def _rec(rtype: int, content: bytes) -> bytes:
    return struct.pack("!BBHHBx", 1, rtype, 1, len(content), 0) + content


def _pair(k: bytes, v: bytes) -> bytes:
    enc = lambda n: bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)
    return enc(len(k)) + enc(len(v)) + k + v


def fcgi_direct(sock: str, method: str, target: str, headers: dict) -> tuple:
    """files.fcgi over FastCGI with the parameters a web server passes (raw REQUEST_URI)."""
    raw = target.encode("latin-1", "replace")      # web servers pass a "#..." on too
    path, _, query = raw.partition(b"?")
    params = [(b"REQUEST_METHOD", method.encode()), (b"REQUEST_URI", raw),
              (b"SCRIPT_NAME", path), (b"QUERY_STRING", query), (b"SERVER_PROTOCOL", b"HTTP/1.1"),
              (b"GATEWAY_INTERFACE", b"CGI/1.1"), (b"SERVER_NAME", b"localhost"),
              (b"SERVER_PORT", b"80"), (b"REMOTE_ADDR", b"127.0.0.1")]
    if method in ("POST", "PUT"):
        params.append((b"CONTENT_LENGTH", b"0"))
    for k, v in headers.items():
        # HTTP drops the blanks around a header value
        params.append((b"HTTP_" + k.upper().replace("-", "_").encode(), v.strip().encode("latin-1", "replace")))
    body = b"".join(_pair(k, v) for k, v in params)
    msg = _rec(1, struct.pack("!HB5x", 1, 0)) + _rec(4, body) + _rec(4, b"") + _rec(5, b"")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(20)
        s.connect(sock)
        s.sendall(msg)
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    out, i = b"", 0
    while i + 8 <= len(data):
        _, rtype, _, clen, plen = struct.unpack("!BBHHB", data[i:i + 7])
        if rtype == 6:
            out += data[i + 8:i + 8 + clen]
        i += 8 + clen + plen
    head = out.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("latin-1")
    return parse_head(head.split("\n"), http=False)


def expected_rid(headers: dict):
    v = headers.get("X-Request-ID")
    return v if v is not None and RID_RE.match(v) else None


# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode,sock,origins,server,url", TARGETS,
                         ids=[f"{t[0]}-{t[3]}" for t in TARGETS])
def test_fast_path_gives_files_fcgi_answers(mode, sock, origins, server, url):
    assert sock and url, "FASTPATH_TARGETS must name the stacks (tests/fastpath/run sets it)"
    items = corpus(f"fastpath-{mode}", PER_MODE)
    problems, answered, refused, fast = [], 0, 0, 0
    for method, target, headers in items:
        a_status, a, a_body = http_raw(url, method, target, headers)
        own = web_server_own(server, a_status, a, a_body)
        if not own and method == "HEAD" and server == "lighttpd" and a_status >= 400:
            # a HEAD answer has no body to tell: lighttpd refuses a request line whatever its method
            g_status, g, g_body = http_raw(url, "GET", target, headers)
            own = g_status == a_status and web_server_own(server, g_status, g, g_body)
        if own:
            refused += 1
            if a_status < 400:
                problems.append(f"{method} {target!r} {headers}: {a_status} from the web server itself")
            continue
        answered += 1
        # Apache's fast paths answer with its own 302 page, files.fcgi with an empty body
        fast += a_status == 302 and b"<title>302 Found</title>" in a_body
        b_status, b = fcgi_direct(sock, method, target, headers)
        diffs = []
        if a_status != b_status:
            diffs.append(f"status {a_status} != files.fcgi's {b_status}")
        for h in COMPARED:
            if a.get(h.lower()) != b.get(h.lower()):
                diffs.append(f"{h}: {a.get(h.lower())!r} != files.fcgi's {b.get(h.lower())!r}")
        if ("origin" in (b.get("vary") or "").lower()) != ("origin" in (a.get("vary") or "").lower()):
            diffs.append(f"Vary: {a.get('vary')!r} != files.fcgi's {b.get('vary')!r}")
        rid = expected_rid(headers)
        if rid is not None and a.get("x-request-id") != rid:
            diffs.append(f"X-Request-ID {a.get('x-request-id')!r}, sent {rid!r}")
        if rid is None and not RID_RE.match(a.get("x-request-id", "")):
            diffs.append(f"fresh X-Request-ID {a.get('x-request-id')!r} outside the §1 pattern")
        if diffs:
            problems.append(f"{method} {target!r} {headers}: " + "; ".join(diffs))
    assert answered > len(items) // 2, f"only {answered} of {len(items)} answered past the web server"
    if server.startswith("apache-"):
        assert fast > len(items) // 40, f"{server}'s fast path answered only {fast} of {len(items)}"
    assert not problems, f"{len(problems)} of {len(items)} differ ({refused} refused by {server}):\n" + \
        "\n".join(problems[:40])


def test_corpus_holds_fast_path_cases():
    """The corpus is not all refusals: a good share are requests a fast path answers."""
    safe = re.compile(r"^/files/(?![^?]*\.\.)(?!(?i:loras|bulk-uploads)(/|$|\?))"
                      r"[A-Za-z0-9_-][A-Za-z0-9._/-]*(\?type=(webp|jpeg|png|avif|gif))?$")
    items = corpus("fastpath-local", PER_MODE)
    n = sum(1 for m, t, _ in items if m in ("GET", "HEAD") and safe.match(t) and "//" not in t)
    assert n > len(items) // 10, f"only {n} fast-path cases in {len(items)}"
