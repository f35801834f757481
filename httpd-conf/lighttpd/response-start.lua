-- response-start.lua: lighttpd mod_magnet script run as each response starts, so that every
-- answer carries X-Request-ID (API.md §1), lighttpd's own error pages (413, 400, 431 ...)
-- included. A responder's or the fast path's header is kept; otherwise the client's, when it
-- matches ^[A-Za-z0-9._-]{1,128}$, else a fresh one. JSON answers also get nosniff.
local r = lighty.r
local h = r.resp_header
if h["X-Request-ID"] == nil then
    local rid = r.req_header["X-Request-ID"]
    if rid == nil or #rid > 128 or not rid:match("^[A-Za-z0-9._-]+$") then
        rid = string.format("%08x%08x%08x%08x", lighty.c.rand() & 0xffffffff, lighty.c.rand() & 0xffffffff,
            lighty.c.rand() & 0xffffffff, lighty.c.rand() & 0xffffffff)
    end
    h["X-Request-ID"] = rid
end
local ct = h["Content-Type"]
if ct ~= nil and ct:find("json", 1, true) and h["X-Content-Type-Options"] == nil then
    h["X-Content-Type-Options"] = "nosniff"
end
