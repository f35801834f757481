// Browser tests of /demo/ and /docs with Debian's chromium driven by puppeteer-core.
//   node browser.mjs demo BASE_URL EMAIL PASSWORD ARTIFACT_DIR MODE
//     /demo/: log in, upload a generated 5 MiB PNG (XHR progress must reach 100 %), create a
//     product (a 404 there is "pending" only while FILES_PRODUCTS_PENDING=1: the route is in
//     the PENDING list of tests/integration/test_openapi.py), then fetch the media URL
//     (the uploaded file's URL while products are pending) and the /files link: same bytes.
//   node browser.mjs docs BASE_URL EMAIL PASSWORD ARTIFACT_DIR TAG,TAG,...
//     /docs: every tag of the document rendered; "Authorize" with the password form works,
//     and "Try it out" on GET /api/v1/users/me then answers 200 with the caller.
// Screenshots go to ARTIFACT_DIR. Prints one JSON line; exits non-zero on any failure.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import puppeteer from 'puppeteer-core';

const [what, base, email, password, artifacts, extra] = process.argv.slice(2);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

function crc32(buf) {
  let c, crc = 0xffffffff;
  for (let n = 0; n < buf.length; n++) {
    c = (crc ^ buf[n]) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
// A valid 1024x1280 RGBA PNG of noise (stored deflate blocks: about 5 MiB whatever the data).
function makePng() {
  const w = 1024, h = 1280, row = 1 + w * 4;
  const raw = crypto.randomBytes(row * h);
  for (let y = 0; y < h; y++) raw[y * row] = 0;           // filter type None
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 6;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw, { level: 0 })), chunk('IEND', Buffer.alloc(0))]);
}

async function launch() {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

async function text(page, sel) {
  return page.$eval(sel, (e) => e.textContent.trim());
}

async function demo(browser) {
  const mode = extra || 'local';
  const page = await browser.newPage();
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(m.text()));
  await page.setViewport({ width: 1100, height: 900 });
  const png = makePng();
  const file = path.join(artifacts, `upload-${mode}.png`);
  fs.writeFileSync(file, png);
  await page.goto(new URL('/demo/', base).href, { waitUntil: 'load' });
  await page.type('#email', email);
  await page.type('#password', password);
  await page.click('#login-button');
  await page.waitForFunction(() => document.getElementById('login-status').textContent === 'logged in'
    || document.getElementById('error').textContent !== '', { timeout: 20000 });
  const loginErr = await text(page, '#error');
  if (loginErr) throw new Error(`login: ${loginErr}`);
  const input = await page.$('#file');
  await input.uploadFile(file);
  await page.type('#sku', `demo-${mode}-${Date.now()}`);
  await page.type('#name', `Demo ${mode}`);
  // Every progress value the page shows, sampled in the page from the first event on.
  await page.evaluate(() => {
    window.__progress = [];
    new MutationObserver(() => window.__progress.push(document.getElementById('progress-text').textContent))
      .observe(document.getElementById('progress-text'), { childList: true, characterData: true, subtree: true });
  });
  await page.click('#upload-button');
  await page.waitForFunction(() => document.getElementById('media-url').href
    || document.getElementById('error').textContent !== '', { timeout: 120000 });
  await page.screenshot({ path: path.join(artifacts, `demo-${mode}.png`), fullPage: true });
  const progress = await page.$eval('#progress', (e) => e.value);
  const seen = await page.evaluate(() => window.__progress);
  const err = await text(page, '#error');
  const filesLink = await page.$eval('#files-link', (a) => a.href);
  const fileUrl = await page.$eval('#file-url', (a) => a.href);
  const mediaUrl = await page.$eval('#media-url', (a) => a.href);
  if (progress !== 100 || !seen.includes('100 %')) throw new Error(`progress ended at ${progress} (${seen.join(', ')}); ${err}`);
  if (!filesLink) throw new Error(`no /files link; error: ${err}`);
  let product;
  if (mediaUrl) {
    product = 'created';
  } else if (process.env.FILES_PRODUCTS_PENDING === '1' && /POST \/api\/v1\/products: 404 /.test(err)) {
    product = 'pending (POST /api/v1/products answers 404, shown as text by the page)';
  } else {
    throw new Error(`product step: ${err}`);
  }
  const checkUrl = mediaUrl || fileUrl;
  for (const u of [checkUrl, filesLink]) {
    const r = await fetch(u);
    const got = Buffer.from(await r.arrayBuffer());
    if (!r.ok || !got.equals(png)) throw new Error(`${u}: ${r.status}, ${got.length} bytes, not the uploaded ${png.length}`);
  }
  return { ok: true, mode, bytes: png.length, progress_values: seen.length, product, files: filesLink, media: checkUrl };
}

async function docs(browser) {
  const tags = (extra || '').split(',').filter(Boolean);
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 1000 });
  const failed = [];
  page.on('requestfailed', (r) => failed.push(r.url()));
  await page.goto(new URL('/docs/', base).href, { waitUntil: 'networkidle0' });
  await page.waitForSelector('.opblock-tag', { timeout: 30000 });
  const shown = await page.$$eval('.opblock-tag', (els) => els.map((e) => e.getAttribute('data-tag')));
  const missing = tags.filter((t) => !shown.includes(t));
  if (missing.length) throw new Error(`tags not rendered: ${missing.join(', ')} (shown: ${shown.join(', ')})`);
  const external = failed.concat(await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name)))
    .filter((u) => new URL(u).origin !== new URL(base).origin);
  if (external.length) throw new Error(`resources from another origin: ${external.join(', ')}`);
  await page.screenshot({ path: path.join(artifacts, 'docs.png'), fullPage: false });
  // Authorize: the OAuth2 password form posts to the tokenUrl of the document.
  await page.click('.btn.authorize');
  await page.waitForSelector('#oauth_username', { timeout: 10000 });
  await page.type('#oauth_username', email);
  await page.type('#oauth_password', password);
  await page.click('.auth-btn-wrapper .btn.modal-btn.auth.authorize');
  await page.waitForFunction(() => [...document.querySelectorAll('.auth-btn-wrapper button')]
    .some((b) => /logout/i.test(b.textContent)) || document.querySelector('.auth-container .errors'), { timeout: 20000 });
  await page.screenshot({ path: path.join(artifacts, 'docs-authorized.png') });
  const errors = await page.$$eval('.auth-container .errors', (els) => els.map((e) => e.textContent));
  if (errors.length) throw new Error(`Authorize failed: ${errors.join('; ')}`);
  // With the token Swagger UI got, "Try it out" on GET /api/v1/users/me answers the caller.
  await page.click('.auth-btn-wrapper .btn-done');
  const op = '#operations-users-users-read_user_me';
  await page.click(`${op} .opblock-summary`);
  await page.waitForSelector(`${op} .try-out__btn`, { timeout: 10000 });
  await page.click(`${op} .try-out__btn`);
  await page.waitForSelector(`${op} .execute`, { timeout: 10000 });
  await page.click(`${op} .execute`);
  await page.waitForSelector(`${op} .live-responses-table .response-col_status`, { timeout: 20000 });
  const status = await page.$eval(`${op} .live-responses-table .response .response-col_status`, (e) => e.textContent.trim());
  const bodyText = await page.$eval(`${op} .live-responses-table .response-col_description pre`, (e) => e.textContent);
  await (await page.$(op)).screenshot({ path: path.join(artifacts, 'docs-try-users-me.png') });
  if (!status.startsWith('200') || !bodyText.includes(email)) throw new Error(`Try it out GET /api/v1/users/me: ${status} ${bodyText.slice(0, 200)}`);
  return { ok: true, tags: shown, users_me: status };
}

const browser = await launch();
try {
  fs.mkdirSync(artifacts, { recursive: true });
  const out = what === 'docs' ? await docs(browser) : await demo(browser);
  console.log(JSON.stringify(out));
} catch (e) {
  console.error(`browser ${what}: ${e && e.stack ? e.stack : e}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
