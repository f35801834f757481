"""Uploads in local mode (API.md §4.1): presign -> PUT -> /files -> the same bytes, and every refusal."""
import hashlib
import os
import re
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests

from conftest import assert_422, assert_error, assert_status, mint_token

PRESIGN = "/api/v1/uploads/presigned-url"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def presign(api, user, **body):
    return api.post(PRESIGN, token=user.token, json_body=body)


def put_path(resp_json):
    """The local upload URL's path (the stack's PUBLIC_BASE_URL may differ from FILES_BASE_URL)."""
    return urlsplit(resp_json["upload_url"]).path


def storage_file(key):
    return os.path.join(os.environ["FILES_STORAGE_ROOT"], key)


@pytest.fixture
def user(make_user):
    return make_user(tag="upl")


def test_presign_shape(api, user, stack):
    r = presign(api, user, filename="héllo wörld.png", content_type="IMAGE/PNG", size=len(PNG))
    body = assert_status(r, 200)
    assert body["upload_method"] == "PUT"
    assert body["max_file_size"] == 52428800
    assert body["required_headers"] == {"Content-Type": "image/png"}
    assert re.fullmatch(r"[0-9a-f]{32}", body["file_id"])
    assert re.fullmatch(r"temp/[0-9a-f]{32}_\d{10}_h_llo_w_rld\.png", body["key"]), body["key"]
    assert body["key"].startswith(f"temp/{body['file_id']}_")
    assert body["file_url"].endswith("/storage/" + body["key"])
    assert body["expires_in_seconds"] == 900 + len(PNG) // 16384
    assert "/api/v1/uploads/local/" in body["upload_url"]
    assert body["token"] and body["upload_url"].endswith(body["token"])
    assert user.id not in body["token"]


@pytest.mark.parametrize("name,ctype,safe", [
    ("x.php", "image/png", "x_php.png"), (".htaccess", "image/png", "htaccess.png"),
    ("photo.JPG", "image/jpeg", "photo.jpg"), ("x.shtml", "image/gif", "x_shtml.gif"),
    ("x.php.png", "image/png", "x.php.png"), ("../../run.cgi", "application/pdf", "run_cgi.pdf"),
])
def test_key_extension_follows_type(api, user, name, ctype, safe):
    """§4.1 step 5: no key carries an extension a web server would run."""
    key = assert_status(presign(api, user, filename=name, content_type=ctype), 200)["key"]
    assert re.fullmatch(r"temp/[0-9a-f]{32}_\d{10}_" + re.escape(safe), key), key


@pytest.mark.parametrize("size,expected", [(None, 900), (0, 900), (16384 * 100, 1000), (52428800, 3600)])
def test_expiry_grows_with_size(api, user, size, expected):
    body = {"filename": "a.zip", "content_type": "application/zip"}
    if size is not None:
        body["size"] = size
    assert assert_status(presign(api, user, **body), 200)["expires_in_seconds"] == expected


def test_roundtrip_local(api, user):
    b = assert_status(presign(api, user, filename="photo.png", content_type="image/png", size=len(PNG)), 200)
    r = api.request("PUT", put_path(b), data=PNG, headers={"Content-Type": "image/png"})
    done = assert_status(r, 200)
    assert done["key"] == b["key"] and done["size"] == len(PNG) and done["etag"]
    assert done["file_url"] == b["file_url"]
    with open(storage_file(b["key"]), "rb") as f:
        assert f.read() == PNG
    # /files redirects to the static location, which answers with the same bytes
    f = api.get("/files/" + b["key"])
    assert f.status_code == 302, f.text
    loc = f.headers["Location"]
    got = requests.get(api.url(urlsplit(loc).path), timeout=10)
    assert got.status_code == 200 and got.content == PNG
    assert got.headers.get("X-Content-Type-Options") == "nosniff"


def test_undeclared_size_up_to_max(api, user):
    b = assert_status(presign(api, user, filename="doc.pdf", content_type="application/pdf"), 200)
    data = b"%PDF-1.4\n" + os.urandom(100000)
    r = api.request("PUT", put_path(b), data=data, headers={"Content-Type": "application/pdf"})
    assert assert_status(r, 200)["size"] == len(data)


def test_chunked_body(api, user):
    b = assert_status(presign(api, user, filename="c.png", content_type="image/png", size=len(PNG)), 200)

    def gen():
        for i in range(0, len(PNG), 1000):
            yield PNG[i:i + 1000]
    r = api.request("PUT", put_path(b), data=gen(), headers={"Content-Type": "image/png"})
    assert assert_status(r, 200)["size"] == len(PNG)
    with open(storage_file(b["key"]), "rb") as f:
        assert f.read() == PNG


def _no_file(key):
    assert not os.path.exists(storage_file(key)), "a refused upload left a file"


def test_wrong_content_type_415(api, user):
    b = assert_status(presign(api, user, filename="x.png", content_type="image/png", size=len(PNG)), 200)
    r = api.request("PUT", put_path(b), data=PNG, headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 415 and r.json()["detail"]
    _no_file(b["key"])
    # the refusal did not spend the token
    r = api.request("PUT", put_path(b), data=PNG, headers={"Content-Type": "image/png"})
    assert_status(r, 200)


def test_larger_than_declared_413(api, user):
    b = assert_status(presign(api, user, filename="x.png", content_type="image/png", size=10), 200)
    r = api.request("PUT", put_path(b), data=b"x" * 11, headers={"Content-Type": "image/png"})
    assert r.status_code == 413 and r.json()["detail"]
    _no_file(b["key"])


def test_larger_than_declared_chunked_413(api, user):
    b = assert_status(presign(api, user, filename="x.png", content_type="image/png", size=10), 200)
    r = api.request("PUT", put_path(b), data=iter([b"x" * 6, b"y" * 6]), headers={"Content-Type": "image/png"})
    assert r.status_code == 413, r.text
    _no_file(b["key"])


def test_shorter_than_declared_400(api, user):
    b = assert_status(presign(api, user, filename="x.png", content_type="image/png", size=100), 200)
    r = api.request("PUT", put_path(b), data=b"x" * 99, headers={"Content-Type": "image/png"})
    assert r.status_code == 400 and r.json()["detail"]
    _no_file(b["key"])


def test_token_single_use_409(api, user):
    b = assert_status(presign(api, user, filename="x.png", content_type="image/png", size=4), 200)
    assert_status(api.request("PUT", put_path(b), data=b"abcd", headers={"Content-Type": "image/png"}), 200)
    r = api.request("PUT", put_path(b), data=b"efgh", headers={"Content-Type": "image/png"})
    assert_error(r, 409, "Upload token already used")
    with open(storage_file(b["key"]), "rb") as f:
        assert f.read() == b"abcd"


def test_racing_uploads_one_wins(api, user):
    data = os.urandom(300000)
    b = assert_status(presign(api, user, filename="r.zip", content_type="application/zip", size=len(data)), 200)
    results = []

    def go():
        results.append(requests.put(api.url(put_path(b)), data=data, headers={"Content-Type": "application/zip"},
                                    timeout=30).status_code)
    ts = [threading.Thread(target=go) for _ in range(4)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert sorted(results).count(200) == 1 and all(s in (200, 409) for s in results), results


@pytest.mark.parametrize("how", ["tampered", "garbage", "truncated"])
def test_bad_token_403(api, user, how):
    b = assert_status(presign(api, user, filename="x.png", content_type="image/png", size=4), 200)
    tok = b["token"]
    bad = {"tampered": tok[:10] + ("A" if tok[10] != "A" else "B") + tok[11:],
           "garbage": "not-a-token", "truncated": tok[:-3]}[how]
    r = api.request("PUT", "/api/v1/uploads/local/" + bad, data=b"abcd", headers={"Content-Type": "image/png"})
    assert_error(r, 403, "Invalid upload token")
    _no_file(b["key"])


def test_jwt_is_not_an_upload_token(api, user):
    r = api.request("PUT", "/api/v1/uploads/local/" + user.token, data=b"abcd", headers={"Content-Type": "image/png"})
    assert_error(r, 403, "Invalid upload token")


@pytest.mark.parametrize("ctype", ["text/html", "image/svg+xml", "application/octet-stream", "image/png; charset=utf-8", ""])
def test_type_not_allowed(api, user, ctype):
    r = presign(api, user, filename="x.png", content_type=ctype)
    assert_error(r, 400, f"Content type '{ctype}' is not allowed")


def test_size_over_max_400(api, user):
    r = presign(api, user, filename="x.png", content_type="image/png", size=52428801)
    assert r.status_code == 400 and "52428800" in r.json()["detail"]


def test_file_size_alias_and_mismatch(api, user):
    b = assert_status(presign(api, user, filename="x.png", content_type="image/png", file_size=20000), 200)
    assert b["expires_in_seconds"] == 901
    assert_status(presign(api, user, filename="x.png", content_type="image/png", size=5, file_size=5), 200)
    r = presign(api, user, filename="x.png", content_type="image/png", size=5, file_size=6)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body"]


def test_presign_validation_422(api, user):
    r = api.post(PRESIGN, token=user.token, json_body={"filename": "", "size": -1, "folder": "f" * 256})
    assert_422(r,
               {"type": "string_too_short", "loc": ["body", "filename"]},
               {"type": "missing", "loc": ["body", "content_type"]},
               {"type": "string_too_long", "loc": ["body", "folder"]},
               {"type": "greater_than_equal", "loc": ["body", "size"]})


def test_presign_requires_auth(api):
    r = api.post(PRESIGN, json_body={"filename": "a.png", "content_type": "image/png"})
    assert r.status_code == 401 and r.headers.get("WWW-Authenticate") == "Bearer"


def test_preflight_for_direct_upload(api, user):
    b = assert_status(presign(api, user, filename="x.png", content_type="image/png", size=4), 200)
    r = api.request("OPTIONS", put_path(b), headers={"Origin": "http://allowed.example",
                                                     "Access-Control-Request-Method": "PUT",
                                                     "Access-Control-Request-Headers": "content-type"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "http://allowed.example"
    assert "PUT" in r.headers["Access-Control-Allow-Methods"]
    assert "content-type" in r.headers["Access-Control-Allow-Headers"].lower()
    r = api.request("PUT", put_path(b), data=b"abcd", headers={"Content-Type": "image/png", "Origin": "http://allowed.example"})
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "http://allowed.example"


def test_issued_upload_is_recorded(api, user, stack):
    import subprocess
    b = assert_status(presign(api, user, filename="rec.png", content_type="image/png", size=7, folder="shoots"), 200)
    out = subprocess.run(["psql", "-X", "-tA", "-d", stack.file_env["DATABASE_URL"], "-c",
                          f"SELECT owner_id, folder, content_type, declared_size, state FROM uploads WHERE key = '{b['key']}'"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == f"{user.id}|shoots|image/png|7|issued", out


def _uploads_rows(stack, owner_id):
    import subprocess
    return subprocess.run(["psql", "-X", "-tA", "-d", stack.file_env["DATABASE_URL"], "-c",
                           f"SELECT count(*) FROM uploads WHERE owner_id = '{owner_id}'"],
                          capture_output=True, text=True, check=True).stdout.strip()


# The user is read in the same round trip as the INSERT (RF_USER_LATE); its checks still come
# first, whatever is wrong with the body, and an inactive user's presign records nothing.
BAD_BODIES = {
    "valid": {"filename": "a.png", "content_type": "image/png", "size": 5},
    "422": {"filename": "a.png"},
    "type": {"filename": "a.png", "content_type": "text/html"},
    "too-big": {"filename": "a.png", "content_type": "image/png", "size": 52428801},
    "mismatch": {"filename": "a.png", "content_type": "image/png", "size": 5, "file_size": 6},
}


@pytest.mark.parametrize("body", list(BAD_BODIES), ids=list(BAD_BODIES))
def test_presign_inactive_user_first(api, make_user, stack, body):
    u = make_user(tag="upl-inactive", active=False)
    assert_error(api.post(PRESIGN, token=u.token, json_body=BAD_BODIES[body]), 400, "Inactive user")
    assert _uploads_rows(stack, u.id) == "0"


@pytest.mark.parametrize("body", list(BAD_BODIES), ids=list(BAD_BODIES))
def test_presign_deleted_user_first(api, make_user, admin, body):
    u = make_user(tag="upl-gone")
    admin.run("delete-user", "--email", u.email)
    assert_error(api.post(PRESIGN, token=u.token, json_body=BAD_BODIES[body]), 404, "User not found")


def test_presign_records_one_row_each(api, user, stack):
    before = int(_uploads_rows(stack, user.id))
    keys = {assert_status(presign(api, user, filename="n.png", content_type="image/png"), 200)["key"]
            for _ in range(3)}
    assert len(keys) == 3
    assert int(_uploads_rows(stack, user.id)) == before + 3


def _wal_writes(stack) -> int:
    """pg_stat_wal.wal_write once every backend has reported: an idle backend flushes its
    statistics within PGSTAT_IDLE_INTERVAL (10 s)."""
    import subprocess
    time.sleep(11)
    return int(subprocess.run(["psql", "-X", "-tA", "-d", stack.file_env["DATABASE_URL"], "-c",
                               "SELECT wal_write FROM pg_stat_wal"],
                              capture_output=True, text=True, check=True).stdout.strip())


def test_presign_commits_without_waiting_for_the_wal(api, user, stack, make_user):
    """The upload record is committed with synchronous_commit off (that transaction only):
    n presigns cause far fewer WAL writes than n commits that wait for their flush (export
    configuration creates, the control)."""
    n = 30
    people = [make_user(tag="wal") for _ in range(n)]
    start = _wal_writes(stack)
    for _ in range(n):
        assert_status(presign(api, user, filename="w.png", content_type="image/png"), 200)
    mid = _wal_writes(stack)
    for p in people:
        assert_status(api.post("/api/v1/users/me/export-configuration", token=p.token, json_body={}), 200)
    end = _wal_writes(stack)
    presigns, control = mid - start, end - mid
    assert control >= n * 3 // 4, f"control: {control} WAL writes for {n} synchronous commits"
    assert presigns < n // 2, f"{presigns} WAL writes for {n} presigns: each waited for its flush"


def test_deleting_a_user_deletes_their_upload_records(api, make_user, admin, stack):
    """sql/009: uploads holds no foreign key on its owner (the presign locks no users row);
    a trigger deletes a deleted user's upload records as ON DELETE CASCADE did."""
    u = make_user(tag="upl-cascade")
    for _ in range(2):
        assert_status(presign(api, u, filename="c.png", content_type="image/png"), 200)
    assert _uploads_rows(stack, u.id) == "2"
    admin.run("delete-user", "--email", u.email)
    assert _uploads_rows(stack, u.id) == "0"
