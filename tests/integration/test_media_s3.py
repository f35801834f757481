"""The ingest in s3 mode against tests/s3's s3rver (which honours If-Match and
x-amz-copy-source-if-match): the round trip, the 409 when the presigned URL is PUT again
mid-ingest, a store stopped mid-ingest (503, no rows left), and sweep-temp's paged listing."""
import hashlib
import uuid

import pytest
import requests

from mediautil import S3rver, bin_path, cgi_json, cron, fresh_png, paused, sql

CDN = "https://cdn.example.com"


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    srv = S3rver(str(tmp_path_factory.mktemp("s3rver")))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def bins(stack):
    return {"uploads": bin_path(stack, "fcgi-bin/uploads.fcgi"),
            "faults": bin_path(stack, "tests/fault/products-faults.fcgi")}


def presign_put(bins, stack, s3, user, data):
    status, b = cgi_json(bins["uploads"], stack, "POST", "/api/v1/uploads/presigned-url",
                         {"filename": "p.png", "content_type": "image/png"}, token=user.token,
                         settings=s3.settings(CDN))
    assert status == 200, b
    put(b, data)
    return b


def put(b, data):
    r = requests.put(b["upload_url"], data=data, headers={"Content-Type": "image/png"}, timeout=30)
    assert r.status_code == 200, r.text


def create(bins, stack, s3, user, url, **extra):
    env = {}
    if extra:
        env = extra
    return cgi_json(bins["faults"], stack, "POST", "/api/v1/products",
                    {"sku": "S3-" + uuid.uuid4().hex[:10], "name": "n", "cover_image_url": url},
                    token=user.token, settings=s3.settings(CDN), extra_env=env)


def test_s3_roundtrip(bins, stack, s3, make_user):
    user = make_user(tag="s3m")
    data = fresh_png()
    b = presign_put(bins, stack, s3, user, data)
    status, p = create(bins, stack, s3, user, b["file_url"])
    assert status == 200, p
    url = p["cover_image_url"]
    assert url.startswith(CDN + "/media/") and url.endswith("/file.png")
    assert s3.get(url[len(CDN) + 1:]) == data
    assert s3.get(b["key"]) is None, "the temp object is left"
    # the same bytes again: one resource
    b2 = presign_put(bins, stack, s3, user, data)
    status, p2 = create(bins, stack, s3, user, b2["file_url"])
    assert status == 200 and p2["images"][0]["resource_id"] == p["images"][0]["resource_id"]


def run_paused(bins, stack, s3, user, b, step, tmp_path, during):
    return paused(tmp_path, step, lambda mark: create(
        bins, stack, s3, user, b["file_url"], FILES_FAULT=f"{step}:pause", FILES_FAULT_MARK=mark), during, 90)


@pytest.mark.parametrize("step", ["after-head", "after-hash"])
def test_s3_put_again_mid_ingest_409(bins, stack, s3, make_user, tmp_path, step):
    user = make_user(tag="s3c")
    old, new = fresh_png(), fresh_png()
    b = presign_put(bins, stack, s3, user, old)
    status, out = run_paused(bins, stack, s3, user, b, step, tmp_path, lambda: put(b, new))
    assert (status, out) == (409, {"detail": "Upload changed during ingest"})
    for d in (old, new):
        assert sql(stack, "SELECT count(*) FROM media_resources WHERE sha256 = decode(:'v0', 'hex')",
                   hashlib.sha256(d).hexdigest()) == ["0"]
    assert s3.get(b["key"]) == new, "the temp object was touched"


def test_s3_store_stopped_mid_ingest_503(bins, stack, make_user, tmp_path):
    own = S3rver(str(tmp_path))
    try:
        user = make_user(tag="s3d")
        data = fresh_png()
        b = presign_put(bins, stack, own, user, data)
        status, out = run_paused(bins, stack, own, user, b, "after-insert", tmp_path, own.stop)
        assert status == 503 and out == {"detail": "Storage unavailable"}
        assert sql(stack, "SELECT count(*) FROM media_resources WHERE sha256 = decode(:'v0', 'hex')",
                   hashlib.sha256(data).hexdigest()) == ["0"]
        assert sql(stack, "SELECT count(*) FROM products WHERE owner_id = :'v0'", user.id) == ["0"]
    finally:
        own.stop()


def test_s3_sweep_pages(stack, s3):
    """More than one ListObjectsV2 page (1000 keys) of old temp objects: all swept."""
    n = 1010
    for i in range(n):
        s3.put(f"temp/{uuid.uuid4().hex}_1_s{i}.png", b"s")
    r = cron(stack, "sweep-temp", "--older-than", "0", settings=s3.settings(CDN))
    assert r.returncode == 0, r.stderr
    assert int(r.stdout.split("deleted ")[1].split(" ")[0]) >= n, r.stdout


@pytest.mark.parametrize("step", ["after-insert", "after-copy", "before-commit", "after-commit"])
def test_s3_crash_then_sweep(bins, stack, s3, make_user, step):
    """SIGKILL at a step in s3 mode: no ready row without its object; after sweep-temp neither the
    stale pending row nor its object is left."""
    import json
    from mediautil import cgi
    user = make_user(tag="s3k")
    data = fresh_png()
    digest = hashlib.sha256(data).hexdigest()
    b = presign_put(bins, stack, s3, user, data)
    body = {"sku": "K-" + uuid.uuid4().hex[:10], "name": "n", "cover_image_url": b["file_url"]}
    _, _, out, rc = cgi(bins["faults"], stack, "POST", "/api/v1/products", json.dumps(body).encode(),
                        token=user.token, settings=s3.settings(CDN), extra_env={"FILES_FAULT": f"{step}:kill"})
    assert rc == -9, (rc, out)
    rows = sql(stack, "SELECT id::text || ' ' || state FROM media_resources WHERE sha256 = decode(:'v0', 'hex')", digest)
    for row in rows:
        rid, state = row.split()
        if state == "ready":
            assert s3.get(f"media/{rid}/file.png") == data
    sql(stack, "UPDATE media_resources SET created_at = now() - interval '2 hours' "
        "WHERE state = 'pending' AND sha256 = decode(:'v0', 'hex')", digest)
    r = cron(stack, "sweep-temp", "--older-than", "0", settings=s3.settings(CDN))
    assert r.returncode == 0, r.stderr
    after = sql(stack, "SELECT id::text || ' ' || state FROM media_resources WHERE sha256 = decode(:'v0', 'hex')", digest)
    assert all(a.endswith(" ready") for a in after)
    assert (len(after) == 1) == (step == "after-commit")
    for row in rows:
        rid = row.split()[0]
        assert (s3.get(f"media/{rid}/file.png") is not None) == (step == "after-commit")
