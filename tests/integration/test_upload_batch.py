"""Upload records written in batches (common/uprecord.h): while requests wait on its socket,
uploads.fcgi queues a presign's record and writes it with the next ones. Every record is
written by the time the process has nothing queued on its socket, and before it serves any
other route (a local PUT, the LoRA upload); a reader that does not find a record just issued
waits for it (common/upkey.h).

The batching tests run one uploads.fcgi child on a socket of their own and stop it
(SIGSTOP) while they queue requests, so that it finds them all waiting when it goes on."""
import os
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import json

import pytest

from conftest import assert_status
from test_fastcgi_close import BEGIN, PARAMS, STDIN, record, records, pair, stdout_of
from test_prefork import alive, children_of, wait_for
from test_uploads import PRESIGN, presign, put_path

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


@pytest.fixture
def user(make_user):
    return make_user(tag="upbatch")


def psql(stack, sql: str) -> str:
    return subprocess.run(["psql", "-X", "-tA", "-d", stack.file_env["DATABASE_URL"], "-c", sql],
                          capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def child(stack):
    """uploads.fcgi with one serving child on a Unix socket of its own: (path, child pid)."""
    binary = os.path.normpath(os.path.join(os.path.dirname(stack.admin_path), "..", "fcgi-bin",
                                           "uploads.fcgi"))
    path = os.path.join(tempfile.mkdtemp(prefix="upbatch-"), "uploads.sock")
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(path)
    lsock.listen(128)
    env = dict(stack.child_env, FILES_FCGI_CHILDREN="1", PRESIGN_BATCH="16")
    p = subprocess.Popen([binary], stdin=lsock.fileno(), env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    lsock.close()
    assert wait_for(lambda: len(children_of(p.pid)) == 1), "no serving child"
    kid = children_of(p.pid)[0]
    yield path, kid
    if alive(kid):
        os.kill(kid, signal.SIGCONT)
    p.terminate()
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
    assert wait_for(lambda: not alive(kid)), "the child outlived its parent"


def fcgi_send(path: str, method: str, uri: str, headers: dict, body: bytes, end: bool = True) -> socket.socket:
    """Connect and send a request's params and body (its end record too, unless not end)."""
    params = pair("REQUEST_METHOD", method) + pair("REQUEST_URI", uri) + pair("SERVER_PROTOCOL", "HTTP/1.1")
    for k, v in headers.items():
        params += pair(k, v)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    s.sendall(record(BEGIN, struct.pack("!HB5x", 1, 0)) + record(PARAMS, params) + record(PARAMS, b"") +
              records(body, STDIN) + (record(STDIN, b"") if end else b""))
    return s


def presign_request(path: str, token: str, body: dict) -> socket.socket:
    data = json.dumps(body).encode()
    return fcgi_send(path, "POST", PRESIGN, {"CONTENT_LENGTH": str(len(data)), "CONTENT_TYPE": "application/json",
                                             "HTTP_AUTHORIZATION": "Bearer " + token}, data)


def response(s: socket.socket) -> tuple:
    """(status, JSON body) of a FastCGI response read to its END_REQUEST record."""
    try:
        out = stdout_of(s)
    finally:
        s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    status = int(head.split(b"\r\n")[0].split()[1]) if head.startswith(b"Status:") else 200
    return status, json.loads(body) if body else None


def write_transactions(stack) -> int:
    return int(psql(stack, "SELECT txid_snapshot_xmax(txid_current_snapshot())"))


def queued_presigns(path, kid, user, bodies: list, then=None) -> tuple:
    """Presigns of bodies sent while the child is stopped, then (if given) the request then()
    sends; the presigns' answers (each 200) and then()'s socket."""
    os.kill(kid, signal.SIGSTOP)
    try:
        socks = [presign_request(path, user.token, b) for b in bodies]
        extra = then() if then else None
    finally:
        os.kill(kid, signal.SIGCONT)
    out = []
    for s in socks:
        status, body = response(s)
        assert status == 200, body
        out.append(body)
    return out, extra


def folder_bodies(n: int, tag: str) -> list:
    return [{"filename": f"{tag}{i}.png", "content_type": "image/png", "size": len(PNG),
             "folder": f'q"u\\o,te{{}} {i}'} for i in range(n)]


def test_queued_presigns_are_written_in_batches(stack, child, user):
    """40 presigns found waiting: all recorded within UPREC_DELAY_MS of the last answer, with
    their folders exactly (array literal quoting), in a few write transactions instead of 40."""
    path, kid = child
    n = 40
    before = write_transactions(stack)
    bodies, _ = queued_presigns(path, kid, user, folder_bodies(n, "batch"))
    keys = [b["key"] for b in bodies]
    query = "SELECT key || '|' || folder || '|' || owner_id FROM uploads WHERE key IN (%s)" % \
        ",".join(f"'{k}'" for k in keys)
    assert wait_for(lambda: len(psql(stack, query).splitlines()) == n, 1.0)
    writes = write_transactions(stack) - before
    assert sorted(psql(stack, query).splitlines()) == \
        sorted(f'{k}|q"u\\o,te{{}} {i}|{user.id}' for i, k in enumerate(keys))
    assert writes <= n // 4, f"{writes} write transactions for {n} queued presigns"


def test_a_stop_writes_the_queued_records_first(stack, child, user):
    """SIGTERM right after the last answer, while its batch may still wait for more (up to
    UPREC_DELAY_MS): the child writes it before it ends."""
    path, kid = child
    bodies, _ = queued_presigns(path, kid, user, folder_bodies(12, "stop"))
    os.kill(kid, signal.SIGTERM)
    assert wait_for(lambda: not alive(kid)), "the child did not end on SIGTERM"
    assert psql(stack, "SELECT count(*) FROM uploads WHERE key IN (%s)" %
                ",".join(f"'{b['key']}'" for b in bodies)) == "12"


def put_request(path: str, upload_path: str, body: bytes, declared: int) -> socket.socket:
    """A local PUT's params and the first bytes of its body (declared longer): it stalls."""
    return fcgi_send(path, "PUT", upload_path, {"CONTENT_LENGTH": str(declared), "CONTENT_TYPE": "image/png"},
                     body, end=False)


def test_queued_records_are_written_before_another_route_runs(api, stack, child, user):
    """Presign records queued ahead of a local PUT are written before the PUT (whose body
    may take long) is served: here it stalls after its first bytes, and the records are
    there all the same."""
    path, kid = child
    issued = assert_status(presign(api, user, filename="other.png", content_type="image/png",
                                   size=len(PNG)), 200)
    bodies, slow = queued_presigns(path, kid, user, folder_bodies(3, "w"),
                                   lambda: put_request(path, put_path(issued), PNG[:10], len(PNG)))
    keys = [b["key"] for b in bodies]
    found = lambda: psql(stack, "SELECT count(*) FROM uploads WHERE key IN (%s)" %
                         ",".join(f"'{k}'" for k in keys)) == "3"
    try:
        assert wait_for(found, 2.0), "records stayed queued while the child served the PUT"
    finally:
        slow.close()


def test_a_put_waits_for_a_record_issued_moments_ago(api, user, stack):
    """A local PUT whose record is not there yet (queued in another process: here deleted and
    put back 50 ms later) waits for it instead of refusing the token."""
    b = assert_status(presign(api, user, filename="late.png", content_type="image/png", size=len(PNG)), 200)
    row = psql(stack, f"DELETE FROM uploads WHERE key = '{b['key']}' RETURNING "
                      "id, owner_id, key, content_type, declared_size, extract(epoch FROM expires_at)::bigint, nonce")
    uid, owner, key, ctype, size, expires, nonce = row.splitlines()[0].split("|")
    result = {}
    t = threading.Thread(target=lambda: result.update(
        r=api.request("PUT", put_path(b), data=PNG, headers={"Content-Type": "image/png"})))
    t.start()
    time.sleep(0.05)
    psql(stack, "INSERT INTO uploads (id, owner_id, key, content_type, declared_size, expires_at, nonce) "
                f"VALUES ('{uid}', '{owner}', '{key}', '{ctype}', {size}, to_timestamp({expires}), '{nonce}')")
    t.join(30)
    assert_status(result["r"], 200)


def test_a_put_without_a_record_is_refused_after_the_wait(api, user, stack):
    b = assert_status(presign(api, user, filename="gone.png", content_type="image/png", size=len(PNG)), 200)
    psql(stack, f"DELETE FROM uploads WHERE key = '{b['key']}'")
    t0 = time.monotonic()
    r = api.request("PUT", put_path(b), data=PNG, headers={"Content-Type": "image/png"})
    waited = time.monotonic() - t0
    assert r.status_code == 403, r.text
    assert waited >= 0.1, f"refused after {waited:.3f} s: the record was not waited for"
