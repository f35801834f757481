"""The bulk import in s3 mode against tests/s3's s3rver: the ZIP posted to bulk-upload.fcgi (as
CGI) lands in the bucket under bulk-uploads/, files-cron reads it from there, ingests the images
into media/ and deletes the archive; a hostile archive is refused with nothing written."""
import json

import pytest
from urllib3 import encode_multipart_formdata

from mediautil import S3rver, bin_path, cgi, cron, sql
from test_bulk_worker import jpeg, make_zip

CDN = "https://cdn.example.com"


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    srv = S3rver(str(tmp_path_factory.mktemp("s3rver-bulk")))
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
