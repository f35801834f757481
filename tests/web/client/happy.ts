// The happy path through a client generated from docs/openapi.json (openapi-typescript types +
// openapi-fetch), unchanged by hand: login, presign, upload, product, /files. Type-checked by
// tsc against the generated schema.d.ts (tests/web/test_web.py generates it), then run by node.
// Env: FILES_BASE_URL, FILES_EMAIL, FILES_PASSWORD. Prints one JSON line of what it did;
// exits non-zero on any failure.
import createClient from "openapi-fetch";
import type { paths } from "./schema.js";

const base = process.env.FILES_BASE_URL ?? "";
const email = process.env.FILES_EMAIL ?? "";
const password = process.env.FILES_PASSWORD ?? "";

function fail(msg: string): never {
  console.error(`happy path: ${msg}`);
  return process.exit(1);
}

async function main(): Promise<void> {
  const client = createClient<paths>({ baseUrl: base });

  const login = await client.POST("/api/v1/login/access-token", {
    body: { username: email, password },
    bodySerializer: (b) => new URLSearchParams(b as Record<string, string>),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
  if (!login.data) fail(`login: ${login.response.status} ${JSON.stringify(login.error)}`);
  const auth = { Authorization: `Bearer ${login.data.access_token}` };

  const me = await client.GET("/api/v1/users/me", { headers: auth });
  if (!me.data || me.data.email !== email) fail(`users/me: ${me.response.status}`);

  // A small PNG: the signature, then random filler the server does not look into (random, so
  // that ingest never deduplicates it onto a resource stored by another run or backend).
  const bytes = new Uint8Array(4096);
  crypto.getRandomValues(bytes);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

  const pre = await client.POST("/api/v1/uploads/presigned-url", {
    headers: auth,
    body: { filename: "happy path.png", content_type: "image/png", file_size: bytes.length },
  });
  if (!pre.data) fail(`presigned-url: ${pre.response.status} ${JSON.stringify(pre.error)}`);
  const p = pre.data;

  let etag = "";
  if (p.token) {
    // Local backend: the upload URL is this service's own route, also in the document.
    const put = await client.PUT("/api/v1/uploads/local/{token}", {
      params: { path: { token: p.token } },
      body: bytes as unknown as string,
      bodySerializer: (b) => b as unknown as BodyInit,
      headers: p.required_headers,
    });
    if (!put.data) fail(`local PUT: ${put.response.status} ${JSON.stringify(put.error)}`);
    if (put.data.size !== bytes.length || put.data.key !== p.key) fail(`local PUT answered ${JSON.stringify(put.data)}`);
    etag = put.data.etag;
  } else {
    // s3 backend: the presigned URL is the store's, outside the document.
    const put = await fetch(p.upload_url, { method: "PUT", body: bytes, headers: p.required_headers });
    if (!put.ok) fail(`presigned PUT: ${put.status} ${await put.text()}`);
    etag = put.headers.get("etag") ?? "";
  }

  const product = await client.POST("/api/v1/products", {
    headers: auth,
    body: { sku: `happy-${Date.now()}`, name: "Happy path", cover_image_url: p.file_url },
  });
  let productStep: string;
  let mediaUrl = p.file_url;
  if (product.data) {
    productStep = `created ${product.data.id}`;
    mediaUrl = product.data.cover_image_url ?? fail("product without cover_image_url");
  } else if (product.response.status === 404 && process.env.FILES_PRODUCTS_PENDING === "1") {
    productStep = "pending (POST /api/v1/products answers 404: not routed in this tree)";
  } else {
    fail(`products: ${product.response.status} ${JSON.stringify(product.error)}`);
  }

  // /files/{file_path}: the parameter is a path (FastAPI's {file_path:path}), so its slashes
  // stay slashes; each segment is percent-encoded.
  const filesKey = new URL(mediaUrl).pathname.replace(/^.*?\/((temp|media)\/)/, "$1");
  const files = await client.GET("/files/{file_path}", {
    params: { path: { file_path: filesKey } },
    redirect: "manual",
    pathSerializer: (path, params) =>
      path.replace("{file_path}", String(params.file_path).split("/").map(encodeURIComponent).join("/")),
  });
  const loc = files.response.headers.get("location");
  if (files.response.status !== 302 || !loc) fail(`/files: ${files.response.status}`);
  const got = new Uint8Array(await (await fetch(new URL(loc, base))).arrayBuffer());
  if (got.length !== bytes.length || got.some((v, i) => v !== bytes[i])) fail(`/files -> ${loc}: other bytes`);
  console.log(JSON.stringify({ ok: true, key: p.key, etag, product: productStep, files: loc }));
}

main().catch((e) => fail(String(e && e.stack ? e.stack : e)));
