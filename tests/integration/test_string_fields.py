"""Every form and JSON string field refuses a NUL or invalid UTF-8 with a 422 (issue 9), a 422
never echoes invalid UTF-8, and API JSON responses carry X-Content-Type-Options: nosniff."""
import json

import pytest
import requests

from conftest import ME_PATH, assert_422, assert_status

PRESIGN = "/api/v1/uploads/presigned-url"
LOGIN = "/api/v1/login/access-token"
LORA = "/api/v1/uploads/admin/upload-lora"
BOUNDARY = "sec-boundary-7d3f"
NUL_ERR = {"type": "value_error", "msg": "Value error, String should not contain a NUL character"}
UTF8_ERR = {"type": "string_unicode",
            "msg": "Input should be a valid string, unable to parse raw data as a unicode string"}


def strict_json(r):
    """The body as JSON, refusing any byte that is not UTF-8."""
    return json.loads(r.content.decode("utf-8", errors="strict"))


def assert_field_422(r, field, err, echoed):
    assert_422(r, dict(err, loc=["body", field]))
    entry = strict_json(r)["detail"][0]
    assert entry["input"] == echoed, entry


def multipart(parts):
    out = b""
    for name, value, *fname in parts:
        value = value.encode() if isinstance(value, str) else value
        disp = f'form-data; name="{name}"' + (f'; filename="{fname[0]}"' if fname else "")
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disp}\r\n\r\n".encode() + value + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


@pytest.fixture(scope="module")
def u(make_user):
    return make_user(tag="strf")


@pytest.fixture(scope="module")
def su(make_user):
    return make_user(superuser=True, tag="strfsu")


# ---- JSON string fields: POST /api/v1/uploads/presigned-url ----
PRESIGN_OK = {"filename": "a.png", "content_type": "image/png", "folder": "f"}


@pytest.mark.parametrize("field", ["filename", "content_type", "folder"])
def test_presign_json_string_with_nul_422(api, u, field):
    body = dict(PRESIGN_OK, **{field: "a\u0000b"})
    assert_field_422(api.post(PRESIGN, token=u.token, json_body=body), field, NUL_ERR, "a\u0000b")


@pytest.mark.parametrize("field", ["filename", "content_type", "folder"])
def test_presign_json_string_invalid_utf8_422(api, u, field):
    raw = json.dumps(dict(PRESIGN_OK, **{field: "@@"})).encode().replace(b"@@", b"a\xffb")
    r = api.request("POST", PRESIGN, token=u.token, data=raw, headers={"Content-Type": "application/json"})
    assert_422(r, {"type": "json_invalid"})
    strict_json(r)


@pytest.mark.parametrize("field", ["image_format", "metadata_adapter"])
def test_export_config_json_enum_with_nul_422(api, u, field):
    value = {"image_format": "webp", "metadata_adapter": "default"}[field] + "\u0000"
    r = api.post(ME_PATH, token=u.token, json_body={field: value})
    assert_422(r, {"type": "enum", "loc": ["body", field], "input": value})


def test_non_json_body_echo_is_valid_utf8(api, u):
    """The raw body echoed as model_attributes_type input is decoded with replacement."""
    r = api.request("POST", PRESIGN, token=u.token, data=b"\xff\xfeab\x00",
                    headers={"Content-Type": "text/plain"})
    assert_422(r, {"type": "model_attributes_type", "loc": ["body"], "input": "\ufffd\ufffdab\u0000"})
    strict_json(r)


# ---- form string fields: POST /api/v1/login/access-token, both encodings ----
LOGIN_FIELDS = ["username", "password", "grant_type", "scope", "client_id", "client_secret"]


def login_values(field, bad):
    v = {"username": "a@example.com", "password": "pw", "grant_type": "password"}
    v[field] = bad
    return v


@pytest.mark.parametrize("field", LOGIN_FIELDS)
@pytest.mark.parametrize("bad,err,echoed", [(b"a\x00b", NUL_ERR, "a\u0000b"),
                                            (b"a\xffb", UTF8_ERR, "a\ufffdb")], ids=["nul", "utf8"])
def test_login_urlencoded_field_422(api, field, bad, err, echoed):
    enc = "&".join(f"{k}=" + "".join(f"%{c:02X}" for c in (v if isinstance(v, bytes) else v.encode()))
                   for k, v in login_values(field, bad).items())
    r = api.request("POST", LOGIN, data=enc.encode(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_field_422(r, field, err, echoed)


@pytest.mark.parametrize("field", LOGIN_FIELDS)
@pytest.mark.parametrize("bad,err,echoed", [(b"a\x00b", NUL_ERR, "a\u0000b"),
                                            (b"a\xffb", UTF8_ERR, "a\ufffdb")], ids=["nul", "utf8"])
def test_login_multipart_field_422(api, field, bad, err, echoed):
    body = multipart(list(login_values(field, bad).items()))
    r = api.request("POST", LOGIN, data=body,
                    headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    assert_field_422(r, field, err, echoed)


# ---- form string fields: POST /api/v1/uploads/admin/upload-lora ----
@pytest.mark.parametrize("bad,err,echoed", [(b"sks\x00x", NUL_ERR, "sks\u0000x"),
                                            (b"sks\xc3", UTF8_ERR, "sks\ufffd")], ids=["nul", "utf8"])
def test_lora_trigger_422(api, su, bad, err, echoed):
    body = multipart([("file", b"abc", "m.pt"), ("lora_trigger", bad)])
    r = requests.post(api.url(LORA), data=body, timeout=60,
                      headers={"Authorization": f"Bearer {su.token}",
                               "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    assert_field_422(r, "lora_trigger", err, echoed)


@pytest.mark.parametrize("bad,err,echoed", [(b"ab\x00", NUL_ERR, "ab\u0000"),
                                            (b"ab\xff", UTF8_ERR, "ab\ufffd")], ids=["nul", "utf8"])
def test_lora_entity_type_422(api, su, bad, err, echoed):
    """The UTF-8/NUL rule comes before the field's pattern, as for every string field."""
    body = multipart([("file", b"abc", "m.pt"), ("entity_type", bad)])
    r = requests.post(api.url(LORA), data=body, timeout=60,
                      headers={"Authorization": f"Bearer {su.token}",
                               "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    assert_field_422(r, "entity_type", err, echoed)


def test_lora_valid_utf8_trigger_still_accepted(api, su):
    body = multipart([("file", b"abc", "m.pt"), ("lora_trigger", "sks pérson ✓".encode())])
    r = requests.post(api.url(LORA), data=body, timeout=60,
                      headers={"Authorization": f"Bearer {su.token}",
                               "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    assert_status(r, 200)


# ---- nosniff on API JSON responses ----
@pytest.mark.parametrize("method,path,kw", [
    ("GET", "/api/v1/users/me", {"auth": True}),                     # 200
    ("GET", "/api/v1/users/me", {}),                                 # 401
    ("GET", "/api/v1/nowhere", {}),                                  # 404 no route
    ("POST", PRESIGN, {"auth": True, "json_body": {}}),              # 422
    ("GET", "/files/a%5c..%5cb", {}),                                # 400
    ("GET", "/files/temp/x.png?type=bmp", {}),                       # 422 of files.fcgi
], ids=["200", "401", "404", "422", "400", "files-422"])
def test_json_responses_nosniff(api, u, method, path, kw):
    if kw.pop("auth", False):
        kw["token"] = u.token
    r = api.request(method, path, **kw)
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    assert r.headers.get("X-Content-Type-Options") == "nosniff", (r.status_code, dict(r.headers))
