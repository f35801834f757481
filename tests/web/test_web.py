"""The web side of issue 12, run by scripts/run-tests (stage "web tests") against a stack in
local mode and again in s3 mode (FILES_WEB_MODE): redocly lint of docs/openapi.json, the
happy path through a client generated from it, the /demo/ upload in Chromium, and /docs.

Environment: FILES_BASE_URL, FILES_CONFIG_FILE (the stack's files.conf, for files-admin),
FILES_ADMIN, FILES_WEB_MODE (local|s3), FILES_WEB_ARTIFACTS (screenshots are kept there).
Node modules come from tests/web/package-lock.json (npm ci by the stage)."""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DOC = os.path.join(ROOT, "docs", "openapi.json")
MODE = os.environ.get("FILES_WEB_MODE", "local")
BIN = os.path.join(HERE, "node_modules", ".bin")


def products_pending() -> str:
    """"1" while POST /api/v1/products is in the PENDING list of tests/integration/test_openapi.py
    (no responder routes it yet): only then may the product step answer 404."""
    import importlib.util
    import sys
    sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
    try:
        spec = importlib.util.spec_from_file_location(
            "openapi_pending", os.path.join(ROOT, "tests", "integration", "test_openapi.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        sys.path.pop(0)
    return "1" if ("POST", "/api/v1/products") in mod.PENDING else "0"


def env_or_fail(name: str) -> str:
    v = os.environ.get(name)
    if not v:
        pytest.fail(f"tests/web needs {name} (scripts/run-tests sets it)", pytrace=False)
    return v


def run(cmd, timeout=300, env=None):
    p = subprocess.run(cmd, cwd=HERE, capture_output=True, text=True, timeout=timeout,
                       env=dict(os.environ, **(env or {})))
    assert p.returncode == 0, f"{' '.join(cmd)} exited {p.returncode}\nstdout: {p.stdout[-3000:]}\nstderr: {p.stderr[-3000:]}"
    return p.stdout + p.stderr


@pytest.fixture(scope="session")
def user():
    email = f"web-{MODE}-{uuid.uuid4().hex}@example.com"
    password = "pw-" + uuid.uuid4().hex
    p = subprocess.run([env_or_fail("FILES_ADMIN"), "create-user", "--email", email, "--password", password],
                       env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                            "FILES_CONFIG": env_or_fail("FILES_CONFIG_FILE")},
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"files-admin create-user: {p.stderr}"
    return email, password


@pytest.fixture(scope="session")
def artifacts():
    d = os.environ.get("FILES_WEB_ARTIFACTS") or os.path.join(HERE, "artifacts")
    os.makedirs(d, exist_ok=True)
    return d


def last_json(out: str) -> dict:
    return json.loads([ln for ln in out.splitlines() if ln.startswith("{")][-1])


@pytest.mark.skipif(MODE != "local", reason="the document is the same in both modes: linted once")
def test_redocly_lint():
    out = run([os.path.join(BIN, "redocly"), "lint", "--config", "redocly.yaml", DOC],
              env={"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"})
    # exit status 0 (checked by run) and no warning either
    # (the lint's own report follows "validating"; a Node.js notice may come before it)
    report = out.split("validating", 1)[-1]
    assert "is valid" in report and "warning" not in report.lower(), out


@pytest.fixture(scope="session")
def client_js():
    """The client generated from the document (openapi-typescript types for openapi-fetch),
    with the happy path type-checked against it by tsc: a document that drifts from what the
    happy path uses fails here, before anything runs."""
    run([os.path.join(BIN, "openapi-typescript"), DOC, "--default-non-nullable", "false",
         "-o", "client/schema.d.ts"])
    run([os.path.join(BIN, "tsc"), "-p", "tsconfig.json"])
    return os.path.join(HERE, "out", "happy.js")


def test_generated_client_happy_path(client_js, user):
    email, password = user
    out = run(["node", client_js], env={"FILES_BASE_URL": env_or_fail("FILES_BASE_URL"),
                                        "FILES_EMAIL": email, "FILES_PASSWORD": password,
                                        "FILES_PRODUCTS_PENDING": products_pending()})
    res = last_json(out)
    assert res["ok"] and res["key"].startswith("temp/"), out
    print(out)


def test_demo_upload_in_chromium(user, artifacts):
    email, password = user
    out = run(["node", "browser.mjs", "demo", env_or_fail("FILES_BASE_URL"), email, password, artifacts, MODE],
              timeout=240, env={"FILES_PRODUCTS_PENDING": products_pending()})
    res = last_json(out)
    assert res["ok"] and res["bytes"] >= 5 * 1024 * 1024, out
    assert os.path.isfile(os.path.join(artifacts, f"demo-{MODE}.png"))
    print(out)


@pytest.mark.skipif(MODE != "local", reason="/docs does not depend on the storage mode")
def test_docs_renders_every_tag_and_authorize_works(user, artifacts):
    email, password = user
    with open(DOC, encoding="utf-8") as fh:
        tags = [t["name"] for t in json.load(fh)["tags"]]
    out = run(["node", "browser.mjs", "docs", env_or_fail("FILES_BASE_URL"), email, password, artifacts,
               ",".join(tags)], timeout=240)
    assert last_json(out)["tags"] == tags, out
    print(out)
