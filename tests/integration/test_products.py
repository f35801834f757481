"""Products, shootings and the media ingest in local mode (API.md §6): upload -> product -> the
canonical media URL serves the same bytes; dedup; every refusal leaves nothing behind."""
import hashlib
import os
import subprocess
import threading
import uuid
from urllib.parse import urlsplit

import pytest
import requests

from conftest import assert_422, assert_error, assert_status

PRESIGN = "/api/v1/uploads/presigned-url"
PRODUCTS = "/api/v1/products"
SHOOTINGS = "/api/v1/shootings"


def png(tag: bytes) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + hashlib.sha256(tag).digest() * 64


JPEG = b"\xff\xd8\xff\xe0" + os.urandom(2000)


def storage_file(key):
    return os.path.join(os.environ["FILES_STORAGE_ROOT"], key)


def upload(api, user, data, ctype="image/png", name="photo.png"):
    # fresh connections: a pooled one may have idled out in lighttpd (slow files-admin runs
    # under the sanitizers) and a POST is not retried
    b = assert_status(api.post(PRESIGN, token=user.token, fresh=True,
                               json_body={"filename": name, "content_type": ctype, "size": len(data)}), 200)
    assert_status(api.request("PUT", urlsplit(b["upload_url"]).path, data=data, fresh=True,
                              headers={"Content-Type": ctype}), 200)
    return b


def sql(stack, query, *args):
    """One value-per-line result of query (psql, parameters as :'vN')."""
    cmd = ["psql", "-X", "-qAt", stack.file_env["DATABASE_URL"]]
    for i, a in enumerate(args):
        cmd += ["-v", f"v{i}={a}"]
    p = subprocess.run(cmd, input=query, capture_output=True, text=True, timeout=30, env=stack.child_env)
    assert p.returncode == 0, p.stderr
    return [ln for ln in p.stdout.splitlines() if ln]


def fetch_static(api, url):
    return requests.get(api.url(urlsplit(url).path), timeout=10)


def create(api, user, **body):
    body.setdefault("sku", "SKU-" + uuid.uuid4().hex[:8])
    body.setdefault("name", "A product")
    return api.post(PRODUCTS, token=user.token, json_body=body, fresh=True)


@pytest.fixture
def user(make_user):
    return make_user(tag="prod")


def test_ingest_roundtrip(api, stack, user):
    data = png(uuid.uuid4().bytes)
    cover = upload(api, user, data)
    extra = upload(api, user, JPEG, "image/jpeg", "x.jpg")
    p = assert_status(create(api, user, cover_image_url=cover["file_url"], image_urls=[extra["file_url"]],
                             attributes={"color": "red"}, description="d"), 200)
    assert p["cover_image_url"].endswith("/file.png") and "/media/" in p["cover_image_url"]
    assert len(p["image_urls"]) == 1 and p["image_urls"][0].endswith("/file.jpg")
    assert p["attributes"] == {"color": "red"} and p["description"] == "d"
    assert p["caption"] is None and p["caption_status"] is None and p["owner_id"] == user.id
    assert [(i["role"], i["position"], i["content_type"], i["size"]) for i in p["images"]] == [
        ("cover", 0, "image/png", len(data)), ("gallery", 0, "image/jpeg", len(JPEG))]
    got = fetch_static(api, p["cover_image_url"])
    assert got.status_code == 200 and got.content == data
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers.get("X-Content-Type-Options") == "nosniff"
    assert "sandbox" in got.headers.get("Content-Security-Policy", "")
    assert not os.path.exists(storage_file(cover["key"])), "the temp object is left"
    assert sql(stack, "SELECT ingested_at IS NOT NULL FROM uploads WHERE key = :'v0'", cover["key"]) == ["t"]
    assert_status(api.get(f"{PRODUCTS}/{p['id']}", token=user.token), 200)
    # a second product naming the same upload
    assert_error(create(api, user, cover_image_url=cover["file_url"]), 400, "Upload already ingested")


def test_same_bytes_one_resource(api, stack, user):
    data = png(uuid.uuid4().bytes)
    a, b = upload(api, user, data, name="a.png"), upload(api, user, data, name="b.png")
    pa = assert_status(create(api, user, cover_image_url=a["file_url"]), 200)
    pb = assert_status(create(api, user, cover_image_url=b["file_url"]), 200)
    assert pa["images"][0]["resource_id"] == pb["images"][0]["resource_id"]
    rid = pa["images"][0]["resource_id"]
    assert sql(stack, "SELECT count(*) FROM media_resource_attachments WHERE resource_id = :'v0'", rid) == ["2"]
    assert sql(stack, "SELECT state FROM media_resources WHERE id = :'v0'", rid) == ["ready"]


def test_eight_concurrent_identical(api, stack, make_user):
    data = png(uuid.uuid4().bytes)
    users = [make_user(tag="conc") for _ in range(8)]
    ups = [upload(api, u, data) for u in users]
    out = [None] * 8

    def go(i):
        out[i] = create(api, users[i], cover_image_url=ups[i]["file_url"])

    ts = [threading.Thread(target=go, args=(i,)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    ids = {assert_status(r, 200)["images"][0]["resource_id"] for r in out}
    assert len(ids) == 1
    digest = hashlib.sha256(data).hexdigest()
    assert sql(stack, "SELECT count(*) FROM media_resources WHERE sha256 = decode(:'v0', 'hex')", digest) == ["1"]
    rid = ids.pop()
    assert os.listdir(storage_file(f"media/{rid}")) == ["file.png"]


def test_another_users_upload_403(api, make_user, user):
    other = make_user(tag="prod2")
    b = upload(api, other, png(uuid.uuid4().bytes))
    assert_error(create(api, user, cover_image_url=b["file_url"]), 403, "Not enough permissions")
    assert os.path.exists(storage_file(b["key"]))


@pytest.mark.parametrize("url", [
    "https://evil.example/temp/abc_1_x.png",
    "{base}/media/abc/file.png",
    "{base}/temp/../media/x.png",
    "{base}/temp/%2e%2e/x.png",
    "{base}/temp/a/../../x.png",
    "{base}/temp/",
    "{base}/temp/x.png?a=b",
    "not a url",
])
def test_not_an_upload_url_400(api, user, stack, url):
    base = stack.file_env.get("CDN_URL") or (stack.file_env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8080") + "/storage")
    u = url.format(base=base)
    r = create(api, user, cover_image_url=u)
    assert_error(r, 400, f"Not an upload URL: {u}")


def test_declared_png_not_png_400(api, user):
    b = upload(api, user, b"GIF89a" + os.urandom(100))
    assert_error(create(api, user, cover_image_url=b["file_url"]), 400, "File content does not match its type")
    assert os.path.exists(storage_file(b["key"]))


def test_missing_temp_object_400(api, user):
    b = assert_status(api.post(PRESIGN, token=user.token, fresh=True,
                                 json_body={"filename": "n.png", "content_type": "image/png"}), 200)
    assert_error(create(api, user, cover_image_url=b["file_url"]), 400, "Uploaded file not found")


def test_one_bad_image_of_three(api, stack, user):
    good1, good2 = upload(api, user, png(uuid.uuid4().bytes)), upload(api, user, JPEG, "image/jpeg", "g.jpg")
    bad = upload(api, user, b"not a png at all" * 10)
    sku = "SKU-" + uuid.uuid4().hex[:8]
    r = create(api, user, sku=sku, cover_image_url=good1["file_url"], image_urls=[good2["file_url"], bad["file_url"]])
    assert_error(r, 400, "File content does not match its type")
    for b in (good1, good2, bad):
        assert os.path.exists(storage_file(b["key"])), "a temp object was touched"
    assert sql(stack, "SELECT count(*) FROM products WHERE sku = :'v0'", sku) == ["0"]
    digest = hashlib.sha256(JPEG).hexdigest()
    assert sql(stack, "SELECT count(*) FROM media_resources WHERE sha256 = decode(:'v0', 'hex') "
               "AND state = 'pending'", digest) == ["0"]
    # and the same request without the bad image then works
    assert_status(create(api, user, sku=sku, cover_image_url=good1["file_url"], image_urls=[good2["file_url"]]), 200)


def test_validation_422(api, user):
    r = api.post(PRODUCTS, token=user.token, json_body={"sku": "", "image_urls": ["x"] * 51, "attributes": [1]})
    assert_422(r, {"type": "string_too_short", "loc": ["body", "sku"]},
               {"type": "missing", "loc": ["body", "name"]},
               {"type": "dict_type", "loc": ["body", "attributes"]},
               {"type": "too_long", "loc": ["body", "image_urls"],
                "ctx": {"field_type": "List", "max_length": 50, "actual_length": 51}})
    r = api.post(PRODUCTS, token=user.token, json_body={"sku": "a", "name": "b", "image_urls": ["x", 3]})
    assert_422(r, {"type": "string_type", "loc": ["body", "image_urls", 1]})


def test_sku_unique_per_owner(api, make_user, user):
    assert_status(create(api, user, sku="DUP-1"), 200)
    assert_error(create(api, user, sku="DUP-1"), 400, "Product with this SKU already exists")
    assert_status(create(api, make_user(tag="prod3"), sku="DUP-1"), 200)


def test_visibility_list_and_delete(api, make_user, make_org, superuser, user):
    member, stranger = make_user(tag="mem"), make_user(tag="str")
    org = make_org(user, member)
    p = assert_status(create(api, user, organization_id=org.id), 200)
    assert_status(api.get(f"{PRODUCTS}/{p['id']}", token=member.token), 200)
    assert_error(api.get(f"{PRODUCTS}/{p['id']}", token=stranger.token), 404, "Product not found")
    assert_status(api.get(f"{PRODUCTS}/{p['id']}", token=superuser.token), 200)
    assert_error(create(api, stranger, organization_id=org.id), 403, "Not enough permissions")
    for _ in range(2):
        assert_status(create(api, user), 200)
    lst = assert_status(api.get(PRODUCTS + "?skip=1&limit=1", token=user.token), 200)
    assert lst["count"] == 3 and len(lst["data"]) == 1
    assert assert_status(api.get(PRODUCTS + "?skip=10", token=user.token), 200) == {"data": [], "count": 3}
    assert assert_status(api.get(PRODUCTS + "?sku=" + p["sku"], token=member.token), 200)["count"] == 1
    assert_422(api.get(PRODUCTS + "?limit=0", token=user.token), {"type": "greater_than_equal", "loc": ["query", "limit"]})
    assert_422(api.get(PRODUCTS + "?skip=x", token=user.token), {"type": "int_parsing", "loc": ["query", "skip"]})
    assert_error(api.delete(f"{PRODUCTS}/{p['id']}", token=member.token), 403, "Not enough permissions")
    assert_error(api.delete(f"{PRODUCTS}/{p['id']}", token=stranger.token), 404, "Product not found")
    assert assert_status(api.delete(f"{PRODUCTS}/{p['id']}", token=user.token), 200) == {"message": "Product deleted successfully"}
    assert_error(api.get(f"{PRODUCTS}/{p['id']}", token=user.token), 404, "Product not found")


def test_shootings(api, make_user, superuser, user):
    s = assert_status(api.post(SHOOTINGS, token=user.token, json_body={"name": "Spring"}), 200)
    assert s["name"] == "Spring" and s["product_ids"] == [] and s["owner_id"] == user.id
    p = assert_status(create(api, user, shooting_id=s["id"]), 200)
    assert p["shooting_id"] == s["id"]
    assert assert_status(api.get(f"{SHOOTINGS}/{s['id']}", token=user.token), 200)["product_ids"] == [p["id"]]
    assert_status(api.get(f"{SHOOTINGS}/{s['id']}", token=superuser.token), 200)
    other = make_user(tag="sh")
    assert_error(api.get(f"{SHOOTINGS}/{s['id']}", token=other.token), 404, "Shooting not found")
    assert_error(create(api, other, shooting_id=s["id"]), 404, "Shooting not found")


def test_routes_conventions(api, user):
    r = api.post(PRODUCTS + "/", token=user.token, json_body={})
    assert r.status_code == 307 and r.headers["Location"].endswith(PRODUCTS)
    assert_422(api.get(f"{PRODUCTS}/not-a-uuid", token=user.token), {"type": "uuid_parsing", "loc": ["path", "product_id"]})
    assert api.get(PRODUCTS).status_code == 401


def test_images_kept_with_the_product(api, stack, user):
    """sql/008: the images list is stored with the product as its attachments are made (one
    aggregate per creation, none per read); a product without it (made before 008) reads the
    same through the fallback."""
    cover, extra = upload(api, user, png(uuid.uuid4().bytes)), upload(api, user, JPEG, "image/jpeg", "y.jpg")
    p = assert_status(create(api, user, cover_image_url=cover["file_url"], image_urls=[extra["file_url"]]), 200)
    kept = sql(stack, "SELECT images_json FROM products WHERE id = :'v0'", p["id"])
    assert kept == sql(stack, "SELECT product_images_json(:'v0')", p["id"]) and '"cover"' in kept[0]
    got = assert_status(api.get(f"{PRODUCTS}/{p['id']}", token=user.token), 200)
    assert got["images"] == p["images"] and [i["role"] for i in got["images"]] == ["cover", "gallery"]
    sql(stack, "UPDATE products SET images_json = NULL WHERE id = :'v0'", p["id"])
    assert assert_status(api.get(f"{PRODUCTS}/{p['id']}", token=user.token), 200) == got
    bare = assert_status(create(api, user), 200)      # no image: an empty list, kept or not
    assert bare["images"] == [] and assert_status(api.get(f"{PRODUCTS}/{bare['id']}", token=user.token), 200)["images"] == []
