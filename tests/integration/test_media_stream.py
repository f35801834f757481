"""media_prepare_stream, the bulk import's entry point (API.md §7 "through ingest steps 2-4"),
driven by tests/fault/ingest-stream (stdin -> resource -> attachment in its own transaction):
stored whole, deduplicated, sniffed, capped; nothing left behind when refused."""
import hashlib
import os
import subprocess
import uuid

import pytest

from mediautil import bin_path, fresh_png, sql


def ingest(stack, data, max_bytes=52428800, allowed="images"):
    p = subprocess.run([bin_path(stack, "tests/fault/ingest-stream"), "product", str(uuid.uuid4()),
                        str(max_bytes), allowed], input=data, capture_output=True, timeout=60,
                       env=stack.child_env)
    return p.returncode, p.stdout.decode().split()


def media_dirs():
    d = os.path.join(os.environ["FILES_STORAGE_ROOT"], "media")
    return set(os.listdir(d)) if os.path.isdir(d) else set()


def test_stream_stored_and_deduplicated(stack):
    data = fresh_png() * 2000          # ~4 MiB: many reads
    rc, out = ingest(stack, data)
    assert rc == 0 and out[1:] == ["png", str(len(data)), "created"], out
    with open(os.path.join(os.environ["FILES_STORAGE_ROOT"], "media", out[0], "file.png"), "rb") as f:
        assert f.read() == data
    assert sql(stack, "SELECT state || ' ' || encode(sha256, 'hex') FROM media_resources WHERE id = :'v0'",
               out[0]) == ["ready " + hashlib.sha256(data).hexdigest()]
    before = media_dirs()
    rc, again = ingest(stack, data)
    assert rc == 0 and again[0] == out[0] and again[3] == "reused"
    assert media_dirs() == before, "the second copy was left in media/"
    assert sql(stack, "SELECT count(*) FROM media_resource_attachments WHERE resource_id = :'v0'", out[0]) == ["2"]


@pytest.mark.parametrize("data,allowed,why", [
    (b"%PDF-1.7\n" + bytes(range(256)) * 2, "images", "file content does not match its type"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "any", "file content does not match its type"),
    (b"", "images", "file content does not match its type"),
], ids=["pdf-not-an-image", "svg-never-ours", "empty"])
def test_stream_wrong_type(stack, data, allowed, why):
    before = media_dirs()
    rc, out = ingest(stack, data, allowed=allowed)
    assert rc == 1 and " ".join(out) == "error " + why
    assert media_dirs() == before


def test_stream_over_max(stack):
    before = media_dirs()
    data = fresh_png() * 100
    rc, out = ingest(stack, data, max_bytes=len(data) - 1)
    assert rc == 1 and " ".join(out) == "error file larger than allowed"
    assert media_dirs() == before
    assert sql(stack, "SELECT count(*) FROM media_resources WHERE sha256 = decode(:'v0', 'hex')",
               hashlib.sha256(data).hexdigest()) == ["0"]
