// Browser check of the upload page's error handling, run by
// TestBrowserUploadErrors (browser_test.go).
//
// Usage: node upload_errors.mjs BROWSER_DIR URL MAX_UPLOAD_BYTES
//
// BROWSER_DIR is tests/browser, whose node_modules holds playwright-core.
// Chooses a file one byte over the limit (the page must refuse it without
// sending it), then a small file whose request is aborted (the page must
// explain the missing answer in words). Prints one JSON object: what the
// page showed each time, how many requests went to /api/predict, problems.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [dir, base, maxArg] = process.argv.slice(2);
const max = Number(maxArg);
if (!dir || !base || !(max > 0)) {
  console.error('usage: node upload_errors.mjs BROWSER_DIR URL MAX_UPLOAD_BYTES');
  process.exit(2);
}
if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(base).hostname)) {
  console.error(`refusing to test ${base}: only loopback servers`);
  process.exit(2);
}
const { chromium } = createRequire(join(dir, 'package.json'))('playwright-core');

const out = { posted: 0, problems: [] };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

// shownError waits for the result's error box and reads its code and message.
async function shownError(page) {
  await page.waitForSelector('#result [data-error]', { timeout: 20000 });
  return page.evaluate(() => {
    const box = document.querySelector('#result [data-error]');
    const ps = box.querySelectorAll('p');
    return { code: box.dataset.error, message: ps.length > 1 ? ps[1].textContent : '' };
  });
}

try {
  const page = await (await browser.newContext({ locale: 'en-US' })).newPage();
  page.on('pageerror', err => out.problems.push('page error: ' + String(err)));
  page.on('request', req => { if (new URL(req.url()).pathname === '/api/predict') out.posted++; });
  // Every classification request fails without an answer, as when the
  // server closes the connection.
  await page.route('**/api/predict*', route => route.abort('connectionreset'));
  await page.goto(base + '/', { waitUntil: 'load' });

  await page.setInputFiles('#file', { name: 'big.png', mimeType: 'image/png', buffer: Buffer.alloc(max + 1) });
  out.tooLarge = await shownError(page);

  await page.evaluate(() => document.getElementById('result-body').replaceChildren());
  await page.setInputFiles('#file', { name: 'small.png', mimeType: 'image/png', buffer: Buffer.alloc(16) });
  out.network = await shownError(page);
} catch (err) {
  out.problems.push(String(err && err.stack || err));
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
process.exit(out.problems.length ? 1 : 0);
