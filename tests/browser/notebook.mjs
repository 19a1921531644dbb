// Runs one notebook in JupyterLab in headless Chromium, as a person would:
// open it, Run → Run All Cells, wait until the GoNB kernel is idle and every
// code cell has run, then check that an expected output is rendered and that
// no cell shows an error. Saves a screenshot.
//
// Usually started by tests/browser/notebook_test.sh, which starts JupyterLab.
//
//   node tests/browser/notebook.mjs --base=http://127.0.0.1:PORT --token=TOKEN \
//     --notebook=05_predict.ipynb --expect='REGEX' [--screenshot=out/browser/x.png] [--timeout=600]
//
// --notebook is relative to JupyterLab's root folder (notebooks/). --expect is
// a JavaScript regular expression matched against the text and the HTML of
// the rendered outputs. Exit status 0 when all checks pass, 1 otherwise.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = a.match(/^--([^=]+)=(.*)$/s);
    if (!m) throw new Error(`bad argument ${a} (want --name=value)`);
    return [m[1], m[2]];
  }),
);
for (const required of ['base', 'token', 'notebook', 'expect']) {
  if (!args[required]) {
    console.error(`notebook.mjs: --${required}=… is required`);
    process.exit(2);
  }
}
const timeoutMs = 1000 * Number(args.timeout ?? 600);
const screenshot = args.screenshot ?? `out/browser/${args.notebook.replace(/\.ipynb$/, '').replace(/\//g, '_')}.png`;
const expect = new RegExp(args.expect, 'm');

// Lines of stderr that mean a cell failed although the kernel carried on
// (as in tests/notebooks/run_notebooks.py).
const FAILURES = [
  /^panic: /m,
  /^fatal error: /m,
  /^exit status [1-9]\d*\s*$/m,
  /^signal: \w+/m,
  /^(error|Error|ERROR)(: | \[|:$)/m,
  /\blevel=ERROR\b/m,
];

const log = (msg) => console.log(`[notebook.mjs ${(performance.now() / 1000).toFixed(1)}s] ${msg}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let failed = [];
let page;
try {
  page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  const url = `${args.base}/lab/tree/${encodeURI(args.notebook)}?token=${args.token}`;
  log(`open ${url.replace(args.token, '…')}`);
  await page.goto(url, { waitUntil: 'domcontentloaded' });

  // The notebook is open and its kernel (GoNB) has started.
  const indicator = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator').first();
  await indicator.waitFor({ timeout: 120_000 });
  // GoNB reports no status until a cell runs: the status bar reads
  // "Go (gonb) | Unknown" (then "Idle"), not "No Kernel", "Starting" or "Connecting".
  await page.waitForFunction(() => /^Go \(gonb\) \| (Idle|Unknown)$/m.test(document.querySelector('.jp-StatusBar-Widget')?.innerText ?? ''),
    null, { timeout: 120_000 });
  const kernelName = await page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-KernelName').first().innerText().catch(() => '?');
  log(`kernel ready: ${kernelName}`);
  if (!/go/i.test(kernelName)) failed.push(`kernel is "${kernelName}", want Go (gonb)`);

  // Run → Run All Cells.
  await page.locator('.lm-MenuBar-itemLabel', { hasText: /^Run$/ }).click();
  await page.locator('.lm-Menu-itemLabel', { hasText: /^Run All Cells$/ }).click();
  log('Run All Cells');

  // Done: every code cell has an execution count ("[3]:") and the kernel is idle.
  await page.waitForFunction(() => {
    const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
    const status = panel?.querySelector('.jp-Notebook-ExecutionIndicator')?.getAttribute('data-status');
    const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map((p) => p.textContent.trim());
    return status === 'idle' && prompts.length > 0 && prompts.every((p) => /^\[\d+\]:$/.test(p));
  }, null, { timeout: timeoutMs, polling: 500 });
  const statusBar = await page.locator('.jp-StatusBar-Widget').first().innerText();
  const kernelStatus = statusBar.split('\n').find((line) => / \| \w+$/.test(line.trim())) ?? '';
  log(`all cells ran; status bar: ${kernelStatus.trim()}`);
  if (!/^Go \(gonb\) \| Idle$/.test(kernelStatus.trim())) failed.push(`status bar shows "${kernelStatus.trim()}", want "Go (gonb) | Idle"`);

  // Checks on what is rendered.
  const outputs = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output');
  const texts = await outputs.evaluateAll((els) => els.map((e) => ({
    mime: e.getAttribute('data-mime-type') ?? '',
    text: e.innerText,
    html: e.innerHTML,
  })));
  for (const o of texts) {
    if (o.mime === 'application/vnd.jupyter.stderr') {
      for (const f of FAILURES) {
        const m = o.text.match(f);
        if (m) failed.push(`error in a cell's output: ${o.text.split('\n').find((l) => f.test(l)) ?? m[0]}`);
      }
    }
    if (/class="[^"]*gonb-err/.test(o.html)) failed.push(`GoNB error display: ${o.text.slice(0, 300)}`);
  }
  const matching = texts.findIndex((o) => expect.test(o.text) || expect.test(o.html));
  if (matching < 0) {
    failed.push(`no output matches /${args.expect}/ (${texts.length} outputs)`);
  } else {
    log(`expected output found in output ${matching + 1} of ${texts.length}`);
    await outputs.nth(matching).scrollIntoViewIfNeeded();
  }
  const status = await indicator.getAttribute('data-status');
  if (status !== 'idle') failed.push(`kernel status is ${status} at the end`);

} catch (e) {
  failed.push(`${e.name}: ${e.message.split('\n')[0]}`);
} finally {
  if (page) {
    mkdirSync(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot }).catch((e) => log(`no screenshot: ${e.message}`));
    log(`screenshot: ${screenshot}`);
  }
  await browser.close();
}
if (failed.length) {
  for (const f of failed) console.log(`FAIL: ${f}`);
  console.log(`notebook ${args.notebook}: 0 passed, 1 failed`);
  process.exit(1);
}
console.log(`notebook ${args.notebook}: 1 passed, 0 failed`);
