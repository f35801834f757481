"""bulk-upload.fcgi (API.md §7) behind lighttpd, then files-cron run-imports: the task from
PENDING to COMPLETED through the HTTP API; the 400/404/413 refusals; visibility."""
import json
import os
import subprocess
import threading
import time
import uuid

import pytest
from urllib3 import encode_multipart_formdata

from conftest import assert_422, assert_error, assert_status
from test_bulk_worker import Bulk, good_archive, jpeg, make_zip

BASE = "/api/v1/products/bulk-upload"


def post_zip(api, user, data: bytes, query: str = "", filename="products.zip", slash="/"):
    body, ctype = encode_multipart_formdata({"file": (filename, data, "application/zip")})
    return api.request("POST", BASE + slash + query, token=user.token, data=body,
                       headers={"Content-Type": ctype})


@pytest.fixture(scope="module")
def bulk(stack):
    return Bulk(stack)


def stored(bulk, tid):
    d = os.path.join(bulk.root, "bulk-uploads", tid)
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def test_upload_then_import_end_to_end(api, bulk, make_user):
    u = make_user(tag="bulkhttp")
    t = assert_status(post_zip(api, u, good_archive(), filename="Spring catalogue.zip"), 200)
    assert t["status"] == "PENDING" and t["file_url"] is None and t["owner_id"] == u.id
    assert t["filename"] == "Spring catalogue.zip" and t["results"] == {}
    assert (t["total_products"], t["processed_products"], t["completed_at"]) == (0, 0, None)
    assert t["created_at"].endswith("Z")
    assert len(stored(bulk, t["id"])) == 1
    bulk.run()
    g = assert_status(api.request("GET", f"{BASE}/{t['id']}", token=u.token), 200)
    assert g["status"] == "COMPLETED" and g["completed_at"].endswith("Z")
    assert (g["total_products"], g["successful_products"], g["failed_products"]) == (7, 2, 5)
    assert g["processed_products"] == g["successful_products"] + g["failed_products"] + g["skipped_products"]
    errs = assert_status(api.request("GET", f"{BASE}/{t['id']}/errors", token=u.token), 200)
    assert {"sku": "A3", "row": 5, "field": "images"}.items() <= errs[0].items(), errs
    assert all(set(e) == {"sku", "row", "field", "message"} for e in errs)
    assert stored(bulk, t["id"]) == []
    # the products are the caller's, through products.fcgi
    lst = assert_status(api.request("GET", "/api/v1/products?sku=A1", token=u.token), 200)
    assert lst["count"] == 1 and len(lst["data"][0]["images"]) == 3


def test_list_get_and_visibility(api, bulk, make_user, superuser):
    u, other = make_user(tag="bulkhttp"), make_user(tag="bulkhttp")
    data = make_zip([("p.csv", b"sku,name\nL1,x\n"), ("L1/a.jpg", jpeg("l1"))])
    t1 = assert_status(post_zip(api, u, data, slash=""), 200)
    t2 = assert_status(post_zip(api, u, data, query="?caption_products=no&skip_existing_skus=true"), 200)
    lst = assert_status(api.request("GET", BASE + "/", token=u.token), 200)
    assert [x["id"] for x in lst] == [t2["id"], t1["id"]], "newest first, only the caller's"
    assert assert_status(api.request("GET", BASE + "?limit=1&skip=1", token=u.token), 200)[0]["id"] == t1["id"]
    assert assert_status(api.request("GET", BASE + "/?status=COMPLETED", token=u.token), 200) == []
    assert_422(api.request("GET", BASE + "/?status=DONE", token=u.token), {"type": "enum", "loc": ["query", "status"]})
    assert_422(api.request("GET", BASE + "/?limit=0", token=u.token), {"type": "greater_than_equal"})
    assert assert_status(api.request("GET", BASE + "/", token=other.token), 200) == []
    assert_error(api.request("GET", f"{BASE}/{t1['id']}", token=other.token), 404, "Bulk upload task not found")
    assert_error(api.request("GET", f"{BASE}/{t1['id']}/errors", token=other.token), 404, "Bulk upload task not found")
    assert_status(api.request("GET", f"{BASE}/{t1['id']}", token=superuser.token), 200)
    ids = {x["id"] for x in assert_status(api.request("GET", BASE + "/?limit=1000", token=superuser.token), 200)}
    assert {t1["id"], t2["id"]} <= ids
    assert_422(api.request("GET", f"{BASE}/not-a-uuid", token=u.token), {"type": "uuid_parsing"})
    r = bulk.sql(f"SELECT caption_products, skip_existing_skus FROM bulk_upload_tasks WHERE id = '{t2['id']}'")
    assert r == "f|t"
    bulk.run()
    assert assert_status(api.request("GET", f"{BASE}/{t2['id']}", token=u.token), 200)["status"] == "COMPLETED"


def test_refusals(api, bulk, make_user):
    u = make_user(tag="bulkhttp")
    before = bulk.sql("SELECT count(*) FROM bulk_upload_tasks")
    assert_error(post_zip(api, u, b"%PDF-1.4 not a zip"), 400, "The file is not a ZIP archive")
    assert_error(post_zip(api, u, b""), 400, "The file is not a ZIP archive")
    data = make_zip([("p.csv", b"sku,name\n")])
    assert_error(post_zip(api, u, data, query=f"?shooting_id={uuid.uuid4()}"), 404, "Shooting not found")
    assert_422(post_zip(api, u, data, query="?shooting_id=nope"), {"type": "uuid_parsing", "loc": ["query", "shooting_id"]})
    assert_422(post_zip(api, u, data, query="?caption_products=maybe"), {"type": "bool_parsing"})
    body, ctype = encode_multipart_formdata({"other": "x"})
    assert_422(api.request("POST", BASE + "/", token=u.token, data=body, headers={"Content-Type": ctype}),
               {"type": "missing", "loc": ["body", "file"]})
    assert_error(api.request("POST", BASE + "/", token=u.token, data=b"x",
                             headers={"Content-Type": "multipart/form-data; boundary=zz"}),
                 400, "There was an error parsing the body")
    r = api.request("POST", BASE + "/", data=b"")
    assert r.status_code == 401
    assert bulk.sql("SELECT count(*) FROM bulk_upload_tasks") == before


def test_visible_shooting_accepted(api, bulk, make_user):
    u, other = make_user(tag="bulkhttp"), make_user(tag="bulkhttp")
    s = assert_status(api.request("POST", "/api/v1/shootings", token=u.token, json_body={"name": "s"}), 200)
    data = make_zip([("p.csv", b"sku,name\nH1,x\n"), ("H1/a.jpg", jpeg("h1"))])
    assert_error(post_zip(api, other, data, query=f"?shooting_id={s['id']}"), 404, "Shooting not found")
    t = assert_status(post_zip(api, u, data, query=f"?shooting_id={s['id']}"), 200)
    assert t["shooting_id"] == s["id"]
    bulk.run()
    sh = assert_status(api.request("GET", f"/api/v1/shootings/{s['id']}", token=u.token), 200)
    assert len(sh["product_ids"]) == 1


def test_413_over_bulk_max_upload_bytes_as_cgi(stack, bulk, make_user):
    """The cap is a setting: the responder run as CGI with BULK_MAX_UPLOAD_BYTES=2000."""
    u = make_user(tag="bulkhttp")
    binary = os.path.normpath(os.path.join(os.path.dirname(stack.admin_path), "..", "fcgi-bin",
                                           "bulk-upload.fcgi"))
    big = make_zip([("p.csv", b"sku,name\n"), ("x.bin", os.urandom(5000))], method=0)
    body, ctype = encode_multipart_formdata({"file": ("big.zip", big, "application/zip")})
    env = dict(stack.child_env)
    env.update({"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "POST", "REQUEST_URI": BASE + "/",
                "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": ctype,
                "HTTP_AUTHORIZATION": "Bearer " + u.token, "BULK_MAX_UPLOAD_BYTES": "2000"})
    before = len(os.listdir(os.path.join(bulk.root, "bulk-uploads"))) \
        if os.path.isdir(os.path.join(bulk.root, "bulk-uploads")) else 0
    p = subprocess.run([binary], env=env, input=body, capture_output=True, timeout=60)
    head, _, out = p.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"Status: 413"), p.stdout[:300]
    assert json.loads(out) == {"detail": "File larger than BULK_MAX_UPLOAD_BYTES"}
    after = len(os.listdir(os.path.join(bulk.root, "bulk-uploads"))) \
        if os.path.isdir(os.path.join(bulk.root, "bulk-uploads")) else 0
    assert after == before, "nothing left in storage"
    # the same body under the cap is taken
    env["BULK_MAX_UPLOAD_BYTES"] = str(len(body) + 100)
    p = subprocess.run([binary], env=env, input=body, capture_output=True, timeout=60)
    assert p.stdout.startswith(b"Status: 200") or b"\r\n\r\n{" in p.stdout and b"PENDING" in p.stdout, p.stdout[:300]
    bulk.run()


def _cgi_env(stack, user, body_len, ctype, **extra):
    env = dict(stack.child_env)
    env.update({"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "POST", "REQUEST_URI": BASE + "/",
                "CONTENT_LENGTH": str(body_len), "CONTENT_TYPE": ctype,
                "HTTP_AUTHORIZATION": "Bearer " + user.token})
    env.update(extra)
    return env


def test_non_zip_refused_before_the_body_ends_as_cgi(stack, bulk, make_user):
    """8 MiB that are not a ZIP, sent 64 KiB every 50 ms: the 400 comes after the first bytes of
    the part, long before the client is done (a responder that reads the whole form first
    answers only once all of it has been sent). Nothing stored, no task."""
    u = make_user(tag="bulkhttp")
    binary = os.path.normpath(os.path.join(os.path.dirname(stack.admin_path), "..", "fcgi-bin",
                                           "bulk-upload.fcgi"))
    body, ctype = encode_multipart_formdata({"file": ("slow.zip", b"%PDF" + b"x" * (8 << 20), "application/zip")})
    before_rows = bulk.sql("SELECT count(*) FROM bulk_upload_tasks")
    before = stored_all(bulk)
    p = subprocess.Popen([binary], env=_cgi_env(stack, u, len(body), ctype), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    sent, chunk = 0, 64 * 1024
    sent_at_answer = []

    def feed():
        nonlocal sent
        try:
            while sent < len(body) and p.poll() is None:
                p.stdin.write(body[sent:sent + chunk])
                p.stdin.flush()
                sent += chunk
                time.sleep(0.05)
        except (BrokenPipeError, OSError):
            pass

    th = threading.Thread(target=feed, daemon=True)
    th.start()
    out = b""
    while not (b"\r\n\r\n" in out and out.rstrip().endswith(b"}")):
        more = os.read(p.stdout.fileno(), 65536)     # the answer, before the responder lingers
        if not more:
            break
        out += more
    sent_at_answer.append(sent)
    p.wait(timeout=60)
    th.join(timeout=60)
    head, _, rest = out.partition(b"\r\n\r\n")
    assert head.startswith(b"Status: 400"), out[:300]
    assert json.loads(rest) == {"detail": "The file is not a ZIP archive"}
    assert sent_at_answer[0] < len(body) // 4, f"answered after {sent_at_answer[0]} of {len(body)} bytes"
    assert stored_all(bulk) == before, "nothing left in storage"
    assert bulk.sql("SELECT count(*) FROM bulk_upload_tasks") == before_rows


def stored_all(bulk):
    """Every file under bulk-uploads/ (temp files of the local backend included)."""
    found = []
    for top in ("bulk-uploads", ".tmp"):
        for d, _, files in os.walk(os.path.join(bulk.root, top)):
            found += [os.path.join(d, f) for f in files]
    return sorted(found)


def test_413_and_400_leave_nothing_as_cgi(stack, bulk, make_user):
    """A streamed part over the cap (Content-Length under the form's slack) is 413; a truncated
    body after a ZIP head is refused: no object, no temp file, no task row."""
    u = make_user(tag="bulkhttp")
    binary = os.path.normpath(os.path.join(os.path.dirname(stack.admin_path), "..", "fcgi-bin",
                                           "bulk-upload.fcgi"))
    big = make_zip([("p.csv", b"sku,name\n"), ("x.bin", os.urandom(300000))], method=0)
    body, ctype = encode_multipart_formdata({"file": ("big.zip", big, "application/zip")})
    rows, before = bulk.sql("SELECT count(*) FROM bulk_upload_tasks"), stored_all(bulk)
    p = subprocess.run([binary], env=_cgi_env(stack, u, len(body), ctype, BULK_MAX_UPLOAD_BYTES="100000"),
                       input=body, capture_output=True, timeout=60)
    assert p.stdout.startswith(b"Status: 413"), p.stdout[:300]
    # the multipart body cut after the part's data: the close delimiter never comes
    cut = body[:len(body) - 10]
    p = subprocess.run([binary], env=_cgi_env(stack, u, len(cut), ctype), input=cut, capture_output=True,
                       timeout=60)
    assert p.stdout.startswith(b"Status: 400"), p.stdout[:300]
    assert b"There was an error parsing the body" in p.stdout
    assert stored_all(bulk) == before and bulk.sql("SELECT count(*) FROM bulk_upload_tasks") == rows


def test_not_a_zip_refused_before_the_rest_of_the_body(api, bulk, make_user):
    """API.md §7: a file that is not a ZIP by its magic bytes is 400 at once: the answer comes
    while most of the declared body has not been sent (the web server streams it to the
    responder, it does not spool a whole archive first), and no task or object is left."""
    import socket
    from urllib.parse import urlsplit

    u = make_user(tag="bulkhttp")
    before = bulk.sql("SELECT count(*) FROM bulk_upload_tasks")
    files_before = stored_files(bulk)
    boundary = "bnd" + uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.zip\"\r\n"
            "Content-Type: application/zip\r\n\r\n").encode() + b"%PDF-1.4 " + b"x" * 65536
    total = len(head) + 32 * 1024 * 1024      # declared; we send only head
    url = urlsplit(api.base_url)
    s = socket.create_connection((url.hostname, url.port), timeout=15)
    try:
        s.sendall((f"POST {BASE}/ HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {u.token}\r\n"
                   f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                   f"Content-Length: {total}\r\nConnection: close\r\n\r\n").encode() + head)
        got = b""
        while b"\r\n\r\n" not in got:
            chunk = s.recv(65536)       # socket.timeout (15 s) fails the test: no answer at once
            if not chunk:
                break
            got += chunk
        status = got.split(b"\r\n", 1)[0]
        assert status.startswith(b"HTTP/1.1 400"), got[:300]
        while True:         # the JSON body follows
            try:
                chunk = s.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
        assert b"The file is not a ZIP archive" in got, got[:500]
    finally:
        s.close()
    assert bulk.sql("SELECT count(*) FROM bulk_upload_tasks") == before
    assert stored_files(bulk) == files_before, "nothing left in storage"


def stored_files(bulk):
    return sorted(os.path.join(d, f) for d, _, fs in os.walk(os.path.join(bulk.root, "bulk-uploads")) for f in fs)
