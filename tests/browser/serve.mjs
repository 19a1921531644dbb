// Browser test of the classifier's page (mlpkg/serve) in Debian's Chromium.
//
// Usage: node serve.mjs URL SCREENSHOT.png [IMAGE] [DROP_IMAGE]
//    or: SERVE_URL=… SCREENSHOT=… IMAGE=… DROP_IMAGE=… node serve.mjs
//
// With JavaScript: chooses IMAGE in the file input (the page classifies it at
// once, without a reload), then drops DROP_IMAGE on the drop zone. Without
// JavaScript: submits IMAGE through the plain form, in Japanese. Reads the
// probabilities of every class each time, checks a few accessibility basics
// and that nothing loads from anywhere but the server, saves screenshots
// (SCREENSHOT, and SCREENSHOT with "-nojs" before ".png"), checks that a
// 320 px wide window does not scroll sideways, and prints one
// JSON object with what it read. Exits non-zero on any failure.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const base = (process.argv[2] || process.env.SERVE_URL || '').replace(/\/$/, '');
const shot = process.argv[3] || process.env.SCREENSHOT || 'serve.png';
const image = process.argv[4] || process.env.IMAGE;
const dropImage = process.argv[5] || process.env.DROP_IMAGE || image;
if (!base || !image) {
  console.error('usage: node serve.mjs URL SCREENSHOT.png IMAGE [DROP_IMAGE]');
  process.exit(2);
}
const origin = new URL(base).origin;
if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(base).hostname)) {
  console.error(`refusing to test ${base}: only loopback servers`);
  process.exit(2);
}
const shotNoJS = shot.replace(/(\.png)?$/, '-nojs.png');

const problems = [];
const external = [];
const consoleErrors = [];

// Reads the result section: the verdict and every class's probability.
async function readResult(page) {
  return page.evaluate(() => {
    const verdict = document.querySelector('#result .verdict');
    const items = [...document.querySelectorAll('#result li[data-class]')];
    return {
      class: verdict ? verdict.dataset.class : null,
      verdict: verdict ? verdict.textContent.trim().replace(/\s+/g, ' ') : null,
      probabilities: Object.fromEntries(items.map(li => [li.dataset.class, Number(li.dataset.probability)])),
      bars: items.map(li => {
        const bar = li.querySelector('progress');
        const label = bar && document.getElementById(bar.getAttribute('aria-labelledby'));
        return { value: bar ? bar.value : null, label: label ? label.textContent : null };
      }),
      error: (document.querySelector('#result [data-error]') || {}).dataset?.error ?? null,
      // The tab's title: "<top class> <its %> · <the page's heading>".
      title: document.title,
      wantTitle: verdict ? `${verdict.querySelector('strong').textContent} ${verdict.querySelector('.pct').textContent} · ${document.querySelector('h1').textContent}` : null,
    };
  });
}

// Accessibility basics: a language, one h1, labelled inputs and bars, alt texts.
async function a11yProblems(page) {
  return page.evaluate(() => {
    const out = [];
    if (!document.documentElement.lang) out.push('html has no lang');
    if (document.querySelectorAll('h1').length !== 1) out.push('not exactly one h1');
    for (const input of document.querySelectorAll('input:not([type=hidden])')) {
      if (!input.id || !document.querySelector(`label[for="${input.id}"]`)) out.push(`input ${input.name} has no label`);
    }
    for (const img of document.querySelectorAll('img')) {
      if (!img.hasAttribute('alt')) out.push('img without alt');
    }
    for (const bar of document.querySelectorAll('progress')) {
      const id = bar.getAttribute('aria-labelledby');
      if (!id || !document.getElementById(id)?.textContent.trim()) out.push('progress bar without a label');
    }
    return out;
  });
}

function checkResult(name, r, wantClasses) {
  const classes = Object.keys(r.probabilities);
  if (r.error) problems.push(`${name}: error ${r.error}`);
  if (wantClasses && classes.length !== wantClasses) problems.push(`${name}: ${classes.length} classes shown, want ${wantClasses}`);
  if (!classes.length) problems.push(`${name}: no probabilities shown`);
  const sum = Object.values(r.probabilities).reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-3) problems.push(`${name}: probabilities sum to ${sum}`);
  const best = classes.reduce((a, b) => (r.probabilities[b] > r.probabilities[a] ? b : a), classes[0]);
  if (r.class !== best) problems.push(`${name}: verdict ${r.class}, most probable ${best}`);
  if (r.bars.some(b => b.value === null || !b.label)) problems.push(`${name}: a bar lacks its value or label`);
  if (r.title !== r.wantTitle) problems.push(`${name}: title ${JSON.stringify(r.title)}, want ${JSON.stringify(r.wantTitle)}`);
}

async function newPage(browser, javaScriptEnabled, locale) {
  const context = await browser.newContext({ javaScriptEnabled, locale, viewport: { width: 900, height: 900 } });
  const page = await context.newPage();
  await page.route('**/*', route => {
    const url = route.request().url();
    if (url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === origin) return route.continue();
    external.push(url);
    return route.abort();
  });
  page.on('console', msg => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
  page.on('pageerror', err => consoleErrors.push(String(err)));
  return page;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const out = {};
try {
  // 1. With JavaScript: choose a file; the result appears without a reload.
  const page = await newPage(browser, true, 'en-US');
  await page.goto(base + '/', { waitUntil: 'load' });
  const model = await (await page.request.get(base + '/api/model')).json();
  const n = model.classes.length;
  await page.evaluate(() => { window.__sameDocument = true; });
  await page.setInputFiles('#file', image);
  await page.waitForSelector('#preview:not([hidden])', { timeout: 10000 });
  await page.waitForFunction(k => document.querySelectorAll('#result li[data-class]').length === k, n, { timeout: 20000 });
  if (!(await page.evaluate(() => window.__sameDocument === true))) problems.push('js: the page reloaded');
  out.js = await readResult(page);
  checkResult('js', out.js, n);

  // 2. Drag and drop another image onto the drop zone.
  const bytes = [...readFileSync(dropImage)];
  const dt = await page.evaluateHandle(([b, name]) => {
    const t = new DataTransfer();
    t.items.add(new File([new Uint8Array(b)], name));
    return t;
  }, [bytes, basename(dropImage)]);
  const before = JSON.stringify(out.js.probabilities);
  await page.dispatchEvent('#drop', 'dragenter', { dataTransfer: dt });
  await page.dispatchEvent('#drop', 'drop', { dataTransfer: dt });
  await page.waitForFunction(prev => {
    const items = [...document.querySelectorAll('#result li[data-class]')];
    const now = JSON.stringify(Object.fromEntries(items.map(li => [li.dataset.class, Number(li.dataset.probability)])));
    return items.length > 0 && (now !== prev || document.querySelector('#result [data-error]'));
  }, before, { timeout: 20000 }).catch(() => problems.push('drop: the result did not change'));
  out.drop = await readResult(page);
  checkResult('drop', out.drop, n);
  out.a11y = await a11yProblems(page);
  problems.push(...out.a11y.map(p => 'a11y: ' + p));
  await page.screenshot({ path: shot, fullPage: true });

  // 3. Without JavaScript, in Japanese: the plain form posts and a result page comes back.
  const plain = await newPage(browser, false, 'ja-JP');
  await plain.goto(base + '/', { waitUntil: 'load' });
  out.nojsLang = await plain.evaluate(() => document.documentElement.lang);
  await plain.setInputFiles('#file', image);
  await Promise.all([plain.waitForNavigation({ waitUntil: 'load' }), plain.click('button[type=submit]')]);
  out.nojs = await readResult(plain);
  checkResult('nojs', out.nojs, n);
  const a11yNoJS = await a11yProblems(plain);
  problems.push(...a11yNoJS.map(p => 'a11y (no JS): ' + p));
  await plain.screenshot({ path: shotNoJS, fullPage: true });

  // 4. Reflow (WCAG 1.4.10): at 320 CSS px wide (400 % zoom of 1280 px),
  // with a result shown, nothing scrolls sideways, in either language.
  for (const lang of ['en', 'ja']) {
    const narrow = await newPage(browser, true, lang);
    await narrow.setViewportSize({ width: 320, height: 640 });
    await narrow.goto(base + '/?lang=' + lang, { waitUntil: 'load' });
    await narrow.setInputFiles('#file', image);
    await narrow.waitForSelector('#result li[data-class]', { timeout: 20000 });
    const wide = await narrow.evaluate(() => document.documentElement.scrollWidth);
    if (wide > 320) problems.push(`320 px wide (${lang}): the page is ${wide} px wide and scrolls sideways`);
  }
} catch (err) {
  problems.push(String(err && err.stack || err));
} finally {
  await browser.close();
}
if (external.length) problems.push(`requests outside ${origin}: ${external.join(', ')}`);
if (consoleErrors.length) problems.push(`console errors: ${consoleErrors.join(' | ')}`);
out.screenshots = [shot, shotNoJS];
out.problems = problems;
console.log(JSON.stringify(out));
process.exit(problems.length ? 1 : 0);
