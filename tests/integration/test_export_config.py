"""Export configuration: the 12 endpoints of API.md §3.

  /api/v1/users/me/export-configuration                     GET POST PATCH DELETE
  /api/v1/users/{user_id}/export-configuration              GET POST PATCH DELETE
  /api/v1/users/organizations/{org_id}/export-configuration GET POST PATCH DELETE

Matrix: authentication (anonymous, malformed, garbage, expired, wrong secret, alg none,
no exp, non-uuid sub, deleted and inactive users) x 12 endpoints; the life cycle
(404 / create with defaults / 400 on a second create / partial PATCH / DELETE) for every
kind of caller (self via /me and via its id in several UUID spellings, superuser for
itself and for another user, org member of each role, superuser outside the org);
permission refusals (other user, unknown user, unknown org, non-member); bad UUIDs;
body validation (enum, wrong types, malformed JSON, non-object bodies, missing body,
5 MB) and the order of checks (auth, then 422, then 403/404/400).
"""

import json
import time
import uuid
from dataclasses import dataclass
from typing import Optional

import pytest

from conftest import (ME_PATH, UUID_RE, assert_422, assert_config, assert_error, assert_status,
                      assert_unauthenticated, body_of, describe, is_json_response, mint_token,
                      org_path, ts_value, unsigned_token, user_path)

METHODS = ["GET", "POST", "PATCH", "DELETE"]
FAMILIES = ["me", "user", "org"]
ENDPOINTS = [(f, m) for f in FAMILIES for m in METHODS]
ENDPOINT_IDS = [f"{m}-{f}" for f, m in ENDPOINTS]

IMAGE_FORMATS = ["webp", "jpeg", "png", "avif"]
ADAPTERS = ["default", "ovs"]

ENUM_IF = {"msg": "Input should be 'webp', 'jpeg', 'png' or 'avif'",
           "ctx": {"expected": "'webp', 'jpeg', 'png' or 'avif'"}}
ENUM_MA = {"msg": "Input should be 'default' or 'ovs'",
           "ctx": {"expected": "'default' or 'ovs'"}}

NOT_FOUND_CFG = "Export configuration not found"
EXISTS_CFG = "Export configuration already exists"
DELETED_MSG = {"message": "Export configuration deleted successfully"}
NO_PERM = "Not enough permissions"


def path_for(family: str, ident: Optional[str] = None) -> str:
    if family == "me":
        return ME_PATH
    if family == "user":
        return user_path(ident)
    return org_path(ident)


def send(api, method, path, token=None, body=None, **kw):
    """Send with a JSON body on POST/PATCH (default `{}`), none on GET/DELETE."""
    if method in ("POST", "PATCH"):
        return api.request(method, path, token=token, json_body={} if body is None else body, **kw)
    return api.request(method, path, token=token, **kw)


def assert_deleted(r):
    body = assert_status(r, 200, "(delete)")
    assert body == DELETED_MSG, describe(r, f"expected {DELETED_MSG}")


# --------------------------------------------------------------------------------------
# Authentication x 12 endpoints


@pytest.fixture(scope="module")
def someone(make_user):
    return make_user(tag="auth")


AUTH_CASES = {
    "anonymous": (lambda u, s: None, 401, "Not authenticated"),
    "basic-scheme": (lambda u, s: "Basic dXNlcjpwYXNz", 401, "Not authenticated"),
    "garbage-token": (lambda u, s: "Bearer garbage", 403, "Could not validate credentials"),
    "expired": (lambda u, s: "Bearer " + mint_token(s.secret_key, u.id,
                                                    exp=int(time.time()) - 120),
                403, "Could not validate credentials"),
    "wrong-secret": (lambda u, s: "Bearer " + mint_token("wrong-" + s.secret_key, u.id),
                     403, "Could not validate credentials"),
    "alg-none": (lambda u, s: "Bearer " + unsigned_token({"sub": u.id,
                                                          "exp": int(time.time()) + 600}),
                 403, "Could not validate credentials"),
    "no-exp": (lambda u, s: "Bearer " + mint_token(s.secret_key, u.id, omit_exp=True),
               403, "Could not validate credentials"),
    "sub-not-uuid": (lambda u, s: "Bearer " + mint_token(s.secret_key, "admin"),
                     403, "Could not validate credentials"),
    "unknown-user": (lambda u, s: "Bearer " + mint_token(s.secret_key, str(uuid.uuid4())),
                     404, "User not found"),
}


@pytest.mark.parametrize("family,method", ENDPOINTS, ids=ENDPOINT_IDS)
@pytest.mark.parametrize("case", list(AUTH_CASES))
def test_auth_refused(api, stack, someone, case, family, method):
    """Authentication comes first: the (invalid) body is never looked at."""
    build, status, detail = AUTH_CASES[case]
    authz = build(someone, stack)
    path = path_for(family, str(uuid.uuid4()))
    kw = {"authorization": authz} if authz is not None else {}
    r = send(api, method, path, body={"image_format": "gif"}, **kw)
    if status == 401:
        assert_unauthenticated(r)
    else:
        assert_error(r, status, detail)


@pytest.fixture(scope="module")
def gone_user(make_user, admin, make_org):
    u = make_user(tag="gone")
    org = make_org()
    admin.run("delete-user", "--email", u.email)
    return u, org


@pytest.fixture(scope="module")
def inactive_member(make_user, make_org, admin):
    u = make_user(tag="inactive")
    org = make_org((u, "admin"))
    admin.run("set-active", "--email", u.email, "--no")
    return u, org


@pytest.mark.parametrize("family,method", ENDPOINTS, ids=ENDPOINT_IDS)
def test_deleted_user_token(api, gone_user, family, method):
    u, org = gone_user
    ident = u.id if family == "user" else org.id
    assert_error(send(api, method, path_for(family, ident), u.token, {"image_format": "gif"}),
                 404, "User not found")


@pytest.mark.parametrize("family,method", ENDPOINTS, ids=ENDPOINT_IDS)
def test_inactive_user_token(api, inactive_member, family, method):
    u, org = inactive_member
    ident = u.id if family == "user" else org.id
    assert_error(send(api, method, path_for(family, ident), u.token, {"image_format": "gif"}),
                 400, "Inactive user")


@pytest.mark.parametrize("family,method", [(f, m) for f in ("user", "org") for m in METHODS],
                         ids=[f"{m}-{f}" for f in ("user", "org") for m in METHODS])
@pytest.mark.parametrize("who", ["anonymous", "garbage-token"])
def test_auth_before_uuid_validation(api, family, method, who):
    kw = {} if who == "anonymous" else {"authorization": "Bearer garbage"}
    r = send(api, method, path_for(family, "not-a-uuid"), **kw)
    if who == "anonymous":
        assert_unauthenticated(r)
    else:
        assert_error(r, 403, "Could not validate credentials")


# --------------------------------------------------------------------------------------
# Scopes: every kind of caller that may manage a configuration


@dataclass
class Scope:
    name: str
    token: str
    path: str
    user_id: str          # expected user_id of a config created through this scope
    org_id: Optional[str]  # expected organization_id


def _upper(u):
    return u.upper()


def _nohyph(u):
    return u.replace("-", "")


SCOPES = ["me", "self-by-id", "self-by-id-uppercase", "self-by-id-no-hyphens",
          "superuser-me", "superuser-self-by-id", "superuser-for-user",
          "org-role-member", "org-role-admin", "org-superuser-non-member",
          "org-id-uppercase-no-hyphens"]


def build_scope(name, make_user, make_org, superuser) -> Scope:
    if name in ("me", "self-by-id", "self-by-id-uppercase", "self-by-id-no-hyphens"):
        u = make_user()
        ident = {"me": None, "self-by-id": u.id, "self-by-id-uppercase": _upper(u.id),
                 "self-by-id-no-hyphens": _nohyph(u.id)}[name]
        return Scope(name, u.token, ME_PATH if ident is None else user_path(ident), u.id, None)
    if name == "superuser-me":
        su = make_user(superuser=True)
        return Scope(name, su.token, ME_PATH, su.id, None)
    if name == "superuser-self-by-id":
        su = make_user(superuser=True)
        return Scope(name, su.token, user_path(su.id), su.id, None)
    if name == "superuser-for-user":
        target = make_user()
        return Scope(name, superuser.token, user_path(target.id), target.id, None)
    if name in ("org-role-member", "org-role-admin", "org-id-uppercase-no-hyphens"):
        u = make_user()
        org = make_org((u, "admin" if name == "org-role-admin" else "member"))
        ident = _upper(_nohyph(org.id)) if name == "org-id-uppercase-no-hyphens" else org.id
        return Scope(name, u.token, org_path(ident), u.id, org.id)
    if name == "org-superuser-non-member":
        org = make_org()
        return Scope(name, superuser.token, org_path(org.id), superuser.id, org.id)
    raise AssertionError(name)


@pytest.fixture(params=SCOPES)
def scope(request, make_user, make_org, superuser) -> Scope:
    return build_scope(request.param, make_user, make_org, superuser)


def cfg(scope, r, image_format="webp", metadata_adapter="default"):
    return assert_config(r, user_id=scope.user_id, org_id=scope.org_id,
                         image_format=image_format, metadata_adapter=metadata_adapter)


def test_get_missing(api, scope):
    assert_error(api.get(scope.path, token=scope.token), 404, NOT_FOUND_CFG)


def test_patch_missing(api, scope):
    assert_error(api.patch(scope.path, token=scope.token, json_body={"image_format": "png"}),
                 404, NOT_FOUND_CFG)
    assert_error(api.get(scope.path, token=scope.token), 404, NOT_FOUND_CFG)


def test_delete_missing(api, scope):
    assert_error(api.delete(scope.path, token=scope.token), 404, NOT_FOUND_CFG)


def test_post_empty_object_gives_defaults(api, scope):
    created = cfg(scope, api.post(scope.path, token=scope.token, json_body={}))
    got = cfg(scope, api.get(scope.path, token=scope.token))
    assert got == created, f"GET after POST differs:\n POST {created}\n GET  {got}"
    again = cfg(scope, api.get(scope.path, token=scope.token))
    assert again == got, "a GET must not change the configuration"


def test_post_explicit_values(api, scope):
    created = cfg(scope, api.post(scope.path, token=scope.token,
                                  json_body={"image_format": "avif", "metadata_adapter": "ovs"}),
                  "avif", "ovs")
    assert cfg(scope, api.get(scope.path, token=scope.token), "avif", "ovs") == created


def test_post_twice(api, scope):
    first = cfg(scope, api.post(scope.path, token=scope.token, json_body={"image_format": "png"}),
                "png")
    assert_error(api.post(scope.path, token=scope.token,
                          json_body={"image_format": "jpeg", "metadata_adapter": "ovs"}),
                 400, EXISTS_CFG)
    assert_error(api.post(scope.path, token=scope.token, json_body={}), 400, EXISTS_CFG)
    assert cfg(scope, api.get(scope.path, token=scope.token), "png") == first, \
        "a refused POST must not change the configuration"


def test_patch_moves_updated_at_strictly(api, scope):
    created = cfg(scope, api.post(scope.path, token=scope.token, json_body={}))
    patched = cfg(scope, api.patch(scope.path, token=scope.token,
                                   json_body={"image_format": "jpeg"}), "jpeg")
    assert patched["id"] == created["id"] and patched["created_at"] == created["created_at"], \
        f"PATCH must keep id and created_at: {created} -> {patched}"
    assert ts_value(patched["updated_at"]) > ts_value(created["updated_at"]), \
        f"updated_at must move strictly forward: {created['updated_at']} -> {patched['updated_at']}"
    time.sleep(1.1)
    again = cfg(scope, api.patch(scope.path, token=scope.token,
                                 json_body={"metadata_adapter": "ovs"}), "jpeg", "ovs")
    assert ts_value(again["updated_at"]) > ts_value(patched["updated_at"]), \
        f"updated_at must move: {patched['updated_at']} -> {again['updated_at']}"


def test_delete_then_recreate(api, scope):
    created = cfg(scope, api.post(scope.path, token=scope.token, json_body={"image_format": "png"}),
                  "png")
    assert_deleted(api.delete(scope.path, token=scope.token))
    assert_error(api.get(scope.path, token=scope.token), 404, NOT_FOUND_CFG)
    assert_error(api.patch(scope.path, token=scope.token, json_body={"image_format": "png"}),
                 404, NOT_FOUND_CFG)
    assert_error(api.delete(scope.path, token=scope.token), 404, NOT_FOUND_CFG)
    again = cfg(scope, api.post(scope.path, token=scope.token, json_body={}))
    assert again["id"] != created["id"], "a re-created configuration is a new row"
    assert cfg(scope, api.get(scope.path, token=scope.token)) == again


PATCH_CASES = {
    # name: (body, expected (image_format, metadata_adapter), changes_something)
    "image_format-only": ({"image_format": "png"}, ("png", "ovs"), True),
    "metadata_adapter-only": ({"metadata_adapter": "default"}, ("jpeg", "default"), True),
    "both": ({"image_format": "avif", "metadata_adapter": "default"}, ("avif", "default"), True),
    "image_format-null": ({"image_format": None}, ("jpeg", "ovs"), False),
    "metadata_adapter-null": ({"metadata_adapter": None}, ("jpeg", "ovs"), False),
    "both-null": ({"image_format": None, "metadata_adapter": None}, ("jpeg", "ovs"), False),
    "null-and-value": ({"image_format": None, "metadata_adapter": "default"},
                       ("jpeg", "default"), True),
    "empty-object": ({}, ("jpeg", "ovs"), False),
    "same-value": ({"image_format": "jpeg"}, ("jpeg", "ovs"), True),
    "unknown-fields-ignored": ({"image_format": "webp", "colour": "red",
                                "user_id": "00000000-0000-4000-8000-000000000001",
                                "organization_id": "00000000-0000-4000-8000-000000000002",
                                "id": "00000000-0000-4000-8000-000000000003",
                                "created_at": "2000-01-01T00:00:00Z"}, ("webp", "ovs"), True),
}

PATCH_SCOPES = ["me", "self-by-id", "superuser-for-user", "org-role-member", "org-role-admin",
                "org-superuser-non-member"]


@pytest.mark.parametrize("scope_name", PATCH_SCOPES)
@pytest.mark.parametrize("case", list(PATCH_CASES))
def test_patch_partial(api, make_user, make_org, superuser, scope_name, case):
    scope = build_scope(scope_name, make_user, make_org, superuser)
    body, (fmt, adapter), changes = PATCH_CASES[case]
    created = cfg(scope, api.post(scope.path, token=scope.token,
                                  json_body={"image_format": "jpeg", "metadata_adapter": "ovs"}),
                  "jpeg", "ovs")
    patched = cfg(scope, api.patch(scope.path, token=scope.token, json_body=body), fmt, adapter)
    for k in ("id", "created_at", "user_id", "organization_id"):
        assert patched[k] == created[k], f"PATCH {body} changed {k}: {created[k]} -> {patched[k]}"
    if changes:
        assert ts_value(patched["updated_at"]) > ts_value(created["updated_at"]), \
            f"updated_at must move: {created['updated_at']} -> {patched['updated_at']}"
    else:
        assert ts_value(patched["updated_at"]) >= ts_value(created["updated_at"])
    assert cfg(scope, api.get(scope.path, token=scope.token), fmt, adapter) == patched


@pytest.mark.parametrize("family", ["me", "org"])
@pytest.mark.parametrize("fmt", IMAGE_FORMATS)
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_post_every_value(api, make_user, make_org, family, fmt, adapter):
    u = make_user()
    org = make_org((u, "member")) if family == "org" else None
    path = path_for(family, org.id if org else None)
    assert_config(api.post(path, token=u.token, json_body={"image_format": fmt,
                                                           "metadata_adapter": adapter}),
                  user_id=u.id, org_id=org.id if org else None, image_format=fmt,
                  metadata_adapter=adapter)


@pytest.mark.parametrize("field,value", [("image_format", "png"), ("metadata_adapter", "ovs")])
@pytest.mark.parametrize("family", ["me", "user", "org"])
def test_post_one_field_other_default(api, make_user, make_org, family, field, value):
    u = make_user()
    org = make_org((u, "admin")) if family == "org" else None
    path = path_for(family, org.id if family == "org" else u.id)
    exp = {"image_format": "webp", "metadata_adapter": "default", field: value}
    assert_config(api.post(path, token=u.token, json_body={field: value}),
                  user_id=u.id, org_id=org.id if org else None, **exp)


@pytest.mark.parametrize("family", ["me", "user", "org"])
def test_post_unknown_fields_ignored(api, make_user, make_org, family):
    """Fields outside the schema, including user_id / organization_id / id, are ignored."""
    u = make_user()
    other = make_user()
    org = make_org((u, "member")) if family == "org" else None
    other_org = make_org((other, "member"))
    path = path_for(family, org.id if org else u.id)
    forced_id = str(uuid.uuid4())
    body = {"image_format": "png", "colour": "red", "user_id": other.id,
            "organization_id": other_org.id, "id": forced_id,
            "created_at": "2000-01-01T00:00:00Z", "updated_at": "2000-01-01T00:00:00Z"}
    created = assert_config(api.post(path, token=u.token, json_body=body), user_id=u.id,
                            org_id=org.id if org else None, image_format="png",
                            metadata_adapter="default")
    assert created["id"] != forced_id, "id must not come from the body"
    # and nothing was created for the other user or the other org
    assert_error(api.get(ME_PATH, token=other.token), 404, NOT_FOUND_CFG)
    assert_error(api.get(org_path(other_org.id), token=other.token), 404, NOT_FOUND_CFG)


# --------------------------------------------------------------------------------------
# Views of one configuration through several paths


def test_me_and_self_by_id_are_the_same_config(api, make_user):
    u = make_user()
    created = assert_status(api.post(ME_PATH, token=u.token, json_body={"image_format": "png"}), 200)
    for ident in (u.id, u.id.upper(), u.id.replace("-", "")):
        got = assert_status(api.get(user_path(ident), token=u.token), 200)
        assert got == created, f"GET {user_path(ident)} {got} != /me {created}"
    assert_error(api.post(user_path(u.id), token=u.token, json_body={}), 400, EXISTS_CFG)
    patched = assert_status(api.patch(user_path(u.id), token=u.token,
                                      json_body={"metadata_adapter": "ovs"}), 200)
    assert assert_status(api.get(ME_PATH, token=u.token), 200) == patched
    assert_deleted(api.delete(user_path(u.id), token=u.token))
    assert_error(api.get(ME_PATH, token=u.token), 404, NOT_FOUND_CFG)


def test_superuser_manages_another_users_config(api, make_user, superuser):
    u = make_user()
    mine = assert_status(api.post(ME_PATH, token=u.token, json_body={"image_format": "avif"}), 200)
    seen = assert_status(api.get(user_path(u.id), token=superuser.token), 200)
    assert seen == mine, f"superuser sees {seen}, user created {mine}"
    assert_error(api.post(user_path(u.id), token=superuser.token, json_body={}), 400, EXISTS_CFG)
    patched = assert_config(api.patch(user_path(u.id), token=superuser.token,
                                      json_body={"metadata_adapter": "ovs"}),
                            user_id=u.id, org_id=None, image_format="avif",
                            metadata_adapter="ovs")
    assert assert_status(api.get(ME_PATH, token=u.token), 200) == patched
    assert_deleted(api.delete(user_path(u.id), token=superuser.token))
    assert_error(api.get(ME_PATH, token=u.token), 404, NOT_FOUND_CFG)
    # the superuser's own personal configuration was never touched
    su_own = api.get(ME_PATH, token=superuser.token)
    assert su_own.status_code in (200, 404), describe(su_own)
    if su_own.status_code == 200:
        assert su_own.json()["user_id"] == superuser.id


def test_superuser_created_config_belongs_to_target(api, make_user, superuser):
    u = make_user()
    created = assert_config(api.post(user_path(u.id), token=superuser.token,
                                     json_body={"image_format": "jpeg"}),
                            user_id=u.id, org_id=None, image_format="jpeg",
                            metadata_adapter="default")
    assert assert_status(api.get(ME_PATH, token=u.token), 200) == created
    assert_deleted(api.delete(ME_PATH, token=u.token))


@pytest.mark.parametrize("creator_role,other_role", [("member", "admin"), ("admin", "member"),
                                                     ("member", "member")])
def test_org_config_shared_by_members(api, make_user, make_org, creator_role, other_role):
    a, b = make_user(), make_user()
    org = make_org((a, creator_role), (b, other_role))
    path = org_path(org.id)
    created = assert_config(api.post(path, token=a.token, json_body={"image_format": "png"}),
                            user_id=a.id, org_id=org.id, image_format="png",
                            metadata_adapter="default")
    assert assert_status(api.get(path, token=b.token), 200) == created
    assert_error(api.post(path, token=b.token, json_body={}), 400, EXISTS_CFG)
    patched = assert_config(api.patch(path, token=b.token, json_body={"metadata_adapter": "ovs"}),
                            user_id=a.id, org_id=org.id, image_format="png",
                            metadata_adapter="ovs")
    assert assert_status(api.get(path, token=a.token), 200) == patched
    assert_deleted(api.delete(path, token=b.token))
    assert_error(api.get(path, token=a.token), 404, NOT_FOUND_CFG)


def test_org_config_superuser_sees_members_config(api, make_user, make_org, superuser):
    a = make_user()
    org = make_org((a, "member"))
    created = assert_status(api.post(org_path(org.id), token=a.token, json_body={}), 200)
    assert assert_status(api.get(org_path(org.id), token=superuser.token), 200) == created
    assert_deleted(api.delete(org_path(org.id), token=superuser.token))
    assert_error(api.get(org_path(org.id), token=a.token), 404, NOT_FOUND_CFG)


def test_org_and_personal_configs_are_independent(api, make_user, make_org):
    u = make_user()
    org = make_org((u, "admin"))
    personal = assert_config(api.post(ME_PATH, token=u.token, json_body={"image_format": "jpeg"}),
                             user_id=u.id, org_id=None, image_format="jpeg",
                             metadata_adapter="default")
    assert_error(api.get(org_path(org.id), token=u.token), 404, NOT_FOUND_CFG)
    org_cfg = assert_config(api.post(org_path(org.id), token=u.token,
                                     json_body={"image_format": "avif", "metadata_adapter": "ovs"}),
                            user_id=u.id, org_id=org.id, image_format="avif",
                            metadata_adapter="ovs")
    assert org_cfg["id"] != personal["id"]
    assert assert_status(api.get(ME_PATH, token=u.token), 200) == personal
    assert assert_status(api.get(user_path(u.id), token=u.token), 200) == personal
    assert_deleted(api.delete(org_path(org.id), token=u.token))
    assert assert_status(api.get(ME_PATH, token=u.token), 200) == personal
    assert_deleted(api.delete(ME_PATH, token=u.token))
    assert_error(api.get(ME_PATH, token=u.token), 404, NOT_FOUND_CFG)


def test_org_config_does_not_block_personal_post(api, make_user, make_org):
    u = make_user()
    org = make_org((u, "member"))
    assert_status(api.post(org_path(org.id), token=u.token, json_body={}), 200)
    assert_error(api.get(ME_PATH, token=u.token), 404, NOT_FOUND_CFG)
    assert_config(api.post(ME_PATH, token=u.token, json_body={}), user_id=u.id, org_id=None,
                  image_format="webp", metadata_adapter="default")


def test_two_orgs_are_independent(api, make_user, make_org):
    u = make_user()
    o1, o2 = make_org((u, "member")), make_org((u, "admin"))
    c1 = assert_status(api.post(org_path(o1.id), token=u.token, json_body={"image_format": "png"}),
                       200)
    assert_error(api.get(org_path(o2.id), token=u.token), 404, NOT_FOUND_CFG)
    c2 = assert_config(api.post(org_path(o2.id), token=u.token, json_body={}), user_id=u.id,
                       org_id=o2.id, image_format="webp", metadata_adapter="default")
    assert c1["id"] != c2["id"]
    assert_deleted(api.delete(org_path(o1.id), token=u.token))
    assert assert_status(api.get(org_path(o2.id), token=u.token), 200) == c2


def test_users_are_isolated(api, make_user):
    a, b = make_user(), make_user()
    assert_status(api.post(ME_PATH, token=a.token, json_body={"image_format": "png"}), 200)
    assert_error(api.get(ME_PATH, token=b.token), 404, NOT_FOUND_CFG)
    assert_config(api.post(ME_PATH, token=b.token, json_body={}), user_id=b.id, org_id=None,
                  image_format="webp", metadata_adapter="default")
    assert assert_status(api.get(ME_PATH, token=a.token), 200)["image_format"] == "png"


# --------------------------------------------------------------------------------------
# Permission refusals


USER_TARGETS = ["other-with-config", "other-without-config", "nonexistent", "nil-uuid",
                "a-superuser"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("target", USER_TARGETS)
def test_regular_user_naming_someone_else(api, make_user, superuser, method, target):
    me = make_user()
    victim = None
    if target in ("other-with-config", "other-without-config"):
        victim = make_user()
        ident = victim.id
    elif target == "a-superuser":
        ident = superuser.id
    elif target == "nil-uuid":
        ident = "00000000-0000-0000-0000-000000000000"
    else:
        ident = str(uuid.uuid4())
    before = None
    if target == "other-with-config":
        before = assert_status(api.post(ME_PATH, token=victim.token,
                                        json_body={"image_format": "png"}), 200)
    r = send(api, method, user_path(ident), me.token, {"image_format": "jpeg"})
    assert_error(r, 403, NO_PERM)
    if victim is not None:
        after = api.get(ME_PATH, token=victim.token)
        if before is None:
            assert_error(after, 404, NOT_FOUND_CFG)
        else:
            assert assert_status(after, 200) == before, "refused request changed the config"
    assert_error(api.get(ME_PATH, token=me.token), 404, NOT_FOUND_CFG)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("ident", ["random", "nil-uuid", "uppercase-no-hyphens"])
def test_superuser_naming_unknown_user(api, superuser, method, ident):
    u = str(uuid.uuid4())
    value = {"random": u, "nil-uuid": "00000000-0000-0000-0000-000000000000",
             "uppercase-no-hyphens": u.replace("-", "").upper()}[ident]
    assert_error(send(api, method, user_path(value), superuser.token), 404, "User not found")


ORG_CALLERS = ["regular-user", "member-of-another-org", "superuser"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("caller", ORG_CALLERS)
def test_unknown_org(api, make_user, make_org, superuser, method, caller):
    if caller == "superuser":
        token = superuser.token
    else:
        u = make_user()
        if caller == "member-of-another-org":
            make_org((u, "admin"))
        token = u.token
    assert_error(send(api, method, org_path(str(uuid.uuid4())), token), 404,
                 "Organization not found")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("situation", ["org-with-config", "org-without-config",
                                       "member-of-another-org", "empty-org"])
def test_org_non_member(api, make_user, make_org, method, situation):
    outsider = make_user()
    member = make_user()
    if situation == "empty-org":
        org = make_org()
    else:
        org = make_org((member, "admin"))
    if situation == "member-of-another-org":
        make_org((outsider, "admin"))
    before = None
    if situation == "org-with-config":
        before = assert_status(api.post(org_path(org.id), token=member.token,
                                        json_body={"image_format": "png"}), 200)
    assert_error(send(api, method, org_path(org.id), outsider.token, {"image_format": "jpeg"}),
                 403, NO_PERM)
    if situation != "empty-org":
        after = api.get(org_path(org.id), token=member.token)
        if before is None:
            assert_error(after, 404, NOT_FOUND_CFG)
        else:
            assert assert_status(after, 200) == before, "refused request changed the org config"
    assert_error(api.get(ME_PATH, token=outsider.token), 404, NOT_FOUND_CFG)


# --------------------------------------------------------------------------------------
# UUIDs in the path


BAD_UUIDS = {
    "word": "not-a-uuid",
    "short-number": "1234",
    "35-chars": "123e4567-e89b-12d3-a456-42661417400",
    "37-chars": "123e4567-e89b-12d3-a456-4266141740000",
    "non-hex-char": "123e4567-e89b-12d3-a456-42661417400g",
    "misplaced-hyphen": "123e4567-e89b12d3-a456-426614174000",
    "34-hex-no-hyphens": "123e4567e89b12d3a456426614174000ff",
    "organizations": "organizations",
}


BAD_UUID_COMBOS = [(f, b) for f in ("user", "org") for b in BAD_UUIDS] + [("org", "me")]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("family,bad", BAD_UUID_COMBOS,
                         ids=[f"{f}-{b}" for f, b in BAD_UUID_COMBOS])
def test_bad_uuid_in_path(api, someone, method, family, bad):
    value = BAD_UUIDS.get(bad, bad)
    loc = ["path", "user_id" if family == "user" else "org_id"]
    r = send(api, method, path_for(family, value), someone.token)
    assert_422(r, {"type": "uuid_parsing", "loc": loc, "input": value})


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("family", ["user", "org"])
def test_bad_uuid_in_path_superuser(api, superuser, method, family):
    loc = ["path", "user_id" if family == "user" else "org_id"]
    r = send(api, method, path_for(family, "xyz"), superuser.token)
    assert_422(r, {"type": "uuid_parsing", "loc": loc, "input": "xyz"})


UUID_FORMS = {
    "uppercase": lambda u: u.upper(),
    "no-hyphens": lambda u: u.replace("-", ""),
    "uppercase-no-hyphens": lambda u: u.replace("-", "").upper(),
    "braced": lambda u: "{" + u + "}",
    "urn": lambda u: "urn:uuid:" + u,
}


@pytest.mark.parametrize("family", ["user", "org"])
@pytest.mark.parametrize("form", list(UUID_FORMS))
def test_uuid_spellings_accepted(api, make_user, make_org, family, form):
    u = make_user()
    org = make_org((u, "member")) if family == "org" else None
    canonical = org.id if org else u.id
    alt = UUID_FORMS[form](canonical)
    created = assert_config(api.post(path_for(family, alt), token=u.token, json_body={}),
                            user_id=u.id, org_id=org.id if org else None,
                            image_format="webp", metadata_adapter="default")
    assert assert_status(api.get(path_for(family, canonical), token=u.token), 200) == created
    assert assert_status(api.get(path_for(family, alt), token=u.token), 200) == created
    patched = assert_status(api.patch(path_for(family, alt), token=u.token,
                                      json_body={"image_format": "png"}), 200)
    assert patched["image_format"] == "png" and patched["id"] == created["id"]
    assert_deleted(api.delete(path_for(family, alt), token=u.token))


def test_ids_in_responses_are_lowercase(api, make_user, make_org):
    u = make_user()
    org = make_org((u, "member"))
    for p in (ME_PATH, org_path(org.id.upper())):
        body = assert_status(api.post(p, token=u.token, json_body={}), 200)
        for k in ("id", "user_id"):
            assert UUID_RE.match(body[k]), f"{k} {body[k]!r} not lowercase hyphenated"
        if body["organization_id"] is not None:
            assert body["organization_id"] == org.id


# --------------------------------------------------------------------------------------
# Body validation, POST and PATCH of the three families


def _enum(field, value):
    extra = ENUM_IF if field == "image_format" else ENUM_MA
    return {"type": "enum", "loc": ["body", field], "input": value, **extra}


JSON_INVALID = object()
NOT_OBJECT = object()
MISSING = object()

# name: (raw body bytes or JSON value, expected 422 entries or a marker)
BODY_CASES = {
    "image_format-gif": ({"image_format": "gif"}, [_enum("image_format", "gif")]),
    "metadata_adapter-xmp": ({"metadata_adapter": "xmp"}, [_enum("metadata_adapter", "xmp")]),
    "both-fields-bad": ({"image_format": "bmp", "metadata_adapter": "exif"},
                        [_enum("image_format", "bmp"), _enum("metadata_adapter", "exif")]),
    "image_format-uppercase": ({"image_format": "WEBP"}, [_enum("image_format", "WEBP")]),
    "image_format-empty-string": ({"image_format": ""}, [_enum("image_format", "")]),
    "image_format-padded": ({"image_format": " png"}, [_enum("image_format", " png")]),
    "image_format-int": ({"image_format": 5}, [_enum("image_format", 5)]),
    "image_format-bool": ({"image_format": True}, [_enum("image_format", True)]),
    "image_format-list": ({"image_format": ["webp"]}, [_enum("image_format", ["webp"])]),
    "image_format-object": ({"image_format": {"v": "webp"}},
                            [_enum("image_format", {"v": "webp"})]),
    "metadata_adapter-int": ({"metadata_adapter": 0}, [_enum("metadata_adapter", 0)]),
    "bad-and-good-field": ({"image_format": "png", "metadata_adapter": "OVS"},
                           [_enum("metadata_adapter", "OVS")]),
    "json-truncated": (b'{"image_format": "png"', JSON_INVALID),
    "json-missing-value": (b'{"image_format": }', JSON_INVALID),
    "json-not-json": (b"not json", JSON_INVALID),
    "json-trailing-comma": (b'{"image_format": "png",}', JSON_INVALID),
    "json-single-quotes": (b"{'image_format': 'png'}", JSON_INVALID),
    "json-lone-brace": (b"{", JSON_INVALID),
    "body-array": (b"[]", NOT_OBJECT),
    "body-array-of-string": (b'["webp"]', NOT_OBJECT),
    "body-string": (b'"webp"', NOT_OBJECT),
    "body-number": (b"5", NOT_OBJECT),
    "body-true": (b"true", NOT_OBJECT),
    "no-body": (None, MISSING),
}
POST_ONLY_CASES = {
    "image_format-null": ({"image_format": None}, [_enum("image_format", None)]),
    "metadata_adapter-null": ({"metadata_adapter": None}, [_enum("metadata_adapter", None)]),
}

VALIDATION_ENDPOINTS = [(f, m) for f in FAMILIES for m in ("POST", "PATCH")]


def _check_body_case(r, expected):
    if expected is JSON_INVALID:
        errs = assert_422(r, {"type": "json_invalid"})
        loc = errs[0]["loc"]
        assert len(loc) == 2 and loc[0] == "body" and isinstance(loc[1], int) \
            and not isinstance(loc[1], bool), describe(r, 'json_invalid loc must be ["body", <int>]')
    elif expected is NOT_OBJECT:
        assert_422(r, {"type": "model_attributes_type", "loc": ["body"]})
    elif expected is MISSING:
        assert_422(r, {"type": "missing", "loc": ["body"], "msg": "Field required"})
    else:
        assert_422(r, *expected)


def _send_raw(api, method, path, token, raw):
    if raw is None:
        return api.request(method, path, token=token)
    if isinstance(raw, bytes):
        return api.request(method, path, token=token, data=raw,
                           headers={"Content-Type": "application/json"})
    return api.request(method, path, token=token, json_body=raw)


def _actor(family, make_user, make_org):
    u = make_user()
    org = make_org((u, "member")) if family == "org" else None
    return u, path_for(family, org.id if org else u.id)


BODY_COMBOS = [(f, m, c) for f, m in VALIDATION_ENDPOINTS for c in BODY_CASES] + \
    [(f, "POST", c) for f in FAMILIES for c in POST_ONLY_CASES]


@pytest.mark.parametrize("family,method,case", BODY_COMBOS,
                         ids=[f"{m}-{f}-{c}" for f, m, c in BODY_COMBOS])
def test_body_validation(api, make_user, make_org, family, method, case):
    raw, expected = BODY_CASES[case] if case in BODY_CASES else POST_ONLY_CASES[case]
    u, path = _actor(family, make_user, make_org)
    before = None
    if method == "PATCH":
        before = assert_status(api.post(path, token=u.token,
                                        json_body={"image_format": "jpeg",
                                                   "metadata_adapter": "ovs"}), 200)
    r = _send_raw(api, method, path, u.token, raw)
    _check_body_case(r, expected)
    after = api.get(path, token=u.token)
    if before is None:
        assert_error(after, 404, NOT_FOUND_CFG)  # no row created by a refused POST
    else:
        assert assert_status(after, 200) == before, "a refused PATCH changed the configuration"


@pytest.mark.parametrize("family,field,value,expected", [
    ("me", "image_format", "gif", {"detail": [{
        "type": "enum", "loc": ["body", "image_format"],
        "msg": "Input should be 'webp', 'jpeg', 'png' or 'avif'", "input": "gif",
        "ctx": {"expected": "'webp', 'jpeg', 'png' or 'avif'"}}]}),
    ("org", "metadata_adapter", "xmp", {"detail": [{
        "type": "enum", "loc": ["body", "metadata_adapter"],
        "msg": "Input should be 'default' or 'ovs'", "input": "xmp",
        "ctx": {"expected": "'default' or 'ovs'"}}]}),
])
def test_enum_error_body_exact(api, make_user, make_org, family, field, value, expected):
    u, path = _actor(family, make_user, make_org)
    r = api.post(path, token=u.token, json_body={field: value})
    assert r.status_code == 422 and is_json_response(r) and r.json() == expected, \
        describe(r, f"expected 422 {json.dumps(expected)}")


@pytest.mark.parametrize("family,method", VALIDATION_ENDPOINTS,
                         ids=[f"{m}-{f}" for f, m in VALIDATION_ENDPOINTS])
def test_five_megabyte_body(api, make_user, make_org, family, method):
    u, path = _actor(family, make_user, make_org)
    if method == "PATCH":
        before = assert_status(api.post(path, token=u.token, json_body={}), 200)
    raw = b'{"image_format": "png", "pad": "' + b"a" * (5 * 1024 * 1024) + b'"}'
    r = api.request(method, path, token=u.token, data=raw,
                    headers={"Content-Type": "application/json"}, fresh=True)
    assert r.status_code == 413, describe(r, "expected 413 for a 5 MB body")
    body = body_of(r)
    assert isinstance(body, dict) and set(body) == {"detail"} and isinstance(body["detail"], str), \
        describe(r, 'expected {"detail": "<string>"}')
    after = api.get(path, token=u.token)
    if method == "POST":
        assert_error(after, 404, NOT_FOUND_CFG)
    else:
        assert assert_status(after, 200) == before


# --------------------------------------------------------------------------------------
# Order of checks: auth -> 422 -> handler rules (403 / 404 / 400)


PRECEDENCE = ["post-when-exists", "patch-when-missing", "other-user", "superuser-unknown-user",
              "unknown-org", "non-member"]


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("situation", PRECEDENCE)
def test_validation_before_handler_rules(api, make_user, make_org, superuser, method, situation):
    u = make_user()
    token = u.token
    if situation == "post-when-exists":
        assert_status(api.post(ME_PATH, token=token, json_body={}), 200)
        path = ME_PATH
    elif situation == "patch-when-missing":
        path = ME_PATH
    elif situation == "other-user":
        path = user_path(make_user().id)
    elif situation == "superuser-unknown-user":
        token = superuser.token
        path = user_path(str(uuid.uuid4()))
    elif situation == "unknown-org":
        path = org_path(str(uuid.uuid4()))
    else:
        path = org_path(make_org((make_user(), "admin")).id)
    r = api.request(method, path, token=token, json_body={"image_format": "tiff"})
    assert_422(r, _enum("image_format", "tiff"))


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("family", ["user", "org"])
def test_path_and_body_errors_reported_together(api, someone, method, family):
    loc = ["path", "user_id" if family == "user" else "org_id"]
    r = api.request(method, path_for(family, "nope"), token=someone.token,
                    json_body={"image_format": "gif", "metadata_adapter": "ovs"})
    assert_422(r, {"type": "uuid_parsing", "loc": loc, "input": "nope"},
               _enum("image_format", "gif"))


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_missing_body_before_not_found(api, make_user, method):
    """An absent body is a 422 even when the configuration does not exist / exists."""
    u = make_user()
    if method == "POST":
        assert_status(api.post(ME_PATH, token=u.token, json_body={}), 200)
    r = api.request(method, ME_PATH, token=u.token)
    assert_422(r, {"type": "missing", "loc": ["body"], "msg": "Field required"})


# --------------------------------------------------------------------------------------
# One configuration per user / per organization, even under concurrent creates


@pytest.mark.parametrize("family", ["me", "org"])
def test_concurrent_posts_create_exactly_one(api, make_user, make_org, family):
    import concurrent.futures

    users = [make_user() for _ in range(3)] if family == "org" else [make_user()]
    org = make_org(*[(u, "member") for u in users]) if family == "org" else None
    path = path_for(family, org.id if org else None)
    tokens = [users[i % len(users)].token for i in range(8)]

    def post(tok):
        return api.request("POST", path, token=tok, json_body={"image_format": "png"}, fresh=True)

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(post, tokens))
    statuses = sorted(r.status_code for r in results)
    assert statuses.count(200) == 1 and statuses.count(400) == len(results) - 1, \
        f"expected one 200 and {len(results) - 1} x 400, got {statuses}: " + \
        "; ".join(f"{r.status_code} {r.text[:120]}" for r in results if r.status_code not in (200, 400))
    for r in results:
        if r.status_code == 400:
            assert_error(r, 400, EXISTS_CFG)
    winner = next(r for r in results if r.status_code == 200).json()
    assert assert_status(api.get(path, token=users[0].token), 200) == winner


def test_query_string_is_ignored(api, make_user):
    u = make_user()
    created = assert_status(api.post(ME_PATH + "?image_format=png", token=u.token, json_body={}),
                            200)
    assert created["image_format"] == "webp", "the body, not the query, sets the values"
    assert assert_status(api.get(ME_PATH + "?x=1&y", token=u.token), 200) == created


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8",
                                          "application/json;charset=UTF-8"])
def test_json_content_type_with_parameters(api, make_user, content_type):
    u = make_user()
    r = api.request("POST", ME_PATH, token=u.token, data=b'{"image_format": "jpeg"}',
                    headers={"Content-Type": content_type})
    assert_config(r, user_id=u.id, org_id=None, image_format="jpeg", metadata_adapter="default")
