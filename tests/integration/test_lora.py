"""The deprecated superuser LoRA upload (API.md §4.2): multipart, streamed, stored under loras/."""
import os
import re

import pytest
import requests

from conftest import assert_422, assert_error, assert_status

LORA = "/api/v1/uploads/admin/upload-lora"


def post(api, user, files=None, data=None, headers=None, raw=None):
    h = {"Authorization": f"Bearer {user.token}"} if user else {}
    h.update(headers or {})
    if raw is not None:
        return requests.post(api.url(LORA), data=raw, headers=h, timeout=60)
    return requests.post(api.url(LORA), files=files, data=data, headers=h, timeout=60)


@pytest.fixture(scope="module")
def su(make_user):
    return make_user(superuser=True, tag="lora")


def test_upload_ok(api, su):
    blob = os.urandom(200000)
    r = post(api, su, files={"file": ("My Model v1.safetensors", blob)}, data={"lora_trigger": "sks person", "entity_type": "subject_01"})
    b = assert_status(r, 200)
    assert r.headers.get("Deprecation") == "true"
    assert re.fullmatch(r"loras/subject_01/\d{10}_[0-9a-f]{16}_My_Model_v1\.safetensors", b["file_path"]), b
    assert b["partial_path"] == b["file_path"][len("loras/"):]
    assert b["filename"] == "My_Model_v1.safetensors"
    assert b["file_size"] == len(blob)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b["upload_timestamp"])
    path = os.path.join(os.environ["FILES_STORAGE_ROOT"], b["file_path"])
    with open(path, "rb") as f:
        assert f.read() == blob
    # never served: not by /files, not by the static location
    assert api.get("/files/" + b["file_path"]).status_code == 404
    assert requests.get(api.url("/storage/" + b["file_path"]), timeout=10).status_code == 404


def test_default_entity_type(api, su):
    b = assert_status(post(api, su, files={"file": ("m.PT", b"x" * 10)}), 200)
    # API.md §4.1 step 4: the extension is lowercased (the case-insensitive check still takes .PT)
    assert b["file_path"].startswith("loras/subject/") and b["file_path"].endswith("_m.pt")
    assert b["filename"] == "m.pt"


@pytest.mark.parametrize("name", ["m.ckpt", "m.pth", "m.bin", "m.SafeTensors"])
def test_allowed_extensions(api, su, name):
    assert_status(post(api, su, files={"file": (name, b"abc")}), 200)


@pytest.mark.parametrize("name", ["m.zip", "m", "model.safetensors.exe", ".pt"])
def test_unsupported_type_400(api, su, name):
    assert_error(post(api, su, files={"file": (name, b"abc")}), 400, "Unsupported LoRA file type")


def test_missing_file_422(api, su):
    r = post(api, su, data={"lora_trigger": "x"}, files={"other": ("a.pt", b"1")})
    assert_422(r, {"type": "missing", "loc": ["body", "file"]})


@pytest.mark.parametrize("entity", ["Bad", "a b", "x" * 33, "../x", "é"])
def test_entity_type_pattern_422(api, su, entity):
    r = post(api, su, files={"file": ("m.pt", b"1")}, data={"entity_type": entity})
    assert_422(r, {"type": "string_pattern_mismatch", "loc": ["body", "entity_type"], "input": entity})


def test_trigger_too_long_422(api, su):
    r = post(api, su, files={"file": ("m.pt", b"1")}, data={"lora_trigger": "t" * 256})
    assert_422(r, {"type": "string_too_long", "loc": ["body", "lora_trigger"]})


def test_over_100mb_413(api, su):
    def gen():
        chunk = b"\0" * (1 << 20)
        yield b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pt\"\r\n\r\n"
        for _ in range(101):
            yield chunk
        yield b"\r\n--b--\r\n"
    r = post(api, su, raw=gen(), headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert r.status_code == 413 and r.json()["detail"]
    root = os.path.join(os.environ["FILES_STORAGE_ROOT"], "loras", "subject")
    assert not any(n.endswith("_big.pt") for n in (os.listdir(root) if os.path.isdir(root) else []))


def test_malformed_multipart_400(api, su):
    r = post(api, su, raw=b"--b\r\nnot a header\r\n\r\nx\r\n--b--\r\n",
             headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert_error(r, 400, "There was an error parsing the body")


def test_regular_user_403(api, make_user):
    u = make_user(tag="lora-reg")
    assert_error(post(api, u, files={"file": ("m.pt", b"1")}), 403, "The user doesn't have enough privileges")


def test_anonymous_401(api):
    r = post(api, None, files={"file": ("m.pt", b"1")})
    assert r.status_code == 401 and r.headers.get("WWW-Authenticate") == "Bearer"


def test_repeated_parts_last_wins(api, su):
    """Starlette's FormData.get gives the last part of a repeated name: the second file (a
    shorter one, with another name) and the second trigger are what counts."""
    first, second = os.urandom(5000), os.urandom(300)
    files = [("file", ("first.safetensors", first)), ("file", ("second.pt", second)),
             ("entity_type", (None, "one")), ("entity_type", (None, "two"))]
    b = assert_status(post(api, su, files=files), 200)
    assert b["filename"] == "second.pt" and b["file_size"] == len(second), b
    assert b["file_path"].startswith("loras/two/"), b
    with open(os.path.join(os.environ["FILES_STORAGE_ROOT"], b["file_path"]), "rb") as f:
        assert f.read() == second
