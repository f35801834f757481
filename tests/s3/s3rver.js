// tests/s3/s3rver.js: run @20minutes/s3rver (checks SigV4) on 127.0.0.1 for the tests; prints "ready" once listening.
//
// Usage: node tests/s3/s3rver.js PORT DIR [BUCKET] [PARENT_PID]
//   (or S3RVER_PORT, S3RVER_DIR, S3RVER_BUCKET, S3RVER_PARENT_PID in the environment)
// Keys: s3rver's built-in account, access key id S3RVER, secret S3RVER; any region is accepted
// (the signature is checked with the region of the request's credential scope).
// Paged listings encrypt their continuation token with DES: Node >= 17 needs
// NODE_OPTIONS=--openssl-legacy-provider for that (checked below).
// With PARENT_PID the server exits by itself once that process is gone (a test runner killed
// before it could stop us leaves nothing behind). SIGTERM/SIGINT stop it cleanly.
'use strict';

const crypto = require('crypto');
const S3rver = require('@20minutes/s3rver');
const S3Error = require('@20minutes/s3rver/lib/models/error');

const port = Number(process.argv[2] || process.env.S3RVER_PORT);
const directory = process.argv[3] || process.env.S3RVER_DIR;
const bucket = process.argv[4] || process.env.S3RVER_BUCKET || 'sartiq-test';
const parent = Number(process.argv[5] || process.env.S3RVER_PARENT_PID || 0);

function fail(msg) {
  process.stderr.write(`s3rver.js: ${msg}\n`);
  process.exit(2);
}

if (!Number.isInteger(port) || port < 1 || port > 65535) fail('usage: s3rver.js PORT DIR [BUCKET] [PARENT_PID]');
if (!directory) fail('no data directory given');
try {
  crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
} catch (err) {
  fail('DES is unavailable (paged listings need it): run with NODE_OPTIONS=--openssl-legacy-provider');
}

// A listen error (port taken) is emitted as an event, not a rejection of run().
process.on('uncaughtException', (err) => fail(`stopped: ${err.message}`));

const server = new S3rver({
  address: '127.0.0.1',
  port,
  directory,
  silent: true,
  // S3RVER_CORS_FILE: a CORSConfiguration XML for the bucket (the browser tests of /demo/).
  configureBuckets: [{
    name: bucket,
    configs: process.env.S3RVER_CORS_FILE ? [require('fs').readFileSync(process.env.S3RVER_CORS_FILE)] : [],
  }],
});

// The ETag of bucket/key as s3rver reports it (quoted), or null when there is no such object.
async function etagOf(b, key) {
  try {
    return (await server.store.getMetadata(b, key)).etag;
  } catch (err) {
    return null;
  }
}

// S3's If-Match: a comma-separated list of quoted ETags, or "*".
function matches(condition, etag) {
  return condition
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || t === etag || `"${t}"` === etag);
}

// Path-style "/bucket/key" (URI-encoded) into [bucket, key]; null when it names no object.
function bucketKey(p) {
  const m = /^\/([^/]+)\/(.+)$/.exec(p);
  if (!m) return null;
  try {
    return [decodeURIComponent(m[1]), decodeURIComponent(m[2])];
  } catch (err) {
    return null;
  }
}

async function conditions(ctx, next) {
  const ifMatch = ctx.get('if-match');
  const copyIfMatch = ctx.get('x-amz-copy-source-if-match');
  let target = null;
  let condition = null;
  let what = null;
  if (ifMatch && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
    target = bucketKey(ctx.path);
    condition = ifMatch;
    what = 'If-Match';
  } else if (copyIfMatch && ctx.method === 'PUT' && ctx.get('x-amz-copy-source')) {
    const src = ctx.get('x-amz-copy-source').split('?')[0];
    target = bucketKey(src.startsWith('/') ? src : `/${src}`);
    condition = copyIfMatch;
    what = 'x-amz-copy-source-If-Match';
  }
  if (target) {
    const etag = await etagOf(target[0], target[1]);
    // A missing object is left to s3rver's own 404.
    if (etag !== null && !matches(condition, etag)) {
      throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
        Condition: what,
      });
    }
  }
  return next();
}
// First in the chain: s3rver's own error handling (context.onerror) renders the S3Error.
server.middleware.unshift(conditions);

server.run().then(
  (addr) => {
    process.stdout.write(`ready ${addr.address}:${addr.port} bucket=${bucket}\n`);
  },
  (err) => fail(`cannot start: ${err.message}`),
);

function stop() {
  server.close().then(
    () => process.exit(0),
    () => process.exit(0),
  );
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

if (parent > 0) {
  setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch (err) {
      if (err.code === 'ESRCH') stop();
    }
  }, 1000).unref();
}
