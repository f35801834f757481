"""Captions of bulk-imported products (API.md §7, §8) against a real HTTP captioning service
started here: one that answers, one that errs, one that hangs past the 30 s timeout; and
caption-pending for products imported while no service was configured."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from test_bulk_worker import Bulk, jpeg, make_zip


class Service:
    def __init__(self):
        self.mode = "answer"
        self.seen = []
        svc = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                svc.seen.append(body)
                if svc.mode == "hang":
                    time.sleep(40)
                    return
                if svc.mode == "err":
                    self.send_response(500)
                    self.end_headers()
                    self.wfile.write(b"boom")
                    return
                out = json.dumps({"caption": f"A photo of {body['name']} " + "x" * 2500}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/caption"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def svc():
    s = Service()
    yield s
    s.httpd.shutdown()


@pytest.fixture(scope="module")
def bulk(stack):
    return Bulk(stack)


def caption_of(bulk, owner, sku):
    return bulk.sql(f"SELECT coalesce(caption_status, 'NULL') || '|' || coalesce(length(caption)::text, '-') "
                    f"FROM products WHERE owner_id = '{owner}' AND sku = '{sku}'")


def one(tag):
    return make_zip([("p.csv", f"sku,name,description\n{tag},Name {tag},Desc {tag}\n".encode()),
                     (f"{tag}/cover.jpg", jpeg(tag))])


def test_service_answers_errs_and_hangs(bulk, make_user, svc):
    u = make_user(tag="caption")
    bulk.env = dict(bulk.env, CAPTION_SERVICE_URL=svc.url)
    try:
        svc.mode = "answer"
        bulk.queue(u.id, one("C1"))
        bulk.run()
        assert caption_of(bulk, u.id, "C1") == "done|2000", "stored, cut to 2,000 characters"
        body = svc.seen[-1]
        assert (body["sku"], body["name"], body["description"]) == ("C1", "Name C1", "Desc C1")
        assert body["image_url"] == bulk.products(u.id)["C1"]["cover"]
        svc.mode = "err"
        bulk.queue(u.id, one("C2"))
        bulk.run()
        assert caption_of(bulk, u.id, "C2") == "failed|-"
        svc.mode = "hang"
        t0 = time.monotonic()
        tid = bulk.queue(u.id, one("C3"))
        bulk.run()
        took = time.monotonic() - t0
        assert caption_of(bulk, u.id, "C3") == "failed|-"
        assert 29 <= took < 40, took
        assert bulk.task(tid)["ok"] == 1, "a failing service never fails the product"
        bulk.queue(u.id, one("C4"), caption=False)
        bulk.run()
        assert caption_of(bulk, u.id, "C4") == "NULL|-"
    finally:
        bulk.env = dict(bulk.stack.child_env)
        svc.mode = "answer"


def test_caption_pending_later(bulk, make_user, svc):
    u = make_user(tag="caption")
    env = dict(bulk.stack.child_env)
    env.pop("CAPTION_SERVICE_URL", None)
    bulk.env = env
    bulk.queue(u.id, one("P1"))
    bulk.run()
    assert caption_of(bulk, u.id, "P1") == "pending|-"
    import subprocess
    p = subprocess.run([bulk.cron, "caption-pending"], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "nothing to do" in p.stdout, p
    assert caption_of(bulk, u.id, "P1") == "pending|-"
    env2 = dict(env, CAPTION_SERVICE_URL=svc.url)
    p = subprocess.run([bulk.cron, "caption-pending", "--max", "100000"], env=env2,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p
    assert caption_of(bulk, u.id, "P1") == "done|2000"
    p = subprocess.run([bulk.cron, "caption-pending", "--max", "x"], env=env2, capture_output=True, text=True)
    assert p.returncode == 2
