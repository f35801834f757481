#!/usr/bin/env python3
"""docs/openapi-gen.py: writes docs/openapi.json (OpenAPI 3.1, in the shape FastAPI generates
for the seed's models) to stdout. The JSON is what is served, linted and tested; this script
only saves repeating the error responses by hand. After a change:

    python3 docs/openapi-gen.py > docs/openapi.json

and commit both (tests/integration/test_openapi.py fails when they differ).
"""
import json, copy
R = lambda n: {"$ref": f"#/components/schemas/{n}"}
def opt(s, **kw):
    d = {"anyOf": [s, {"type": "null"}]}; d.update(kw); return d
UUID = {"type": "string", "format": "uuid"}
DT = {"type": "string", "format": "date-time"}

def title(n): return " ".join(w.capitalize() for w in n.split("_"))
def obj(name, props, required=(), desc=None, **extra):
    p = {}
    for k, v in props.items():
        v = dict(v)
        if "$ref" not in v or len(v) > 1:
            v.setdefault("title", title(k))
        p[k] = v
    d = {"properties": p, "type": "object"}
    if required: d["required"] = list(required)
    d["title"] = name
    if desc: d["description"] = desc
    d.update(extra)
    return d

S = {}
S["HTTPError"] = obj("HTTPError", {"detail": {"type": "string"}}, ["detail"],
    "The error body of every status but 422 (FastAPI's HTTPException): 400, 401, 403, 404, 405, 409, 413, 415, 503.")
S["ValidationError"] = obj("ValidationError", {
    "loc": {"items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}, "type": "array"},
    "msg": {"type": "string"}, "type": {"type": "string"},
    "input": {"title": "Input"}, "ctx": {"type": "object", "title": "Context"}},
    ["loc", "msg", "type"])
S["HTTPValidationError"] = obj("HTTPValidationError", {"detail": {"items": R("ValidationError"), "type": "array"}}, ["detail"])
S["Token"] = obj("Token", {"access_token": {"type": "string"}, "token_type": {"type": "string", "default": "bearer"}}, ["access_token"])
S["Body_login_login_access_token"] = obj("Body_login_login_access_token", {
    "grant_type": opt({"type": "string", "pattern": "^password$"}),
    "username": {"type": "string"},
    "password": {"type": "string", "format": "password"},
    "scope": {"type": "string", "default": ""},
    "client_id": opt({"type": "string"}),
    "client_secret": opt({"type": "string", "format": "password"})}, ["username", "password"])
S["UserPublic"] = obj("UserPublic", {
    "email": {"type": "string", "maxLength": 255, "format": "email"},
    "is_active": {"type": "boolean", "default": True},
    "is_superuser": {"type": "boolean", "default": False},
    "full_name": opt({"type": "string", "maxLength": 255}),
    "id": UUID}, ["email", "id"])
S["ImageFormat"] = {"type": "string", "enum": ["webp", "jpeg", "png", "avif"], "title": "ImageFormat"}
S["MetadataAdapter"] = {"type": "string", "enum": ["default", "ovs"], "title": "MetadataAdapter"}
S["Message"] = obj("Message", {"message": {"type": "string"}}, ["message"])
EXP = {"created_at": "2025-01-01T00:00:00Z", "id": "123e4567-e89b-12d3-a456-426614174000",
       "image_format": "webp", "metadata_adapter": "default", "updated_at": "2025-01-01T00:00:00Z",
       "user_id": "123e4567-e89b-12d3-a456-426614174001"}
S["ExportConfigurationPublic"] = obj("ExportConfigurationPublic", {
    "id": UUID, "created_at": DT, "updated_at": DT, "user_id": UUID,
    "organization_id": opt(UUID), "metadata_adapter": R("MetadataAdapter"), "image_format": R("ImageFormat")},
    ["id", "user_id", "metadata_adapter", "image_format"],
    "Public schema for export configuration responses.\n\nSupports both user-level and organization-level configurations.\n- Personal configs have organization_id = None\n- Organization configs have organization_id set\n\nIncludes all fields plus timestamps from BaseModel.\nUsed in GET responses and after successful create/update operations.",
    example=EXP)
S["ExportConfigurationCreate"] = obj("ExportConfigurationCreate", {
    "metadata_adapter": {"$ref": "#/components/schemas/MetadataAdapter", "default": "default"},
    "image_format": {"$ref": "#/components/schemas/ImageFormat", "default": "webp"}}, (),
    "Schema for creating a new export configuration.\n\nUsed in POST requests to create user-specific export settings.",
    example={"image_format": "webp", "metadata_adapter": "default"})
S["ExportConfigurationUpdate"] = obj("ExportConfigurationUpdate", {
    "metadata_adapter": {"anyOf": [R("MetadataAdapter"), {"type": "null"}]},
    "image_format": {"anyOf": [R("ImageFormat"), {"type": "null"}]}}, (),
    "Schema for updating an existing export configuration.\n\nAll fields are optional to support partial updates via PATCH requests.",
    example={"image_format": "jpeg", "metadata_adapter": "ovs"})
for k in ("ExportConfigurationCreate", "ExportConfigurationUpdate"):
    for v in S[k]["properties"].values(): v.pop("title", None)
S["PresignedUrlRequest"] = obj("PresignedUrlRequest", {
    "folder": opt({"type": "string", "maxLength": 255}),
    "filename": {"type": "string", "minLength": 1},
    "content_type": {"type": "string"},
    "file_size": opt({"type": "integer", "minimum": 0}, description="Declared size in bytes (also accepted as `size`; both must agree)"),
    "size": opt({"type": "integer", "minimum": 0}, description="Alias of file_size")},
    ["filename", "content_type"],
    "`folder` is optional here (the seed lists it as required; API.md §4.1).")
S["PresignedUrlResponse"] = obj("PresignedUrlResponse", {
    "upload_url": {"type": "string", "description": "Presigned R2/S3 URL, or this service's PUT /api/v1/uploads/local/{token}: the client PUTs the file here"},
    "file_url": {"type": "string", "description": "CDN URL where the file will be accessible (temp/ prefix)"},
    "upload_method": {"type": "string", "const": "PUT"},
    "expires_in_seconds": {"type": "integer", "minimum": 1, "maximum": 3600},
    "max_file_size": {"type": "integer"},
    "file_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
    "key": {"type": "string", "pattern": "^temp/"},
    "required_headers": {"type": "object", "properties": {"Content-Type": {"type": "string"}}, "additionalProperties": {"type": "string"}, "required": ["Content-Type"]},
    "token": {"type": "string", "description": "local backend only: the upload token of upload_url"}},
    ["upload_url", "file_url", "upload_method", "expires_in_seconds", "max_file_size", "file_id", "key", "required_headers"])
S["LocalUploadResponse"] = obj("LocalUploadResponse", {
    "key": {"type": "string"}, "size": {"type": "integer", "minimum": 0}, "etag": {"type": "string"},
    "file_url": {"type": "string"}}, ["key", "size", "etag", "file_url"])
S["Body_upload_lora"] = obj("Body_upload_lora", {
    "file": {"type": "string", "contentMediaType": "application/octet-stream"},
    "lora_trigger": opt({"type": "string", "maxLength": 255}),
    "entity_type": opt({"type": "string", "pattern": "^[a-z0-9_-]{1,32}$"})}, ["file"])
S["LoraUploadResponse"] = obj("LoraUploadResponse", {k: opt({"type": t}) for k, t in
    [("file_path", "string"), ("partial_path", "string"), ("filename", "string"), ("file_size", "integer"), ("upload_timestamp", "string")]},
    ["file_path", "partial_path", "filename", "file_size", "upload_timestamp"])
S["BulkUploadStatus"] = {"type": "string", "enum": ["PENDING", "PROCESSING", "COMPLETED", "FAILED"], "title": "BulkUploadStatus"}
S["BulkUploadTask"] = obj("BulkUploadTask", {
    "owner_id": UUID, "id": UUID, "created_at": DT, "updated_at": DT,
    "filename": {"type": "string", "maxLength": 255},
    "status": {"$ref": "#/components/schemas/BulkUploadStatus", "default": "PENDING"},
    "file_url": opt({"type": "string"}, description="URL of the stored ZIP file, used for background processing"),
    "total_products": {"type": "integer", "default": 0},
    "processed_products": {"type": "integer", "default": 0},
    "successful_products": {"type": "integer", "default": 0},
    "failed_products": {"type": "integer", "default": 0},
    "skipped_products": {"type": "integer", "default": 0},
    "results": {"additionalProperties": {"additionalProperties": True, "type": "object"}, "type": "object",
                "description": "Dictionary of product upload results by SKU"},
    "error_message": opt({"type": "string"}),
    "shooting_id": opt(UUID),
    "completed_at": opt(DT)}, ["owner_id", "filename"],
    "Represents a bulk upload task for processing multiple products from a ZIP file.\n\nTracks the status, progress, and results of the upload process.")
S["BulkUploadTask"]["properties"]["status"].pop("title", None)
S["BulkUploadError"] = obj("BulkUploadError", {
    "sku": opt({"type": "string"}), "row": opt({"type": "integer"}),
    "field": opt({"type": "string"}), "message": {"type": "string"}}, ["sku", "row", "field", "message"])
S["Body_create_bulk_upload_task"] = obj("Body_create_bulk_upload_task", {
    "file": {"type": "string", "contentMediaType": "application/octet-stream"}}, ["file"])
S["ProductImage"] = obj("ProductImage", {
    "resource_id": UUID, "url": {"type": "string"}, "role": {"type": "string", "enum": ["cover", "gallery"]},
    "position": {"type": "integer"}, "content_type": {"type": "string"}, "size": {"type": "integer"}},
    ["resource_id", "url", "role", "position", "content_type", "size"])
S["ProductCreate"] = obj("ProductCreate", {
    "sku": {"type": "string", "minLength": 1, "maxLength": 255},
    "name": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": opt({"type": "string"}),
    "attributes": opt({"type": "object", "additionalProperties": True}),
    "cover_image_url": opt({"type": "string"}, description="A file_url of POST /api/v1/uploads/presigned-url, ingested into media/"),
    "image_urls": opt({"type": "array", "items": {"type": "string"}, "maxItems": 50}, description="The additional images (not the cover), at most 50"),
    "shooting_id": opt(UUID), "organization_id": opt(UUID)}, ["sku", "name"])
S["ProductPublic"] = obj("ProductPublic", {
    "id": UUID, "sku": {"type": "string"}, "name": {"type": "string"},
    "description": opt({"type": "string"}), "attributes": opt({"type": "object", "additionalProperties": True}),
    "owner_id": UUID, "organization_id": opt(UUID), "shooting_id": opt(UUID),
    "cover_image_url": opt({"type": "string"}), "image_urls": opt({"type": "array", "items": {"type": "string"}}),
    "caption": opt({"type": "string"}), "caption_status": opt({"type": "string", "enum": ["pending", "done", "failed"]}),
    "images": {"type": "array", "items": R("ProductImage")}, "created_at": DT, "updated_at": DT},
    ["id", "sku", "name", "owner_id", "images", "created_at", "updated_at"])
S["ProductsPublic"] = obj("ProductsPublic", {"data": {"type": "array", "items": R("ProductPublic")}, "count": {"type": "integer"}}, ["data", "count"])
S["ShootingCreate"] = obj("ShootingCreate", {"name": {"type": "string", "minLength": 1, "maxLength": 255}}, ["name"])
S["ShootingPublic"] = obj("ShootingPublic", {"id": UUID, "name": {"type": "string"}, "owner_id": UUID,
    "product_ids": {"type": "array", "items": UUID}, "created_at": DT, "updated_at": DT}, ["id", "name", "owner_id", "product_ids"])

HDR = {"X-Request-ID": {"$ref": "#/components/headers/X-Request-ID"}}
def resp(desc, schema=None, ctype="application/json", headers=None):
    r = {"description": desc}
    h = dict(HDR)
    if headers: h.update(headers)
    r["headers"] = h
    if schema is not None:
        r["content"] = {ctype: {"schema": schema}}
    return r
def err(desc, extra_headers=None):
    return resp(desc, R("HTTPError"), headers=extra_headers)
E = {
    400: lambda d="Conflict or precondition, e.g. {\"detail\":\"Inactive user\"}": err(d),
    401: lambda: err("Not authenticated: {\"detail\":\"Not authenticated\"}", {"WWW-Authenticate": {"$ref": "#/components/headers/WWW-Authenticate"}}),
    403: lambda d="{\"detail\":\"Could not validate credentials\"}, or not allowed": err(d),
    404: lambda d="{\"detail\":\"User not found\"} (token of a deleted user), or the resource is missing": err(d),
    409: lambda d="Conflict": err(d),
    413: lambda d="Body larger than the endpoint allows": err(d),
    415: lambda d="Unsupported media type": err(d),
    422: lambda: resp("Validation Error", R("HTTPValidationError")),
    503: lambda: err("Database or storage unreachable"),
}
AUTH = [401, 403, 404, 400]
SEC = [{"OAuth2PasswordBearer": []}]

paths = {}
def op(path, method, tag, summary, opid, ok, errs, desc=None, body=None, params=None, secure=True, extra=None, ok_status="200"):
    o = {"tags": [tag], "summary": summary, "operationId": opid}
    if desc: o["description"] = desc
    if params: o["parameters"] = params
    if body: o["requestBody"] = body
    rs = {ok_status: ok}
    for e in errs:
        if isinstance(e, tuple): rs[str(e[0])] = E[e[0]](e[1])
        else: rs[str(e)] = E[e]()
    o["responses"] = dict(sorted(rs.items()))
    o["security"] = SEC if secure else []
    if extra: o.update(extra)
    paths.setdefault(path, {})[method] = o

def pp(name, schema=UUID, desc=None):
    p = {"name": name, "in": "path", "required": True, "schema": dict(schema, title=title(name))}
    if desc: p["description"] = desc
    return p
def qp(name, schema, desc=None):
    p = {"name": name, "in": "query", "required": False, "schema": dict(schema, title=title(name))}
    if desc: p["description"] = desc
    return p
def jbody(n, required=True):
    return {"required": required, "content": {"application/json": {"schema": R(n)}}}
SKIP = qp("skip", {"type": "integer", "minimum": 0, "default": 0})
LIMIT = qp("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100})

# login
form = {"schema": R("Body_login_login_access_token")}
op("/api/v1/login/access-token", "post", "login", "Login Access Token", "login-login_access_token",
   resp("Successful Response", R("Token")), [(400, "{\"detail\":\"Incorrect email or password\"} or {\"detail\":\"Inactive user\"}"), 413, 422, 503],
   "OAuth2 compatible token login, get an access token for future requests (form `username` = the email, `password`; urlencoded or multipart).",
   body={"required": True, "content": {"application/x-www-form-urlencoded": form, "multipart/form-data": form}}, secure=False)
op("/api/v1/users/me", "get", "users", "Read User Me", "users-read_user_me",
   resp("Successful Response", R("UserPublic")), AUTH + [503], "Get current user.")

# export configuration
scopes = [("/api/v1/users/me/export-configuration", "My", "my", [], "the current user's"),
          ("/api/v1/users/organizations/{org_id}/export-configuration", "Organization", "organization",
           [pp("org_id")], "an organization's (members and superusers)"),
          ("/api/v1/users/{user_id}/export-configuration", "User", "user", [pp("user_id")],
           "a user's (the caller's own; any user's for a superuser)")]
for path, T, t, params, who in scopes:
    base404 = "{\"detail\":\"User not found\"}, the configuration, user or organization is missing"
    e403 = "{\"detail\":\"Could not validate credentials\"}, or {\"detail\":\"Not enough permissions\"}"
    common = [401, (403, e403), (404, base404), 400, 422 if params else None, 503]
    common = [c for c in common if c is not None]
    cfg = resp("Successful Response", R("ExportConfigurationPublic"))
    op(path, "get", "export-configuration", f"Get {T} Export Configuration", f"export-configuration-get_{t}_export_configuration",
       cfg, common, f"Get {who} export configuration. 404 when none exists.", params=params or None)
    op(path, "post", "export-configuration", f"Create {T} Export Configuration", f"export-configuration-create_{t}_export_configuration",
       cfg, [c for c in common if c != 422] + [422, 413], f"Create {who} export configuration. 400 when one exists already.",
       body=jbody("ExportConfigurationCreate"), params=params or None)
    op(path, "patch", "export-configuration", f"Update {T} Export Configuration", f"export-configuration-update_{t}_export_configuration",
       cfg, [c for c in common if c != 422] + [422, 413], f"Update {who} export configuration; absent fields and null leave the value unchanged.",
       body=jbody("ExportConfigurationUpdate"), params=params or None)
    op(path, "delete", "export-configuration", f"Delete {T} Export Configuration", f"export-configuration-delete_{t}_export_configuration",
       resp("Successful Response", R("Message")), common, f"Delete {who} export configuration (system defaults apply afterwards).", params=params or None)

# uploads
op("/api/v1/uploads/presigned-url", "post", "uploads", "Get Presigned Url", "uploads-get_presigned_url",
   resp("Successful Response", R("PresignedUrlResponse")),
   [(400, "Inactive user, a content type that is not allowed, or a declared size over max_file_size"), 401, 403, 404, 413, 422, 503],
   "Generate presigned URL for file upload. In local implementation, returns a token and upload endpoint instead.",
   body=jbody("PresignedUrlRequest"))
op("/api/v1/uploads/local/{token}", "put", "uploads", "Put Local Upload", "uploads-put_local_upload",
   resp("Successful Response", R("LocalUploadResponse")),
   [(400, "A body shorter than the declared size"), (403, "{\"detail\":\"Invalid upload token\"}: tampered, unknown or expired"),
    (404, "Not Found"), (409, "{\"detail\":\"Upload token already used\"}"), (413, "A body larger than declared or allowed"),
    (415, "Another Content-Type than the one the token was issued for"), 503],
   "The upload URL of the local storage backend: PUT the file's bytes with the Content-Type of required_headers. The token is the credential (no bearer token).",
   params=[pp("token", {"type": "string"}, "the token of the presigned-url response")],
   body={"required": True, "content": {"*/*": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}}},
   secure=False)
DEP = {"Deprecation": {"$ref": "#/components/headers/Deprecation"}}
lora = resp("Successful Response", R("LoraUploadResponse"), headers=DEP)
op("/api/v1/uploads/admin/upload-lora", "post", "uploads", "Upload Subject Lora", "uploads-upload_subject_lora",
   lora, [(400, "{\"detail\":\"Unsupported LoRA file type\"}, or an inactive user"), 401,
          (403, "{\"detail\":\"Could not validate credentials\"} or {\"detail\":\"The user doesn't have enough privileges\"}"), 404,
          (413, "LoRA file larger than 100 MB"), 422, 503],
   "Upload a LoRA file (.safetensors, .ckpt, .pt, .pth, .bin, at most 100 MB); superuser only. Deprecated.",
   body={"required": True, "content": {"multipart/form-data": {"schema": R("Body_upload_lora")}}}, extra={"deprecated": True})

# files
op("/files/{file_path}", "get", "files", "Serve File", "files-serve_file",
   {"description": "Redirect to the CDN, the storage, or (Cloudflare mode) an image transformation; empty body",
    "headers": dict(HDR, Location={"$ref": "#/components/headers/Location"})},
   [(400, "Traversal, or a first segment holding ':'"), (404, "An empty path, or a private prefix (loras/, bulk-uploads/)"), 422],
   "Serve files by redirecting to the storage backend (MinIO or Cloudflare R2 CDN). HEAD is answered too.",
   params=[pp("file_path", {"type": "string"}), qp("type", opt({"type": "string", "enum": ["webp", "jpeg", "png", "avif", "gif"]}), "Target image format")],
   secure=False, ok_status="302")

# products and shootings (API.md §6)
op("/api/v1/products", "post", "products", "Create Product", "products-create_product",
   resp("Successful Response", R("ProductPublic")),
   [(400, "Not an upload URL, a key already ingested, a type mismatch, a SKU already used, or an inactive user"), 401,
    (403, "Could not validate credentials, a temp key not issued to the caller, or not a member of organization_id"),
    (404, "{\"detail\":\"Shooting not found\"}, or {\"detail\":\"User not found\"}"),
    (409, "{\"detail\":\"Upload changed during ingest\"}"), 413, 422, 503],
   "Create a product; every image URL is ingested into media/ (all or nothing).", body=jbody("ProductCreate"))
op("/api/v1/products", "get", "products", "Read Products", "products-read_products",
   resp("Successful Response", R("ProductsPublic")), AUTH + [422, 503],
   "The caller's products and those of the caller's organizations (superusers: all).",
   params=[SKIP, LIMIT, qp("sku", opt({"type": "string"}))])
op("/api/v1/products/{product_id}", "get", "products", "Read Product", "products-read_product",
   resp("Successful Response", R("ProductPublic")), AUTH + [422, 503], params=[pp("product_id")])
op("/api/v1/products/{product_id}", "delete", "products", "Delete Product", "products-delete_product",
   resp("Successful Response", R("Message")), AUTH + [422, 503], "Owner or superuser.", params=[pp("product_id")])
op("/api/v1/shootings", "post", "shootings", "Create Shooting", "shootings-create_shooting",
   resp("Successful Response", R("ShootingPublic")), AUTH + [413, 422, 503], body=jbody("ShootingCreate"))
op("/api/v1/shootings/{shooting_id}", "get", "shootings", "Read Shooting", "shootings-read_shooting",
   resp("Successful Response", R("ShootingPublic")), AUTH + [422, 503], params=[pp("shooting_id")])

# bulk upload (API.md §7)
BU = "/api/v1/products/bulk-upload/"
op(BU, "post", "bulk-upload", "Create Bulk Upload Task", "bulk-upload-create_bulk_upload_task",
   resp("Successful Response", R("BulkUploadTask")),
   [(400, "Not a ZIP by its magic bytes, or an inactive user"), 401, 403,
    (404, "{\"detail\":\"Shooting not found\"}, or {\"detail\":\"User not found\"}"), (413, "Over BULK_MAX_UPLOAD_BYTES"), 422, 503],
   "Create a new bulk upload task; files-cron processes the ZIP. Served with and without the trailing slash.",
   params=[qp("caption_products", {"type": "boolean", "default": True}), qp("shooting_id", opt(UUID)),
           qp("skip_existing_skus", {"type": "boolean", "default": False})],
   body={"required": True, "content": {"multipart/form-data": {"schema": R("Body_create_bulk_upload_task")}}})
op(BU, "get", "bulk-upload", "List Bulk Upload Tasks", "bulk-upload-list_bulk_upload_tasks",
   resp("Successful Response", {"type": "array", "items": R("BulkUploadTask"), "title": "Response List Bulk Upload Tasks"}),
   AUTH + [422, 503], "List bulk upload tasks for the current user, newest first. Optionally filter by status.",
   params=[SKIP, LIMIT, qp("status", opt(R("BulkUploadStatus")))])
op(BU + "{task_id}", "get", "bulk-upload", "Get Bulk Upload Task", "bulk-upload-get_bulk_upload_task",
   resp("Successful Response", R("BulkUploadTask")), AUTH + [422, 503], "Get a bulk upload task by ID.", params=[pp("task_id")])
op(BU + "{task_id}/errors", "get", "bulk-upload", "Get Bulk Upload Errors", "bulk-upload-get_bulk_upload_errors",
   resp("Successful Response", {"type": "array", "items": R("BulkUploadError"), "title": "Response Get Bulk Upload Errors"}),
   AUTH + [422, 503], "Get upload errors for a job.", params=[pp("task_id")])

# the document itself
op("/api/v1/openapi.json", "get", "openapi", "OpenAPI Document", "openapi-get_openapi",
   resp("This document (OpenAPI 3.1)", {"type": "object"}), [], secure=False)

doc = {
  "openapi": "3.1.0",
  "info": {"title": "Sartiq Backend Server - Files", "version": "0.1.0", "license": {"name": "ISC", "identifier": "ISC"},
     "description": "Files & Uploads of the Sartiq backend (sartiq-files, C/FastCGI).\n\n"
       "Conventions of every route (API.md §1): every response carries `X-Request-ID`; errors are "
       "`{\"detail\": \"...\"}` (`HTTPError`) except 422 (`HTTPValidationError`); an unknown route is "
       "`404 {\"detail\":\"Not Found\"}`, a wrong method `405 {\"detail\":\"Method Not Allowed\"}`, the other "
       "slash form of a route `307` to the canonical one; CORS as Starlette's CORSMiddleware for the origins "
       "of `CORS_ORIGINS` (a preflight from another origin: `400 {\"detail\":\"Disallowed CORS origin\"}`)."},
  "servers": [{"url": "/", "description": "this service (the origin serving this document)"}],
  "paths": paths,
  "components": {
    "schemas": dict(sorted(S.items())),
    "securitySchemes": {"OAuth2PasswordBearer": {"type": "oauth2", "flows": {"password": {"scopes": {}, "tokenUrl": "/api/v1/login/access-token"}}}},
    "headers": {
      "X-Request-ID": {"description": "The client's X-Request-ID when it matches ^[A-Za-z0-9._-]{1,128}$, else a new one", "required": True,
                        "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,128}$"}},
      "WWW-Authenticate": {"description": "Bearer", "required": True, "schema": {"type": "string", "const": "Bearer"}},
      "Location": {"description": "Where the file is", "required": True, "schema": {"type": "string"}},
      "Deprecation": {"description": "The endpoint is deprecated", "required": True, "schema": {"type": "string", "const": "true"}}}},
  "tags": [{"name": n, "description": d} for n, d in [
     ("login", "Access tokens (OAuth2 password flow)"), ("users", "The current user"),
     ("export-configuration", "Export configuration of a user or an organization"),
     ("uploads", "Presigned uploads (R2/S3 or the local backend)"),
     ("files", "File serving by redirect"), ("products", "Products (media ingest)"),
     ("shootings", "Shootings"), ("bulk-upload", "Bulk import of products from a ZIP"),
     ("openapi", "This document")]],
}
print(json.dumps(doc, indent=2, ensure_ascii=False))
