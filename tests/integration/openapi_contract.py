"""The contract test of docs/openapi.json (issue 12).

Every response the integration suite receives through `requests` from the stack under test
is checked against the document: the operation of its method and path must list its status,
the headers that response names must be there and match their schema, and a JSON body must
validate against the response's schema (python3-jsonschema, Draft 2020-12, the dialect of
OpenAPI 3.1). A response the document does not describe is a violation, and conftest.py
fails the test that received it.

What the document states once, in info.description, rather than per operation (API.md §1),
is checked here as such: an unknown path gets a 4xx HTTPError body, a known path with a
method it does not have 405 (or the 4xx the web server or the responder answers before
routing), the other slash form of a route 307 with a Location, a CORS preflight 200 or 400.
Static locations (/storage/, /docs, /demo/) and other hosts (s3rver) are not the API.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from typing import Optional
from urllib.parse import urlsplit

import jsonschema

DOC_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "openapi.json")
STATIC_RE = re.compile(r"^/(storage/|docs(/|$)|demo(/|$))")
JSON_CT_RE = re.compile(r"^application/json\s*(;|$)", re.I)
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def load_document(path: str = DOC_PATH) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def template_regex(template: str) -> re.Pattern:
    """/files/{file_path} (a {..path} parameter takes the rest of the path) and the other
    {param}s one segment each; a template ending in "/" is served without it too."""
    out, pos = "^", 0
    for m in re.finditer(r"\{([^}]+)\}", template):
        out += re.escape(template[pos:m.start()])
        out += "(.*)" if m.group(1).endswith("path") else "([^/]+)"
        pos = m.end()
    rest = template[pos:]
    if rest.endswith("/") and len(rest) > 0:
        out += re.escape(rest[:-1]) + "/?"
    else:
        out += re.escape(rest)
    return re.compile(out + "$")


class Contract:
    def __init__(self, doc: dict, base_url: str):
        self.doc = doc
        self.base = urlsplit(base_url)
        # Literal templates first (/users/me/... before /users/{user_id}/...), as routed.
        self.paths = sorted(((template_regex(t), t, item) for t, item in doc["paths"].items()),
                            key=lambda x: x[1].count("{"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            self.resolver = jsonschema.RefResolver.from_schema(doc)
        self.format_checker = jsonschema.FormatChecker()
        self.checked = 0

    # -- helpers --------------------------------------------------------------------
    def deref(self, obj: dict) -> dict:
        while isinstance(obj, dict) and "$ref" in obj:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                _, obj = self.resolver.resolve(obj["$ref"])
        return obj

    def schema_errors(self, instance, schema: dict) -> list:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            v = jsonschema.Draft202012Validator(schema, resolver=self.resolver,
                                                format_checker=self.format_checker)
            return [f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
                    for e in v.iter_errors(instance)]

    def find(self, path: str):
        for rx, template, item in self.paths:
            if rx.match(path):
                return template, item
        return None, None

    def http_error_body(self, resp) -> list:
        """The body is JSON and an HTTPError ({"detail": "..."})."""
        body, problems = self.json_body(resp)
        if problems:
            return problems
        return self.schema_errors(body, {"$ref": "#/components/schemas/HTTPError"})

    @staticmethod
    def json_body(resp):
        if not JSON_CT_RE.match(resp.headers.get("Content-Type", "")):
            return None, [f"Content-Type {resp.headers.get('Content-Type')!r} is not application/json"]
        try:
            return json.loads(resp.content), []
        except ValueError:
            return None, ["body is not JSON"]

    # -- the check --------------------------------------------------------------------
    def applies(self, resp) -> bool:
        u = urlsplit(resp.request.url)
        return (u.scheme, u.netloc) == (self.base.scheme, self.base.netloc) \
            and not STATIC_RE.match(u.path)

    def check(self, resp) -> list:
        """The violations of one response (empty when the document describes it)."""
        if not self.applies(resp):
            return []
        self.checked += 1
        method = resp.request.method.upper()
        path = urlsplit(resp.request.url).path
        where = f"{method} {path} -> {resp.status_code}"
        problems = []
        rid = resp.headers.get("X-Request-ID")
        template, item = self.find(path)
        if method == "OPTIONS" and resp.request.headers.get("Access-Control-Request-Method"):
            if resp.status_code == 200:
                return []
            if resp.status_code == 400:
                return [f"{where}: {p}" for p in self.http_error_body(resp)]
            return [f"{where}: a CORS preflight answers 200 or 400"]
        if template is None and resp.status_code == 307:
            # The other slash form of a route (redirect_slashes, §1): to the canonical form.
            other = path[:-1] if path.endswith("/") else path + "/"
            loc = urlsplit(resp.headers.get("Location", "")).path
            if loc != other or self.find(loc)[0] is None:
                problems.append(f"307 to {loc!r}: not the other slash form of a documented path")
            return [f"{where}: {p}" for p in problems]
        if template is None:
            # Unknown route, or a path refused before routing (dot segments, too large ...).
            if not 400 <= resp.status_code < 500:
                problems.append("a path the document does not have must get a 4xx")
            if method != "HEAD":
                problems += self.http_error_body(resp)
            return [f"{where}: {p}" for p in problems]
        op = item.get("get" if method == "HEAD" else method.lower())
        if op is None:
            if resp.status_code not in (400, 404, 405, 413):
                problems.append(f"{template} has no {method}: expected 405")
            elif method != "HEAD":
                problems += self.http_error_body(resp)
            return [f"{where}: {p}" for p in problems]
        spec = op["responses"].get(str(resp.status_code)) or op["responses"].get("default")
        if spec is None:
            if resp.status_code == 307 and resp.headers.get("Location"):
                return []          # the other slash form (redirect_slashes), §1
            return [f"{where}: status {resp.status_code} is not documented for "
                    f"{method} {template} (documented: {', '.join(op['responses'])})"]
        spec = self.deref(spec)
        for name, h in (spec.get("headers") or {}).items():
            h = self.deref(h)
            val = resp.headers.get(name)
            if val is None:
                if h.get("required"):
                    problems.append(f"header {name} missing")
                continue
            problems += [f"header {name}: {e}" for e in self.schema_errors(val, h.get("schema", {}))]
        if rid is None and "X-Request-ID" not in (spec.get("headers") or {}):
            problems.append("header X-Request-ID missing")
        content = spec.get("content")
        if method == "HEAD":
            pass
        elif not content:
            if resp.content:
                problems.append(f"body must be empty, got {resp.content[:80]!r}")
        else:
            media = content.get("application/json")
            if media is None:
                problems.append(f"no application/json content documented ({list(content)})")
            else:
                body, errs = self.json_body(resp)
                problems += errs
                if not errs:
                    problems += self.schema_errors(body, media.get("schema", {}))
        return [f"{where}: {p}" for p in problems]


# -- the route tables ------------------------------------------------------------------

ROUTE_RE = re.compile(r'\{\s*"(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)"\s*,\s*"(/[^"]*)"')


def normalise(template: str) -> str:
    """A path with its parameters anonymous and without a trailing slash, for comparison:
    /api/v1/uploads/local/{token:seg} and /api/v1/uploads/local/{token} are one path."""
    t = re.sub(r"\{[^}]*\}", "{}", template)
    return t[:-1] if len(t) > 1 and t.endswith("/") else t


def routed(tables: dict) -> set:
    return {(m, normalise(p)) for rows in tables.values() for m, p in rows}


def documented(doc: dict) -> set:
    return {(m.upper(), normalise(p)) for p, item in doc["paths"].items()
            for m in item if m in METHODS}


TABLE_RE = re.compile(r"struct\s+route\s+\w+\s*\[\s*\]\s*=\s*\{(.*?)\};", re.S)


def route_tables(preprocessed: dict) -> dict:
    """{responder: [(METHOD, pattern)]} from the `struct route x[] = {...};` tables of each
    fcgi-bin/*.c after the preprocessor (so a table built with macros, like export-config's
    ROUTES(path), is read as compiled)."""
    return {name: [row for t in TABLE_RE.findall(text) for row in ROUTE_RE.findall(t)]
            for name, text in preprocessed.items()}


def compare(doc: dict, tables: dict, pending: set) -> list:
    """Both ways: every routed (method, path) is documented, every documented one is routed
    or in `pending` (documented for a responder not yet in the tree), and nothing in
    `pending` is routed already (then it must leave the list)."""
    r, d = routed(tables), documented(doc)
    problems = [f"routed but not in docs/openapi.json: {m} {p}" for m, p in sorted(r - d)]
    problems += [f"in docs/openapi.json but not routed (and not pending): {m} {p}"
                 for m, p in sorted(d - r - pending)]
    problems += [f"pending but routed now (remove it from PENDING): {m} {p}"
                 for m, p in sorted(pending & r)]
    problems += [f"pending but not in docs/openapi.json: {m} {p}" for m, p in sorted(pending - d)]
    return problems


def first_schema_errors(doc: dict, instance, name: str) -> Optional[list]:
    c = Contract(doc, "http://unused")
    return c.schema_errors(instance, {"$ref": f"#/components/schemas/{name}"})
