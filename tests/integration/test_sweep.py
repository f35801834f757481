"""files-cron sweep-temp in local mode (API.md §8): what it removes, what it keeps, --dry-run,
two sweeps at once, and a database or store that is down."""
import os
import subprocess
import threading
import time
import uuid

import pytest

from conftest import assert_status
from mediautil import cron, fresh_png, sql
from test_products import create, storage_file, upload

DAY = 86400


def age(path: str, seconds: int) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def put_temp(name: str, data: bytes, old: int = 0) -> str:
    key = f"temp/{uuid.uuid4().hex}_{int(time.time())}_{name}"
    path = storage_file(key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    if old:
        age(path, old)
    return key


def test_sweep_removes_old_keeps_fresh_and_referenced(api, stack, make_user):
    user = make_user(tag="sweep")
    old, fresh = put_temp("old.png", b"x" * 10, old=2 * DAY), put_temp("fresh.png", b"y" * 10)
    # an ingested product: its media object is old but referenced
    b = upload(api, user, fresh_png())
    p = assert_status(create(api, user, cover_image_url=b["file_url"]), 200)
    media_key = p["cover_image_url"].split("/storage/", 1)[1]
    age(storage_file(media_key), 3 * DAY)
    # a media/ object with no row, old: an orphan
    orphan = f"media/{uuid.uuid4()}/file.png"
    os.makedirs(os.path.dirname(storage_file(orphan)))
    with open(storage_file(orphan), "wb") as f:
        f.write(b"orphan")
    age(storage_file(orphan), 2 * DAY)
    # an upload record long expired
    sql(stack, "UPDATE uploads SET expires_at = now() - interval '3 days' WHERE key = :'v0'", b["key"])

    dry = cron(stack, "sweep-temp", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("sweep-temp: would delete ") and dry.stdout.count("\n") == 1
    assert os.path.exists(storage_file(old)) and os.path.exists(storage_file(orphan)), "--dry-run deleted"
    assert sql(stack, "SELECT count(*) FROM uploads WHERE key = :'v0'", b["key"]) == ["1"]

    r = cron(stack, "sweep-temp")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("sweep-temp: deleted ") and r.stdout.count("\n") == 1, r.stdout
    assert not os.path.exists(storage_file(old))
    assert os.path.exists(storage_file(fresh))
    assert not os.path.exists(storage_file(orphan))
    assert os.path.exists(storage_file(media_key)), "a referenced media object was swept"
    assert sql(stack, "SELECT count(*) FROM uploads WHERE key = :'v0'", b["key"]) == ["0"]


def test_sweep_oversized_whatever_age(stack):
    big = put_temp("big.png", b"z" * 2000)
    small = put_temp("small.png", b"z" * 10)
    r = cron(stack, "sweep-temp", settings={"MAX_UPLOAD_SIZE": "1000"})
    assert r.returncode == 0, r.stderr
    assert "(1 oversized)" in r.stdout or "oversized)" in r.stdout
    assert not os.path.exists(storage_file(big)) and os.path.exists(storage_file(small))


def test_two_sweeps_at_once(stack):
    for i in range(50):
        put_temp(f"c{i}.png", b"c", old=2 * DAY)
    out = [None, None]

    def go(i):
        out[i] = cron(stack, "sweep-temp")

    ts = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for p in out:
        assert p.returncode == 0, p.stderr
        assert p.stdout.count("\n") == 1 and p.stdout.startswith("sweep-temp: ")


def test_database_down_is_one_line_and_nonzero(stack):
    r = cron(stack, "sweep-temp", settings={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert r.returncode == 1 and r.stdout == ""
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("files-cron:")]
    assert lines == ["files-cron: sweep-temp: database unreachable (check DATABASE_URL)"], r.stderr


def test_store_down_is_one_line_and_nonzero(stack):
    r = cron(stack, "sweep-temp", settings={
        "STORAGE_BACKEND": "s3", "R2_ENDPOINT_URL": "http://127.0.0.1:1", "R2_ACCESS_KEY_ID": "x",
        "R2_SECRET_ACCESS_KEY": "y", "R2_BUCKET": "b"})
    assert r.returncode == 1 and r.stdout == ""
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("files-cron:")]
    assert lines == ["files-cron: sweep-temp: listing the store failed: object store unavailable"], r.stderr


def test_usage(stack):
    r = cron(stack, "--help")
    assert r.returncode == 0 and "sweep-temp [--older-than SECONDS] [--dry-run]" in r.stdout
    r = cron(stack, "sweep-temp", "--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: files-cron sweep-temp")
    assert cron(stack, "sweep-temp", "--older-than", "-1").returncode == 2
    assert cron(stack, "sweep-temp", "--bogus").returncode == 2
    assert cron(stack, "no-such-command").returncode == 2


def test_no_command_runs_every_subcommand(stack):
    """A bare files-cron (the crontab line) runs each command of its table: one line each."""
    r = cron(stack)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    # imports first, then captions, then the sweep (API.md §8: all three)
    assert [ln.split(": ", 1)[0] for ln in lines] == ["run-imports", "caption-pending", "sweep-temp"], r.stdout
    assert all(": " in ln for ln in lines)
