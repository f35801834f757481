"""files-cron run-imports (API.md §7, §8) against the real stack: tasks are queued the way the
bulk-upload responder queues them (a row in bulk_upload_tasks, the archive under
bulk-uploads/{task_id}/ in local storage), archives are generated here with zipfile."""
import io
import json
import os
import signal
import stat
import subprocess
import sys
import time
import uuid
import zipfile

import pytest


def jpeg(tag: str, size: int = 2048) -> bytes:
    body = (tag.encode() * (size // max(1, len(tag)) + 1))[:size]
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + body


def png(tag: str) -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + tag.encode() * 50


def make_zip(entries, method=zipfile.ZIP_DEFLATED) -> bytes:
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", method) as z:
        for e in entries:
            if isinstance(e, zipfile.ZipInfo):
                z.writestr(e, b"/etc/passwd")
            else:
                z.writestr(e[0], e[1])
    return b.getvalue()


class Bulk:
    def __init__(self, stack):
        self.stack = stack
        self.env = stack.child_env
        self.cron = os.path.join(os.path.dirname(stack.admin_path), "files-cron")
        self.root = stack.file_env["STORAGE_LOCAL_ROOT"]

    def sql(self, q: str) -> str:
        return subprocess.run(["psql", "-X", "-tA", "-v", "ON_ERROR_STOP=1", "-d",
                               self.stack.file_env["DATABASE_URL"], "-c", q],
                              capture_output=True, text=True, check=True).stdout.strip()

    def queue(self, owner: str, data: bytes, *, skip_existing=False, caption=True) -> str:
        tid = str(uuid.uuid4())
        key = f"bulk-uploads/{tid}/products.zip"
        path = os.path.join(self.root, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
        self.sql(f"INSERT INTO bulk_upload_tasks (id, owner_id, filename, storage_key, "
                 f"skip_existing_skus, caption_products) VALUES ('{tid}', '{owner}', "
                 f"'products.zip', '{key}', {str(skip_existing).lower()}, {str(caption).lower()})")
        return tid

    def run(self, *args, check=True) -> subprocess.CompletedProcess:
        p = subprocess.run([self.cron, "run-imports", *args], env=self.env,
                           capture_output=True, text=True, timeout=300)
        if check:
            assert p.returncode == 0, f"files-cron exit {p.returncode}: {p.stderr[-2000:]}"
        return p

    def run_rss(self) -> int:
        """run-imports through a wrapper whose only child it is: its peak RSS in KiB."""
        wrap = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:]); "
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
                "sys.exit(p.returncode)")
        p = subprocess.run([sys.executable, "-c", wrap, self.cron, "run-imports"], env=self.env,
                           capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, f"files-cron exit {p.returncode}: {p.stderr[-2000:]}"
        return int(p.stderr.strip().splitlines()[-1])

    def sanitized(self) -> bool:
        with open(self.cron, "rb") as fh:
            return b"__asan_init" in fh.read()

    def task(self, tid: str) -> dict:
        out = self.sql(
            "SELECT json_build_object('status', status, 'total', total_products, "
            "'processed', processed_products, 'ok', successful_products, "
            "'failed', failed_products, 'skipped', skipped_products, 'results', results, "
            f"'error', error_message, 'attempts', attempts) FROM bulk_upload_tasks WHERE id = '{tid}'")
        return json.loads(out)

    def errors(self, tid: str) -> list:
        out = self.sql("SELECT coalesce(json_agg(json_build_object('sku', sku, 'row', \"row\", "
                       "'field', field, 'message', message) ORDER BY id), '[]') "
                       f"FROM bulk_upload_errors WHERE task_id = '{tid}'")
        return json.loads(out)

    def products(self, owner: str) -> dict:
        out = self.sql("SELECT coalesce(json_object_agg(sku, json_build_object('id', id, "
                       "'name', name, 'description', description, 'attributes', attributes, "
                       "'cover', cover_image_url, 'gallery', image_urls, 'caption_status', caption_status)), '{}') "
                       f"FROM products WHERE owner_id = '{owner}'")
        return json.loads(out)

    def archive_exists(self, tid: str) -> bool:
        return os.path.exists(os.path.join(self.root, f"bulk-uploads/{tid}/products.zip"))


@pytest.fixture(scope="module")
def bulk(stack):
    if stack.file_env.get("STORAGE_BACKEND", "local") != "local":
        pytest.fail("these tests queue archives straight into local storage")
    b = Bulk(stack)
    if not os.access(b.cron, os.X_OK):
        pytest.fail(f"{b.cron} is not built")
    return b


def good_archive(prefix: str = "") -> bytes:
    shared = jpeg("same-bytes-in-two-skus")
    csv = ("\ufeffSKU;Name;Description;Cover_Image;Brand;Color;Price\r\n"
           "A1;Shirt;A blue shirt;;Acme;blue;9,50\r\n"
           "A2;\"Multi\r\nline\";;second.png;Acme;;12\r\n"
           "A3;No folder;;;;;\r\n"
           ";No sku;;;;;\r\n"
           "A4;;;;;;\r\n"
           "A1;Repeat;;;;;\r\n"
           "A5;Empty folder;;;;;\r\n")
    entries = [
        (prefix + "products.csv", csv.encode("utf-8")),
        (prefix + "A1/img10.jpg", jpeg("a1-10")),
        (prefix + "A1/img2.png", png("a1-2")),
        (prefix + "A1/cover.jpg", shared),
        (prefix + "A1/.DS_Store", b"junk"),
        (prefix + "A2/first.jpg", shared),
        (prefix + "A2/second.png", png("a2-second")),
        (prefix + "A2/notes.txt", b"not an image"),
        (prefix + "A5/readme.txt", b"no image here"),
        ("__MACOSX/" + prefix + "A1/._cover.jpg", b"junk"),
        (prefix + "Thumbs.db", b"junk"),
    ]
    return make_zip(entries)


def test_good_archive_end_to_end(bulk, make_user):
    u = make_user(tag="bulk")
    tid = bulk.queue(u.id, good_archive("Export 2026/"))
    bulk.run()
    t = bulk.task(tid)
    assert t["status"] == "COMPLETED", t
    assert (t["total"], t["processed"], t["ok"], t["failed"], t["skipped"]) == (7, 7, 2, 5, 0), t
    r = t["results"]
    assert set(r) == {"A1", "A2", "A3", "row:6", "A4", "row:8", "A5"}, r
    assert r["A1"]["status"] == "created" and r["A1"]["images"] == 3
    assert r["A2"]["status"] == "created" and r["A2"]["images"] == 2
    for k in ("A3", "row:6", "A4", "row:8", "A5"):
        assert r[k]["status"] == "failed" and r[k]["product_id"] is None and r[k]["errors"], (k, r[k])
    p = bulk.products(u.id)
    assert set(p) == {"A1", "A2"}
    a1, a2 = p["A1"], p["A2"]
    assert a1["id"] == r["A1"]["product_id"]
    assert a1["name"] == "Shirt" and a1["description"] == "A blue shirt"
    assert a1["attributes"] == {"brand": "Acme", "color": "blue", "price": "9,50"}
    assert a2["name"] == "Multi\r\nline" and a2["attributes"] == {"brand": "Acme", "price": "12"}
    assert a1["caption_status"] == "pending"
    # cover by stem, then natural order; A2's cover from the cover_image column
    assert len(a1["gallery"]) == 2 and a2["cover"].endswith(".png") and len(a2["gallery"]) == 1
    assert a1["cover"] == a2["gallery"][0], "identical bytes across SKUs are one resource"
    used = bulk.sql("SELECT count(DISTINCT a.resource_id) FROM media_resource_attachments a "
                    f"JOIN products p ON p.id = a.entity_id WHERE p.owner_id = '{u.id}'")
    assert int(used) == 4, "five images attached, two of them the same bytes"
    assert a1["gallery"][0].endswith(".png") and a1["gallery"][1].endswith(".jpg")
    errs = bulk.errors(tid)
    by_row = {(e["row"], e["field"]) for e in errs}
    assert (3, "images") not in by_row
    assert {(5, "images"), (6, "sku"), (7, "name"), (8, "sku"), (9, "images")} <= by_row, errs
    assert not bulk.archive_exists(tid), "the archive leaves storage when the task ends"


def test_reupload_with_and_without_skip(bulk, make_user):
    u = make_user(tag="bulk")
    data = make_zip([("p.csv", b"sku,name\nS1,One\nS2,Two\n"), ("S1/a.jpg", jpeg("s1")),
                     ("S2/a.jpg", jpeg("s2"))])
    t1 = bulk.queue(u.id, data)
    bulk.run()
    assert bulk.task(t1)["ok"] == 2
    t2 = bulk.queue(u.id, data)
    bulk.run()
    t = bulk.task(t2)
    assert (t["status"], t["ok"], t["failed"]) == ("COMPLETED", 0, 2), t
    assert "exists already" in t["results"]["S1"]["errors"][0]
    t3 = bulk.queue(u.id, data, skip_existing=True)
    bulk.run()
    t = bulk.task(t3)
    assert (t["status"], t["ok"], t["skipped"], t["processed"]) == ("COMPLETED", 0, 2, 2), t
    assert t["results"]["S1"]["product_id"] == bulk.products(u.id)["S1"]["id"]
    assert len(bulk.products(u.id)) == 2


def _symlink_zip() -> bytes:
    zi = zipfile.ZipInfo("S1/link.jpg")
    zi.create_system = 3
    zi.external_attr = (stat.S_IFLNK | 0o777) << 16
    return make_zip([("p.csv", b"sku,name\nS1,x\n"), zi])


def _dup_zip() -> bytes:
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # zipfile warns about the duplicate, and writes it
        return make_zip([("p.csv", b"sku,name\nS1,x\n"), ("S1/a.jpg", jpeg("1")), ("S1/a.jpg", jpeg("2"))])


def _patched(data: bytes, sig: bytes, offset: int, value: bytes, nth: int = 1) -> bytes:
    """Overwrite bytes at offset of the nth header with signature sig."""
    b = bytearray(data)
    pos = -1
    for _ in range(nth + 1):
        pos = b.index(sig, pos + 1)
    b[pos + offset:pos + offset + len(value)] = value
    return bytes(b)


def _encrypted_zip() -> bytes:
    data = make_zip([("p.csv", b"sku,name\nS1,x\n"), ("S1/a.jpg", jpeg("e"))], zipfile.ZIP_STORED)
    data = _patched(data, b"PK\x03\x04", 6, b"\x01\x00")      # general purpose bit 0
    return _patched(data, b"PK\x01\x02", 8, b"\x01\x00")


def _local_header_lies() -> bytes:
    data = make_zip([("p.csv", b"sku,name\nS1,x\n"), ("S1/a.jpg", jpeg("l"))], zipfile.ZIP_STORED)
    return _patched(data, b"PK\x03\x04", 30, b"S2")             # the local name differs


HOSTILE = {
    "duplicate": (_dup_zip, 'entry "S1/a.jpg": duplicate name'),
    "backslash": (lambda: make_zip([("p.csv", b"sku,name\nS1,x\n"), ("S1\\a.jpg", jpeg("b"))]),
                  "name holds a backslash"),
    "bzip2": (lambda: make_zip([("p.csv", b"sku,name\nS1,x\n"), ("S1/a.jpg", jpeg("z"))], zipfile.ZIP_BZIP2),
              "compression method other than store or deflate"),
    "encrypted": (_encrypted_zip, 'entry "S1/a.jpg": encrypted entry'),
    "local-header": (_local_header_lies, 'entry "S1/a.jpg": local header disagrees with the central directory'),
    "10001-entries": (lambda: make_zip([("p.csv", b"sku,name\n")] + [(f"S/{i}.txt", b"") for i in range(10000)],
                                       zipfile.ZIP_STORED),
                      "archive: more than 10,000 entries"),
    "escape": (lambda: make_zip([("p.csv", b"sku,name\nS1,x\n"), ("../evil.jpg", jpeg("e"))]),
               'entry "../evil.jpg": name escapes the archive root'),
    "absolute": (lambda: make_zip([("p.csv", b"sku,name\nS1,x\n"), ("/tmp/evil.jpg", jpeg("e"))]),
                 'entry "/tmp/evil.jpg": absolute name'),
    "symlink": (_symlink_zip, 'entry "S1/link.jpg": symbolic link'),
    "no-csv": (lambda: make_zip([("S1/a.jpg", jpeg("x"))]), "archive: no CSV file"),
    "ratio-bomb": (lambda: make_zip([("p.csv", b"sku,name\nS1,x\n"), ("S1/a.jpg", jpeg("x")),
                                     ("S1/zeros.bin", b"\0" * (8 << 20))]),
                   'entry "S1/zeros.bin": inflates to more than 100 times'),
    "truncated": (lambda: make_zip([("p.csv", b"sku,name\nS1,x\n"), ("S1/a.jpg", jpeg("x"))])[:-30],
                  "archive: "),
    "nested-42": (lambda: make_zip([("p.csv", b"sku,name\nS1,x\n"),
                                    ("S1/42.zip", make_zip([(f"{i}.zip", make_zip(
                                        [(f"{k}.bin", b"\0" * (4 << 20)) for k in range(4)]))
                                        for i in range(4)]))]),
                  None),
    "bad-csv": (lambda: make_zip([("p.csv", b"sku,name\nS1,\"x\n"), ("S1/a.jpg", jpeg("x"))]),
                "CSV p.csv: line 2: unterminated quoted field"),
    "csv-no-name": (lambda: make_zip([("p.csv", b"sku,title\nS1,x\n"), ("S1/a.jpg", jpeg("x"))]),
                    "CSV p.csv: the header has no name column"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archive(bulk, make_user, case):
    u = make_user(tag="bulk")
    build, why = HOSTILE[case]
    tid = bulk.queue(u.id, build())
    rss = bulk.run_rss()
    if not bulk.sanitized():    # ASan's shadow memory is not the worker's
        assert rss < 64 * 1024, f"files-cron peaked at {rss} KiB"
    t = bulk.task(tid)
    if why is None:
        # a nested archive is a plain file to the import, never opened: the row has no image
        assert t["status"] == "COMPLETED" and t["failed"] == 1, t
        assert "holds no image" in t["results"]["S1"]["errors"][0]
    else:
        assert t["status"] == "FAILED", t
        assert why in t["error"], t
        assert t["processed"] == 0
        errs = bulk.errors(tid)
        assert errs == [{"sku": None, "row": None, "field": "archive", "message": t["error"]}]
    assert bulk.products(u.id) == {}
    assert not bulk.archive_exists(tid)


def test_two_workers_ten_tasks(bulk, make_user):
    u = make_user(tag="bulk")
    tids = [bulk.queue(u.id, make_zip([("p.csv", f"sku,name\nT{i},n\n".encode()),
                                       (f"T{i}/a.jpg", jpeg(f"t{i}"))])) for i in range(10)]
    procs = [subprocess.Popen([bulk.cron, "run-imports"], env=bulk.env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    for tid in tids:
        t = bulk.task(tid)
        assert (t["status"], t["attempts"], t["ok"]) == ("COMPLETED", 1, 1), t
    assert len(bulk.products(u.id)) == 10


def test_sigkill_then_takeover_resumes(bulk, make_user):
    u = make_user(tag="bulk")
    # enough rows that the worker is still busy when the poll below sees its first ones
    # (60 rows were all done between two polls on a quiet machine)
    n = 300
    rows = "".join(f"K{i},Name {i}\n" for i in range(n))
    entries = [("p.csv", ("sku,name\n" + rows).encode())]
    entries += [(f"K{i}/a.jpg", jpeg(f"k{i}-" + "x" * 64, 40_000)) for i in range(n)]
    tid = bulk.queue(u.id, make_zip(entries, zipfile.ZIP_STORED))
    p = subprocess.Popen([bulk.cron, "run-imports"], env=bulk.env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and bulk.task(tid)["processed"] < 1:
        time.sleep(0.01)
    p.send_signal(signal.SIGKILL)
    p.wait()
    t = bulk.task(tid)
    assert t["status"] == "PROCESSING" and 0 < t["processed"] < n, t
    # within the window nobody takes it over
    bulk.run("--stale-after", "3600")
    assert bulk.task(tid)["status"] == "PROCESSING"
    time.sleep(2)
    bulk.run("--stale-after", "1")
    t = bulk.task(tid)
    assert (t["status"], t["processed"], t["ok"], t["attempts"]) == ("COMPLETED", n, n, 2), t
    assert len(bulk.products(u.id)) == n
    dup = bulk.sql(f"SELECT count(*) FROM media_resource_attachments a JOIN products p "
                   f"ON p.id = a.entity_id WHERE p.owner_id = '{u.id}'")
    assert int(dup) == n, "one attachment per product, none left by the killed worker"
