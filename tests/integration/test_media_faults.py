"""The ingest under faults, local mode (API.md §6): an object replaced mid-ingest is 409 and
nothing is kept; a crash (SIGKILL) at each step leaves no committed row without its object, and
files-cron sweep-temp then leaves no orphan object and no stale pending row. Runs
tests/fault/products-faults.fcgi (products.fcgi with the fault points of media.h) as CGI."""
import hashlib
import os
import uuid

import pytest

from conftest import assert_status
from mediautil import bin_path, cgi_json, cron, fresh_png, paused, sql
from test_products import storage_file, upload

CHANGED = {"detail": "Upload changed during ingest"}


@pytest.fixture(scope="module")
def faults_bin(stack):
    return bin_path(stack, "tests/fault/products-faults.fcgi")


def body(url):
    return {"sku": "F-" + uuid.uuid4().hex[:10], "name": "fault", "cover_image_url": url}


def replace(path: str, data: bytes) -> None:
    """Replace an object as the store does: a new file renamed over it."""
    tmp = path + ".replacing"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


def run_paused(faults_bin, stack, user, b, step, tmp_path, during):
    """Create a product, pausing the ingest at step while during() runs."""
    return paused(tmp_path, step, lambda mark: cgi_json(
        faults_bin, stack, "POST", "/api/v1/products", body(b["file_url"]), token=user.token,
        extra_env={"FILES_FAULT": f"{step}:pause", "FILES_FAULT_MARK": mark}), during)


def resources_of(stack, data):
    return sql(stack, "SELECT id::text || ' ' || state FROM media_resources WHERE sha256 = decode(:'v0', 'hex')",
               hashlib.sha256(data).hexdigest())


@pytest.mark.parametrize("step", ["after-head", "after-hash"])
def test_replaced_mid_ingest_409(api, stack, make_user, faults_bin, tmp_path, step):
    """after-head: the GET's If-Match refuses it; after-hash: the copy's if-match does."""
    user = make_user(tag="f409")
    old, new = fresh_png(), fresh_png()
    b = upload(api, user, old)
    status, out = run_paused(faults_bin, stack, user, b, step, tmp_path,
                             lambda: replace(storage_file(b["key"]), new))
    assert (status, out) == (409, CHANGED)
    assert resources_of(stack, old) == [] and resources_of(stack, new) == []
    assert sql(stack, "SELECT count(*) FROM products WHERE owner_id = :'v0'", user.id) == ["0"]
    assert sql(stack, "SELECT ingested_at IS NULL FROM uploads WHERE key = :'v0'", b["key"]) == ["t"]
    with open(storage_file(b["key"]), "rb") as f:
        assert f.read() == new, "the temp object was touched"


STEPS = ["after-head", "after-hash", "after-insert", "after-copy", "before-commit", "after-commit"]


def media_orphans(stack):
    """media/ objects with no resource row, and ready rows without their object."""
    root = os.environ["FILES_STORAGE_ROOT"]
    rows = dict(ln.split(" ", 1) for ln in sql(stack, "SELECT id::text || ' ' || ext || ':' || state FROM media_resources"))
    orphans, missing = [], []
    mdir = os.path.join(root, "media")
    for rid in os.listdir(mdir) if os.path.isdir(mdir) else []:
        for name in os.listdir(os.path.join(mdir, rid)):
            if rid not in rows or name != "file." + rows[rid].split(":")[0]:
                orphans.append(f"media/{rid}/{name}")
    for rid, v in rows.items():
        ext, state = v.split(":")
        if state == "ready" and not os.path.exists(os.path.join(mdir, rid, "file." + ext)):
            missing.append(rid)
    return orphans, missing


@pytest.mark.parametrize("step", STEPS)
def test_crash_at_each_step(api, stack, make_user, faults_bin, step):
    user = make_user(tag="crash")
    data = fresh_png()
    # Rows whose objects live elsewhere (the s3-mode tests share this database) are not ours.
    elsewhere = set(media_orphans(stack)[1])
    b = upload(api, user, data)
    status, _, out, rc = __import__("mediautil").cgi(
        faults_bin, stack, "POST", "/api/v1/products", __import__("json").dumps(body(b["file_url"])).encode(),
        token=user.token, extra_env={"FILES_FAULT": f"{step}:kill"})
    assert rc == -9, (rc, status, out)
    # whatever the step, no committed row points at a missing object
    assert set(media_orphans(stack)[1]) - elsewhere == set()
    committed = sql(stack, "SELECT count(*) FROM products WHERE owner_id = :'v0'", user.id) == ["1"]
    assert committed == (step == "after-commit")
    # the sweeper's view of "old": pending rows past their hour, objects past the TTL
    sql(stack, "UPDATE media_resources SET created_at = now() - interval '2 hours' "
        "WHERE state = 'pending' AND sha256 = decode(:'v0', 'hex')", hashlib.sha256(data).hexdigest())
    p = cron(stack, "sweep-temp", "--older-than", "0")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("sweep-temp: deleted ") and p.stdout.count("\n") == 1, p.stdout
    orphans, missing = media_orphans(stack)
    assert orphans == [] and set(missing) - elsewhere == set()
    assert sql(stack, "SELECT count(*) FROM media_resources WHERE state = 'pending' "
               "AND created_at < now() - interval '1 hour'") == ["0"]
    rows = resources_of(stack, data)
    assert rows == ([] if not committed else rows) and all(r.endswith(" ready") for r in rows)
    if committed:
        prod = sql(stack, "SELECT id::text FROM products WHERE owner_id = :'v0'", user.id)[0]
        got = assert_status(api.get(f"/api/v1/products/{prod}", token=user.token), 200)
        with open(storage_file(got["cover_image_url"].split("/storage/", 1)[1]), "rb") as f:
            assert f.read() == data
