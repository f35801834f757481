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
