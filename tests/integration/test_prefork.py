"""FILES_FCGI_CHILDREN: the process the web server starts forks that many children, which
serve on its FastCGI socket, and only watches them (common/responder.c; lighttpd runs every
responder so, max-procs 1). A child that dies is replaced; the parent stopped stops them; the
parent killed takes them along (PR_SET_PDEATHSIG); a bad value serves in the one process.
The requests go through a FastCGI client of test_fastcgi_close.py, with no web server."""
import os
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from test_fastcgi_close import exchange


def children_of(pid: int) -> list:
    """Pids of the live (not zombie) processes whose parent is pid."""
    kids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
        except OSError:
            continue
        rest = s[s.rindex(")") + 2:].split()
        if rest[0] != "Z" and int(rest[1]) == pid:
            kids.append(int(d))
    return sorted(kids)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return False
    return s[s.rindex(")") + 2:].split()[0] != "Z"


def wait_for(cond, seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


@pytest.fixture
def pool(stack):
    """auth.fcgi on a Unix socket of its own with FILES_FCGI_CHILDREN (given by the test)."""
    binary = os.path.normpath(os.path.join(os.path.dirname(stack.admin_path), "..", "fcgi-bin",
                                           "auth.fcgi"))
    tmp = tempfile.mkdtemp(prefix="prefork-")
    path = os.path.join(tmp, "auth.sock")
    procs = []

    def start(children: str):
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(path)
        lsock.listen(64)
        env = dict(stack.child_env, FILES_FCGI_CHILDREN=children)
        p = subprocess.Popen([binary], stdin=lsock.fileno(), env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        lsock.close()
        procs.append(p)
        return p, path

    yield start
    for p in procs:
        kids = children_of(p.pid)
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)
        for k in kids:
            if alive(k):
                os.kill(k, signal.SIGKILL)
        p.stderr.close()
    if os.path.exists(path):
        os.unlink(path)
    os.rmdir(tmp)


def answers(path: str, n: int = 20) -> None:
    for _ in range(n):
        out = exchange(path, "GET", "/api/v1/openapi.json")
        assert out.startswith(b"Status: 200"), out[:200]


def test_children_serve_and_are_replaced(pool):
    p, path = pool("3")
    assert wait_for(lambda: len(children_of(p.pid)) == 3), children_of(p.pid)
    kids = children_of(p.pid)
    answers(path)
    os.kill(kids[0], signal.SIGKILL)
    # (a connection the kernel queued for it just before it died would be lost with it)
    assert wait_for(lambda: not alive(kids[0]))
    # replaced after a second's pause; the others keep serving meanwhile
    answers(path, 5)
    assert wait_for(lambda: len(children_of(p.pid)) == 3 and kids[0] not in children_of(p.pid))
    answers(path)
    assert p.poll() is None


def test_parent_stops_its_children(pool):
    p, path = pool("2")
    assert wait_for(lambda: len(children_of(p.pid)) == 2)
    kids = children_of(p.pid)
    answers(path, 5)
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=10) == 0
    assert not any(alive(k) for k in kids), [k for k in kids if alive(k)]
    assert b"ended" not in p.stderr.read()      # a stop is not a child's death


def test_children_die_with_a_killed_parent(pool):
    p, _ = pool("2")
    assert wait_for(lambda: len(children_of(p.pid)) == 2)
    kids = children_of(p.pid)
    p.kill()
    p.wait(timeout=10)
    assert wait_for(lambda: not any(alive(k) for k in kids)), [k for k in kids if alive(k)]


@pytest.mark.parametrize("value", ["0", "", "abc", "65", "-1"])
def test_no_children(pool, value):
    """0 or empty: the one process serves; a bad value too, with a line in the log."""
    p, path = pool(value)
    answers(path, 5)
    assert children_of(p.pid) == []
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=10)
    err = p.stderr.read()
    assert (b"FILES_FCGI_CHILDREN" in err) == (value not in ("0", "")), err[-500:]
