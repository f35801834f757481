"""The bulk import in s3 mode against tests/s3's s3rver: the ZIP posted to bulk-upload.fcgi (as
CGI) lands in the bucket under bulk-uploads/, files-cron reads it from there, ingests the images
into media/ and deletes the archive; a hostile archive is refused with nothing written."""
import json
import os

import pytest
from urllib3 import encode_multipart_formdata

from mediautil import S3rver, bin_path, cgi, cron, sql
from test_bulk_worker import jpeg, make_zip

CDN = "https://cdn.example.com"


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("s3rver-bulk"))
    srv = S3rver(d)
    srv.dir = d
    yield srv
    srv.stop()


def post(stack, s3, user, data):
    body, ctype = encode_multipart_formdata({"file": ("s3.zip", data, "application/zip")})
    status, _, out, rc = cgi(bin_path(stack, "fcgi-bin/bulk-upload.fcgi"), stack, "POST",
                             "/api/v1/products/bulk-upload/", body, token=user.token,
                             settings=s3.settings(CDN), extra_env={"CONTENT_TYPE": ctype})
    assert rc == 0 and status == 200, (status, out)
    return json.loads(out)


def task(stack, tid):
    return json.loads(sql(stack, "SELECT row_to_json(t) FROM bulk_upload_tasks t WHERE id = :'v0'", tid)[0])


def test_s3_import(stack, s3, make_user):
    u = make_user(tag="bulks3")
    shared = jpeg("s3-shared")
    t = post(stack, s3, u, make_zip([("p.csv", b"sku;name\nQ1;One\nQ2;Two\nQ3;Three\n"),
                                      ("Q1/cover.jpg", shared), ("Q1/b.jpg", jpeg("q1b")),
                                      ("Q2/a.jpg", shared)]))
    key = task(stack, t["id"])["storage_key"]
    assert key.startswith(f"bulk-uploads/{t['id']}/") and s3.get(key) is not None
    p = cron(stack, "run-imports", "--max-tasks", "1", settings=s3.settings(CDN))
    assert p.returncode == 0, p.stderr
    row = task(stack, t["id"])
    assert (row["status"], row["successful_products"], row["failed_products"]) == ("COMPLETED", 2, 1), row
    assert s3.get(key) is None, "the archive leaves the bucket"
    covers = sql(stack, "SELECT cover_image_url FROM products WHERE owner_id = :'v0' ORDER BY sku", u.id)
    assert covers[0] == covers[1] and covers[0].startswith(CDN + "/media/")
    assert s3.get(covers[0][len(CDN) + 1:]) == shared


def test_s3_hostile(stack, s3, make_user):
    u = make_user(tag="bulks3")
    t = post(stack, s3, u, make_zip([("p.csv", b"sku,name\nQ1,x\n"), ("../../etc/x.jpg", jpeg("x"))]))
    key = task(stack, t["id"])["storage_key"]
    p = cron(stack, "run-imports", "--max-tasks", "1", settings=s3.settings(CDN))
    assert p.returncode == 0, p.stderr
    row = task(stack, t["id"])
    assert row["status"] == "FAILED" and "name escapes the archive root" in row["error_message"], row
    assert s3.get(key) is None
    assert sql(stack, "SELECT count(*) FROM products WHERE owner_id = :'v0'", u.id) == ["0"]


def test_s3_missing_archive(stack, s3, make_user):
    u = make_user(tag="bulks3")
    t = post(stack, s3, u, make_zip([("p.csv", b"sku,name\n")]))
    key = task(stack, t["id"])["storage_key"]
    s3._curl("-X", "DELETE", f"{s3.url}/{s3.BUCKET}/{key}")
    p = cron(stack, "run-imports", "--max-tasks", "1", settings=s3.settings(CDN))
    assert p.returncode == 0, p.stderr
    row = task(stack, t["id"])
    assert row["status"] == "FAILED" and "missing from storage" in row["error_message"], row


def _bulk_keys(s3) -> list:
    """Everything s3rver holds under bulk-uploads/ (read from its directory: s3rver refuses
    curl's signature of a ListObjectsV2 query)."""
    top = os.path.join(s3.dir, "data", S3rver.BUCKET, "bulk-uploads")
    return sorted(os.path.join(d, f) for d, _, files in os.walk(top) for f in files)


def task_key(t) -> str:
    return f"bulk-uploads/{t['id']}/s3.zip"


def test_s3_refusals_leave_nothing(stack, s3, make_user):
    """Not a ZIP (400) and over BULK_MAX_UPLOAD_BYTES (413, the part streamed past the cap):
    no object under bulk-uploads/, no task row."""
    u = make_user(tag="bulks3")
    binary = bin_path(stack, "fcgi-bin/bulk-upload.fcgi")
    before = _bulk_keys(s3)
    t = post(stack, s3, u, make_zip([("p.csv", b"sku,name\n")]))     # the listing does see uploads
    assert len(_bulk_keys(s3)) > len(before)
    sql(stack, "DELETE FROM bulk_upload_tasks WHERE id = :'v0'", t["id"])
    s3._curl("-X", "DELETE", f"{s3.url}/{s3.BUCKET}/{task_key(t)}")
    before = _bulk_keys(s3)
    cases = [(b"GIF89a" + b"x" * 200000, {}, 400, "The file is not a ZIP archive"),
             (make_zip([("p.csv", b"sku,name\n"), ("x.bin", os.urandom(300000))], method=0),
              {"BULK_MAX_UPLOAD_BYTES": "100000"}, 413, "File larger than BULK_MAX_UPLOAD_BYTES")]
    for data, extra, code, detail in cases:
        body, ctype = encode_multipart_formdata({"file": ("s3.zip", data, "application/zip")})
        status, _, out, rc = cgi(binary, stack, "POST", "/api/v1/products/bulk-upload/", body, token=u.token,
                                 settings={**s3.settings(CDN), **extra}, extra_env={"CONTENT_TYPE": ctype})
        assert rc == 0 and status == code and json.loads(out) == {"detail": detail}, (status, out)
    assert _bulk_keys(s3) == before
    assert sql(stack, "SELECT count(*) FROM bulk_upload_tasks WHERE owner_id = :'v0'", u.id) == ["0"]
