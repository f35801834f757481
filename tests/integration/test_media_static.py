"""Local mode's static /storage/ location behind lighttpd, with real media/ objects (API.md §4.1):
the fixed Content-Type table, nosniff and CSP sandbox, no listing, private prefixes never served."""
import os
import uuid

import pytest
import requests

from conftest import assert_error

TYPES = (("jpg", "image/jpeg"), ("png", "image/png"), ("webp", "image/webp"), ("gif", "image/gif"),
         ("avif", "image/avif"), ("pdf", "application/pdf"), ("zip", "application/zip"),
         ("mp4", "video/mp4"), ("mp3", "audio/mpeg"), ("html", "application/octet-stream"),
         ("svg", "application/octet-stream"))


@pytest.fixture
def rid():
    r = str(uuid.uuid4())
    yield r
    root = os.environ["FILES_STORAGE_ROOT"]
    for prefix in ("media", "loras", "bulk-uploads"):
        d = os.path.join(root, prefix, r)
        if os.path.isdir(d):
            for n in os.listdir(d):
                os.unlink(os.path.join(d, n))
            os.rmdir(d)


def write(*parts, data=b"x"):
    path = os.path.join(os.environ["FILES_STORAGE_ROOT"], *parts)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


@pytest.mark.parametrize("ext,ctype", TYPES)
def test_media_content_type_table(api, rid, ext, ctype):
    write("media", rid, f"file.{ext}", data=b"bytes of " + ext.encode())
    r = requests.get(api.url(f"/storage/media/{rid}/file.{ext}"), timeout=10)
    assert r.status_code == 200 and r.content == b"bytes of " + ext.encode()
    assert r.headers["Content-Type"] == ctype
    assert r.headers.get("X-Content-Type-Options") == "nosniff"
    assert r.headers.get("Content-Security-Policy") == "sandbox"


@pytest.mark.parametrize("prefix", ["loras", "bulk-uploads"])
def test_private_prefixes_never_served(api, rid, prefix):
    write(prefix, rid, "x.png")
    assert_error(requests.get(api.url(f"/storage/{prefix}/{rid}/x.png"), timeout=10), 404, "Not Found")


def test_no_directory_listing(api, rid):
    write("media", rid, "file.png")
    for path in (f"/storage/media/{rid}/", f"/storage/media/{rid}", "/storage/media/", "/storage/"):
        r = requests.get(api.url(path), timeout=10, allow_redirects=False)
        assert r.status_code == 404, (path, r.status_code, r.text[:200])
