// What a person's browser gets from a running release server, for `./run bench` (figures, not assertions).
//   node bench.mjs transfer <host:port> <session token> <lead path>
//     Bytes on the wire for a first visit to the lead list (until interactive, then everything including what
//     the service worker keeps for offline), a repeat visit, and a first visit to a lead page. Chromium
//     talks to the server through a relay that counts every byte the server sends, so compression, the
//     HTTP cache and the service worker all count exactly as they happen.
//   node bench.mjs lighthouse <host:port> <session token> <path>...
//     Lighthouse (mobile profile) on each page, signed in: scores and the metrics behind them.
import { chromium } from '@playwright/test';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const [mode, target, token, ...rest] = process.argv.slice(2);
const [host, port] = target.split(':');
const kb = (n) => `${(n / 1000).toFixed(1)} KB`;

if (mode === 'transfer') await transfer(rest[0]);
else if (mode === 'lighthouse') lighthouse(rest);
else throw new Error(`unknown mode ${mode}`);

async function transfer(leadPath) {
  // Every chunk the server sends, with the time it arrived (the browser runs on this machine, same clock).
  let received = 0;
  let arrivals = [];
  const relay = net.createServer((client) => {
    const upstream = net.connect(Number(port), host);
    upstream.on('data', (d) => { received += d.length; arrivals.push([Date.now(), d.length]); });
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise((r) => relay.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${relay.address().port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  // Until nothing has arrived for `quiet` ms (the live stream's rare keep-alives aside), at most `most` ms.
  const settle = async (quiet, most) => {
    const start = Date.now();
    let last = received, since = Date.now();
    while (Date.now() - start < most) {
      await new Promise((r) => setTimeout(r, 250));
      if (received !== last) { last = received; since = Date.now(); }
      else if (Date.now() - since >= quiet) break;
    }
  };
  const signedIn = async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    await context.addCookies([{ name: 'prospecta_session', value: token, domain: '127.0.0.1', path: '/' }]);
    // The moment the page marks itself interactive, by the page's own clock.
    await context.addInitScript(() => {
      new MutationObserver((_, observer) => {
        if (document.body?.hasAttribute('data-hydrated')) {
          window.__interactiveAt = Date.now();
          observer.disconnect();
        }
      }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-hydrated'] });
    });
    return context;
  };
  const visit = async (page, url) => {
    received = 0;
    arrivals = [];
    const res = await page.goto(origin + url);
    await page.locator('body[data-hydrated]').waitFor({ timeout: 60_000 });
    const at = await page.evaluate(() => window.__interactiveAt);
    const interactive = arrivals.filter(([t]) => t <= at).reduce((sum, [, n]) => sum + n, 0);
    const sizes = await res.request().sizes();
    return { interactive, at, html: sizes.responseHeadersSize + sizes.responseBodySize };
  };

  const context = await signedIn();
  const page = await context.newPage();
  // Each response's bytes as the browser counts them (headers and body): to name what the first load is
  // made of, and what server functions answer (the device's copy of leads, counts: data, not code).
  const finished = [];
  page.on('requestfinished', async (r) => {
    const t = Date.now();
    const sizes = await r.sizes().catch(() => null);
    if (sizes) finished.push([t, new URL(r.url()).pathname, sizes.responseHeadersSize + sizes.responseBodySize]);
  });
  const first = await visit(page, '/leads');
  const early = finished.filter(([t]) => t <= first.at).sort((a, b) => b[2] - a[2]);
  const short = (p) => p.replace(/\.[A-Za-z0-9_-]{22}\./, '.').replace(/^(\/pkg\/(?:chunk|split)_[^.]*)\.[A-Za-z0-9_-]{8}\./, '$1.').replace(/[0-9]{8,}$/, '');
  // The service worker keeps the other pages' chunks once the page is idle; the offline engine pulls the
  // device's copy 4 s after the page settles (offline::SETTLE_MS), so quiet must last longer than that.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
  await settle(6000, 60_000);
  const total = received;
  const data = finished.filter(([, p]) => p.startsWith('/api/')).reduce((sum, [, , n]) => sum + n, 0);
  const files = await page.evaluate(async () => {
    const key = (await caches.keys()).find((k) => k.startsWith('prospecta-'));
    return key ? (await (await caches.open(key)).keys()).length : 0;
  });
  console.log(`  first visit to the lead list (phone): until interactive ${kb(first.interactive)} (target: at most 250 KB), of which the page's HTML ${kb(first.html)}`);
  console.log(`    made of: ${early.map(([, p, n]) => `${short(p)} ${kb(n)}`).join(', ')}`);
  console.log(`  and with everything the service worker keeps for offline (${files} files): ${kb(total)}, of which the device's copy of data (server functions) ${kb(data)}; code and files ${kb(total - data)} (target: at most 1 MB)`);
  await settle(1000, 5000);
  await visit(page, '/leads');
  await settle(2000, 10_000);
  // The page now passes through the service worker, which hides its size from the browser: the first
  // visit's stands in for it (same page, same data).
  console.log(`  repeat visit, warm cache: ${kb(received)} in all; besides the HTML (${kb(first.html)}) ${kb(received - first.html)} (target: under 20 KB)`);
  await context.close();

  const fresh = await signedIn();
  const leadPage = await fresh.newPage();
  // Each code file costs the browser work of its own (streaming, instantiating), beyond its bytes.
  const codeFiles = [];
  leadPage.on('requestfinished', (r) => { if (r.url().endsWith('.wasm') && !r.serviceWorker()) codeFiles.push(r.url()); });
  const lead = await visit(leadPage, leadPath);
  const filesUntilInteractive = codeFiles.length;
  await settle(3000, 60_000);
  console.log(`  first visit to a lead page (phone): until interactive ${kb(lead.interactive)} in ${filesUntilInteractive} wasm files; with what the service worker keeps ${kb(received)}`);
  await browser.close();
  relay.close();
}

// Lighthouse's mobile profile slows the CPU 4x, which assumes a fast desktop host. Its documentation
// ("Calibrating the CPU slowdown", docs/throttling.md) gives a smaller multiplier for a slower host, read from
// the benchmark index it measures, so that the simulated phone stays the same; these are its break points.
function calibratedSlowdown(index) {
  if (index >= 1300) return 3 + (index - 1300) / 233;
  if (index >= 800) return 2 + (index - 800) / 500;
  return Math.max(1, 1 + (index - 150) / 650);
}

function lighthouse(pages) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prospecta-lighthouse-'));
  const headers = path.join(dir, 'headers.json');
  fs.writeFileSync(headers, JSON.stringify({ Cookie: `prospecta_session=${token}` }));
  const bin = path.join(path.dirname(new URL(import.meta.url).pathname), 'node_modules', '.bin', 'lighthouse');
  const run = (p, extra) => {
    const out = path.join(dir, 'report.json');
    execFileSync(bin, [
      `http://${target}${p}`, '--quiet', '--output=json', `--output-path=${out}`,
      '--only-categories=performance,accessibility,best-practices', `--extra-headers=${headers}`,
      `--chrome-flags=--headless=new ${FLAGS.join(' ')}`, ...extra,
    ], { env: { ...process.env, CHROME_PATH: CHROMIUM }, stdio: ['ignore', 'ignore', 'inherit'] });
    return JSON.parse(fs.readFileSync(out, 'utf8'));
  };
  const metrics = (r) => {
    const m = (a) => r.audits[a].displayValue;
    return `FCP ${m('first-contentful-paint')}, LCP ${m('largest-contentful-paint')}, TBT ${m('total-blocking-time')}, CLS ${m('cumulative-layout-shift')} (target: under 0.05), speed index ${m('speed-index')}`;
  };
  for (const p of pages) {
    const r = run(p, []);
    const score = (c) => Math.round(r.categories[c].score * 100);
    const name = p.startsWith('/leads/') ? 'a lead page' : p;
    console.log(`  ${name}: performance ${score('performance')}, accessibility ${score('accessibility')}, best practices ${score('best-practices')} (targets: 90, 100, 100)`);
    console.log(`    ${metrics(r)}`);
    // What keeps a category from full marks, so the figure says what to fix.
    for (const c of ['accessibility', 'best-practices']) {
      for (const ref of r.categories[c].auditRefs) {
        const a = r.audits[ref.id];
        if (ref.weight > 0 && a.score !== null && a.score < 1) console.log(`    ${c}: ${a.title}`);
      }
    }
    // Where the main thread's time went, as Lighthouse counts it (with its slowdown).
    const work = r.audits['mainthread-work-breakdown'].details.items.map((i) => `${i.groupLabel} ${Math.round(i.duration)} ms`).join(', ');
    console.log(`    main thread: ${work}`);
    const index = r.environment.benchmarkIndex;
    const slowdown = calibratedSlowdown(index);
    const c = run(p, [`--throttling.cpuSlowdownMultiplier=${slowdown.toFixed(2)}`]);
    console.log(`    this machine's benchmark index ${Math.round(index)}: with the slowdown Lighthouse's documentation gives for it (${slowdown.toFixed(1)}x instead of 4x), performance ${Math.round(c.categories.performance.score * 100)}`);
    console.log(`      ${metrics(c)}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
