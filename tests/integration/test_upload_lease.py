"""The local upload claim is a lease (issue 9 item 4): a responder killed mid-PUT does not
leave the token claimed forever, and a claim whose statement's fate is unknown (the
database connection dropped under it) is never run a second time."""
import os
import signal
import subprocess
import threading
import time
from urllib.parse import urlsplit

import pytest

from conftest import assert_error, assert_status

PRESIGN = "/api/v1/uploads/presigned-url"


@pytest.fixture
def user(make_user):
    return make_user(tag="lease")


@pytest.fixture(scope="module")
def uploads_bin(stack):
    path = os.path.normpath(os.path.join(os.path.dirname(stack.admin_path), "..", "fcgi-bin", "uploads.fcgi"))
    assert os.access(path, os.X_OK), f"{path} is not an executable file"
    return path


def sql(stack, query):
    return subprocess.run(["psql", "-X", "-tA", "-d", stack.file_env["DATABASE_URL"], "-c", query],
                          capture_output=True, text=True, check=True, timeout=30).stdout.strip()


def wait_for(what, fn, budget=20.0):
    deadline = time.monotonic() + budget
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def issue(api, user, size):
    b = assert_status(api.post(PRESIGN, token=user.token,
                               json_body={"filename": "l.png", "content_type": "image/png", "size": size}), 200)
    return b, urlsplit(b["upload_url"]).path


def test_killed_mid_put_then_put_again_200(api, user, stack, uploads_bin):
    size = 200000
    data = os.urandom(size)
    b, path = issue(api, user, size)
    env = dict(stack.file_env)
    env.update({"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GATEWAY_INTERFACE": "CGI/1.1",
                "REQUEST_METHOD": "PUT", "REQUEST_URI": path, "CONTENT_LENGTH": str(size),
                "CONTENT_TYPE": "image/png", "UPLOAD_LEASE_SECONDS": "3"})
    p = subprocess.Popen([uploads_bin], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        p.stdin.write(data[:size // 2])
        p.stdin.flush()
        wait_for("the claim", lambda: sql(stack, f"SELECT state FROM uploads WHERE key = '{b['key']}'") == "uploading")
        time.sleep(0.3)
        os.kill(p.pid, signal.SIGKILL)     # the responder dies mid-body
    finally:
        p.wait(timeout=10)
        p.stdin.close()
        p.stdout.close()
        p.stderr.close()
    assert p.returncode == -signal.SIGKILL
    assert not os.path.exists(os.path.join(os.environ["FILES_STORAGE_ROOT"], b["key"]))
    # While its lease runs, the dead claim still holds the token ...
    assert_error(api.request("PUT", path, data=data, headers={"Content-Type": "image/png"}),
                 409, "Upload token already used")
    # ... and once it has run out, the next PUT takes it over and succeeds.
    wait_for("the lease to run out",
             lambda: sql(stack, f"SELECT claimed_until < now() FROM uploads WHERE key = '{b['key']}'") == "t")
    r = api.request("PUT", path, data=data, headers={"Content-Type": "image/png"})
    out = assert_status(r, 200)
    assert out["size"] == size
    with open(os.path.join(os.environ["FILES_STORAGE_ROOT"], b["key"]), "rb") as fh:
        assert fh.read() == data
    assert sql(stack, f"SELECT state, claim IS NULL FROM uploads WHERE key = '{b['key']}'") == "uploaded|t"
    # spent now: a third PUT is refused
    assert_error(api.request("PUT", path, data=data, headers={"Content-Type": "image/png"}),
                 409, "Upload token already used")


def test_live_claim_is_renewed_not_taken_over(api, user, stack, uploads_bin):
    """A slow but live upload renews its lease: a racing PUT after the first lease length is 409."""
    size = 60000
    data = os.urandom(size)
    b, path = issue(api, user, size)
    env = dict(stack.file_env)
    env.update({"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GATEWAY_INTERFACE": "CGI/1.1",
                "REQUEST_METHOD": "PUT", "REQUEST_URI": path, "CONTENT_LENGTH": str(size),
                "CONTENT_TYPE": "image/png", "UPLOAD_LEASE_SECONDS": "3"})
    p = subprocess.Popen([uploads_bin], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        chunk = 1000
        t_end = time.monotonic() + 5       # longer than the 3 s lease
        sent = 0
        while time.monotonic() < t_end and sent < size - chunk:
            p.stdin.write(data[sent:sent + chunk])
            p.stdin.flush()
            sent += chunk
            time.sleep(0.05)
        assert_error(api.request("PUT", path, data=data, headers={"Content-Type": "image/png"}),
                     409, "Upload token already used")
        p.stdin.write(data[sent:])
        p.stdin.close()
        out, err = p.stdout.read(), p.stderr.read()
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert out.startswith(b"Status: 200"), (out[:300], err[-500:])


def test_claim_cut_off_by_connection_loss_is_not_retried(api, user, stack):
    """The claim's connection dies while its UPDATE waits: its fate is unknown, so the
    responder answers 503 instead of running it again; the token stays usable."""
    b, path = issue(api, user, 4)
    locker = subprocess.Popen(["psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-d",
                               stack.file_env["DATABASE_URL"]],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    result = {}
    try:
        locker.stdin.write(f"BEGIN;\nSELECT 1 FROM uploads WHERE key = '{b['key']}' FOR UPDATE;\n\\echo locked\n")
        locker.stdin.flush()
        wait_for("the row lock", lambda: "locked" in locker.stdout.readline())

        def put():
            result["r"] = api.request("PUT", path, data=b"abcd", headers={"Content-Type": "image/png"},
                                      fresh=True, timeout=40)
        t = threading.Thread(target=put)
        t.start()
        pid = wait_for("the claim to wait on the lock", lambda: sql(
            stack, "SELECT pid FROM pg_stat_activity WHERE application_name = 'sartiq-files' "
                   "AND wait_event_type = 'Lock' AND query LIKE 'UPDATE uploads SET state = ''uploading''%'"))
        sql(stack, f"SELECT pg_terminate_backend({int(pid.split()[0])})")
        time.sleep(0.5)
        locker.stdin.write("ROLLBACK;\n\\q\n")
        locker.stdin.flush()
        t.join(timeout=40)
        assert not t.is_alive()
    finally:
        if locker.poll() is None:
            locker.stdin.close()
            locker.wait(timeout=10)
    assert_error(result["r"], 503, "Database unavailable")
    assert sql(stack, f"SELECT state FROM uploads WHERE key = '{b['key']}'") == "issued"
    assert_status(api.request("PUT", path, data=b"abcd", headers={"Content-Type": "image/png"}), 200)
