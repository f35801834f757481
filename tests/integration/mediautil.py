"""Helpers of the media tests (test_products, test_media_faults, test_media_s3, test_sweep):
responders run as plain CGI, files-cron, psql, and the s3rver of tests/s3."""
import hashlib
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from typing import Optional

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))


def png(tag: bytes) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + hashlib.sha256(tag).digest() * 64


def fresh_png() -> bytes:
    return png(uuid.uuid4().bytes)


def bin_path(stack, rel: str) -> str:
    """A built program next to the stack's files-admin (rel from the build root)."""
    path = os.path.normpath(os.path.join(os.path.dirname(stack.admin_path), "..", rel))
    assert os.access(path, os.X_OK), f"{path} is not an executable file"
    return path


def sql(stack, query: str, *args) -> list:
    """Rows of query (psql -At, one line a row; parameters as :'v0', :'v1' ...)."""
    cmd = ["psql", "-X", "-qAt", "-v", "ON_ERROR_STOP=1", stack.file_env["DATABASE_URL"]]
    for i, a in enumerate(args):
        cmd += ["-v", f"v{i}={a}"]
    p = subprocess.run(cmd, input=query, capture_output=True, text=True, timeout=30, env=stack.child_env)
    assert p.returncode == 0, p.stderr
    return [ln for ln in p.stdout.splitlines() if ln]


def cgi(binary: str, stack, method: str, uri: str, body: bytes = b"", *, token: Optional[str] = None,
        settings: Optional[dict] = None, extra_env: Optional[dict] = None, timeout: float = 60):
    """Run a responder as plain CGI with the stack's settings: (status, headers, body, returncode)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GATEWAY_INTERFACE": "CGI/1.1",
           "REQUEST_METHOD": method, "REQUEST_URI": uri, "CONTENT_LENGTH": str(len(body)),
           "CONTENT_TYPE": "application/json"}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    env.update({k: v for k, v in stack.file_env.items()})
    if token:
        env["HTTP_AUTHORIZATION"] = "Bearer " + token
    env.update(settings or {})
    env.update(extra_env or {})
    p = subprocess.run([binary], env=env, input=body, capture_output=True, timeout=timeout)
    if p.returncode != 0:
        return None, {}, p.stdout, p.returncode
    head, _, out = p.stdout.partition(b"\r\n\r\n")
    headers = {}
    for ln in head.decode("latin-1").split("\r\n"):
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(headers.pop("status").split()[0]), headers, out, 0


def cgi_json(binary, stack, method, uri, obj=None, **kw):
    status, _, out, rc = cgi(binary, stack, method, uri, json.dumps(obj).encode() if obj is not None else b"", **kw)
    assert rc == 0, (rc, out)
    return status, json.loads(out)


def cron(stack, *args: str, settings: Optional[dict] = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(stack.child_env)
    env.update(settings or {})
    return subprocess.run([bin_path(stack, "sbin/files-cron"), *args], env=env, capture_output=True,
                          text=True, timeout=timeout)



def paused(tmp_path, step: str, start, during, timeout: float = 60):
    """Run start(mark) in a thread (an ingest told to pause at step and touch mark there), call
    during() once it is paused, release it and return what start returned."""
    import threading
    mark = str(tmp_path / f"mark-{uuid.uuid4().hex}")
    out = {}
    t = threading.Thread(target=lambda: out.__setitem__("r", start(mark)))
    t.start()
    for _ in range(400):
        if os.path.exists(mark):
            break
        time.sleep(0.05)
    assert os.path.exists(mark), f"the ingest never reached {step}"
    during()
    os.unlink(mark)
    t.join(timeout)
    return out["r"]

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class S3rver:
    """tests/s3/s3rver.js on a free port (npm ci first when its node_modules is missing)."""

    BUCKET = "media-test"

    def __init__(self, tmpdir: str):
        s3dir = os.path.join(ROOT, "tests", "s3")
        if not os.path.isfile(os.path.join(s3dir, "node_modules", "@20minutes", "s3rver", "package.json")):
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=s3dir,
                           check=True, stdin=subprocess.DEVNULL, timeout=600)
        self.port = free_port()
        self.log = open(os.path.join(tmpdir, "s3rver.log"), "w+b")
        env = dict(os.environ)
        env["NODE_OPTIONS"] = "--openssl-legacy-provider"
        self.proc = subprocess.Popen(["node", os.path.join(s3dir, "s3rver.js"), str(self.port),
                                      os.path.join(tmpdir, "data"), self.BUCKET, str(os.getpid())],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env)
        for _ in range(300):
            self.log.seek(0)
            if self.log.read().startswith(b"ready"):
                break
            assert self.proc.poll() is None, "s3rver exited at start"
            time.sleep(0.1)
        else:
            raise AssertionError("s3rver not ready within 30 s")
        self.url = f"http://127.0.0.1:{self.port}"

    def settings(self, cdn: str = "https://cdn.example.com") -> dict:
        return {"STORAGE_BACKEND": "s3", "R2_ENDPOINT_URL": self.url, "R2_ACCESS_KEY_ID": "S3RVER",
                "R2_SECRET_ACCESS_KEY": "S3RVER", "R2_BUCKET": self.BUCKET, "R2_REGION": "us-east-1",
                "R2_ADDRESSING_STYLE": "path", "CDN_URL": cdn, "R2_PUBLIC_URL": cdn}

    def _curl(self, *args: str, data: Optional[bytes] = None) -> subprocess.CompletedProcess:
        return subprocess.run(["curl", "-s", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "S3RVER:S3RVER",
                               "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", *args],
                              capture_output=True, timeout=30, input=data)

    def get(self, key: str) -> Optional[bytes]:
        p = self._curl("-w", "%{http_code}", "-o", "-", f"{self.url}/{self.BUCKET}/{key}")
        body, code = p.stdout[:-3], p.stdout[-3:]
        return body if code == b"200" else None

    def put(self, key: str, data: bytes) -> None:
        p = self._curl("-X", "PUT", "--data-binary", "@-", "-w", "%{http_code}", "-o", "/dev/null",
                       f"{self.url}/{self.BUCKET}/{key}", data=data)
        assert p.stdout == b"200", p

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def pause(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)


