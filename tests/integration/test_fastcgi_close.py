"""How a responder ends a FastCGI connection on a Unix socket, driven by a FastCGI client
written here (no web server in between), the way Apache's mod_proxy_fcgi talks to it.

The responder skips libfcgi's lingering close only once it has read the request's stdin to
its end. Closing earlier, with the web server still about to send the stdin end record or the
rest of a body, resets the connection: Apache then answers 503 although the response was
written (this is how the skip first broke the mod_proxy_fcgi deployment)."""
import os
import socket
import struct
import subprocess
import tempfile
import time

import pytest

BEGIN, PARAMS, STDIN, STDOUT, END = 1, 4, 5, 6, 3


def record(rtype: int, content: bytes, rid: int = 1) -> bytes:
    return struct.pack("!BBHHBx", 1, rtype, rid, len(content), 0) + content


def records(content: bytes, rtype: int) -> bytes:
    """content as records of at most 65535 bytes (no end record)."""
    return b"".join(record(rtype, content[i:i + 65535]) for i in range(0, len(content), 65535))


def pair(k: str, v: str) -> bytes:
    kb, vb = k.encode(), v.encode()
    enc = lambda n: bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)
    return enc(len(kb)) + enc(len(vb)) + kb + vb


@pytest.fixture(scope="module")
def responder(stack):
    """auth.fcgi listening on a Unix socket of its own, as spawn-fcgi would start it."""
    binary = os.path.normpath(os.path.join(os.path.dirname(stack.admin_path), "..", "fcgi-bin",
                                           "auth.fcgi"))
    tmp = tempfile.mkdtemp(prefix="fcgi-close-")
    path = os.path.join(tmp, "auth.sock")
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(path)
    lsock.listen(16)
    proc = subprocess.Popen([binary], stdin=lsock.fileno(), env=stack.child_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lsock.close()
    yield path
    proc.terminate()
    proc.wait(timeout=10)
    os.unlink(path)
    os.rmdir(tmp)


def exchange(path: str, method: str, uri: str, body: bytes = b"", pause: float = 0.0,
             headers: dict | None = None) -> bytes:
    """One request: begin + params at once, then after `pause` the body and the stdin end
    record (Apache sends them in separate writes). The response's stdout, which must end
    with an END_REQUEST record and no connection error."""
    params = pair("REQUEST_METHOD", method) + pair("REQUEST_URI", uri) + \
        pair("SERVER_PROTOCOL", "HTTP/1.1") + pair("CONTENT_LENGTH", str(len(body)))
    for k, v in (headers or {}).items():
        params += pair(k, v)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path)
    try:
        s.sendall(record(BEGIN, struct.pack("!HB5x", 1, 0)) + record(PARAMS, params) + record(PARAMS, b""))
        time.sleep(pause)
        s.sendall(records(body, STDIN) + record(STDIN, b""))
        return stdout_of(s)
    finally:
        s.close()


def stdout_of(s: socket.socket) -> bytes:
    """Read s to its end: the response's stdout, which must end with an END_REQUEST record."""
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    out, ended, i = b"", False, 0
    while i + 8 <= len(data):
        _, rtype, _, clen, plen = struct.unpack("!BBHHB", data[i:i + 7])
        if rtype == STDOUT:
            out += data[i + 8:i + 8 + clen]
        elif rtype == END:
            ended = True
        i += 8 + clen + plen
    assert ended, f"no END_REQUEST record in {data[:300]!r}"
    return out


@pytest.mark.parametrize("pause", [0.0, 0.02])
def test_stdin_end_sent_late(responder, pause):
    for _ in range(20):
        out = exchange(responder, "GET", "/no/such/path", pause=pause)
        assert out.startswith(b"Status: 404"), out[:200]


def test_unread_body_sent_late(responder):
    """A body the handler never reads (no route), sent after a pause, in several records."""
    body = os.urandom(200_000)
    for _ in range(5):
        out = exchange(responder, "POST", "/no/such/path", body=body, pause=0.02,
                       headers={"CONTENT_TYPE": "application/octet-stream"})
        assert out.startswith(b"Status: 404"), out[:200]


def test_read_body_sent_late(responder):
    """A login form that arrives after the params: read, answered, closed cleanly."""
    body = b"username=nobody%40example.com&password=x"
    out = exchange(responder, "POST", "/api/v1/login/access-token", body=body, pause=0.02,
                   headers={"CONTENT_TYPE": "application/x-www-form-urlencoded"})
    assert out.startswith(b"Status: 400"), out[:200]


def body_deadline(stack) -> float:
    """The responders' BODY_READ_TIMEOUT_SECONDS (run-tests sets 8; default 20)."""
    return float(stack.file_env.get("BODY_READ_TIMEOUT_SECONDS", "20"))


def stalled(path: str, uri: str, declared: int, sent: bytes, headers: dict, wait: float) -> tuple:
    """Params, then `sent` of a body declared `declared` bytes long, and nothing more: the
    response's stdout and the seconds until the responder closed the connection."""
    params = pair("REQUEST_METHOD", "POST") + pair("REQUEST_URI", uri) + \
        pair("CONTENT_LENGTH", str(declared))
    for k, v in headers.items():
        params += pair(k, v)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(wait)
    s.connect(path)
    t0 = time.monotonic()
    data = b""
    try:
        s.sendall(record(BEGIN, struct.pack("!HB5x", 1, 0)) + record(PARAMS, params) +
                  record(PARAMS, b"") + (record(STDIN, sent) if sent else b""))
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    finally:
        s.close()
    took = time.monotonic() - t0
    out, i = b"", 0
    while i + 8 <= len(data):
        _, rtype, _, clen, plen = struct.unpack("!BBHHB", data[i:i + 7])
        if rtype == STDOUT:
            out += data[i + 8:i + 8 + clen]
        i += 8 + clen + plen
    return out, took


def test_stalled_body_408_and_closed(responder, stack):
    """A body that stops coming: 408 JSON after the deadline, and the connection closed (the
    responder free again) within its bounded linger, not when the client gives up."""
    deadline = body_deadline(stack)
    out, took = stalled(responder, "/api/v1/login/access-token", 4000, b"username=",
                        {"CONTENT_TYPE": "application/x-www-form-urlencoded"}, deadline + 10)
    assert out.startswith(b"Status: 408"), out[:300]
    assert b'{"detail":"Request body not received in time"}' in out, out[:300]
    assert deadline - 0.5 <= took < deadline + 4, f"closed after {took:.1f} s (deadline {deadline} s)"


def test_declared_too_large_413_without_reading(responder, stack):
    """A login body declared over its 16 KiB limit: 413 at once, none of it read, and the
    connection closed within the linger though the body never comes."""
    out, took = stalled(responder, "/api/v1/login/access-token", 10_000_000, b"",
                        {"CONTENT_TYPE": "application/x-www-form-urlencoded"}, 20)
    assert out.startswith(b"Status: 413"), out[:300]
    assert took < 4, f"closed after {took:.1f} s"
