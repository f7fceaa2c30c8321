import { test, expect } from './fixtures';
import { Page } from '@playwright/test';
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// A release of its own: a copy of the built site and its hash list, served on its own port, so that the
// test can publish a second release (a changed stylesheet under a new hashed name) and restart the server.
const bin = process.env.PROSPECTA_BIN ?? path.resolve(__dirname, '../../target/debug/prospecta');
const builtSite = process.env.LEPTOS_SITE_ROOT ?? path.resolve(__dirname, '../../target/site');
const port = 3106;
const base = `http://127.0.0.1:${port}`;

async function serve(dir: string): Promise<ChildProcess> {
  const server = spawn(bin, ['serve'], {
    env: {
      ...process.env,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: path.join(dir, 'site'),
      LEPTOS_HASH_FILE_NAME: path.join(dir, 'hash.txt'),
      DATABASE_URL: `sqlite://${dir}/release.db`,
      RUST_LOG: 'warn',
    },
    stdio: 'ignore',
  });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return server;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the release server did not start');
}

async function stop(server: ChildProcess) {
  const ended = new Promise((r) => server.once('exit', r));
  server.kill();
  await ended;
}

/** The names of this origin's caches, and the files the service worker's cache holds. */
async function cached(page: Page): Promise<{ keys: string[]; files: string[] }> {
  return page.evaluate(async () => {
    const keys = (await caches.keys()).filter((k) => k.startsWith('prospecta-'));
    const files = keys.length ? (await (await caches.open(keys[0])).keys()).map((r) => new URL(r.url).pathname) : [];
    return { keys, files };
  });
}

test('a new release replaces the cached one: new hashed names, the old cache gone, and it opens offline', async ({ page }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prospecta-release-'));
  fs.cpSync(builtSite, path.join(dir, 'site'), { recursive: true });
  fs.copyFileSync(path.join(path.dirname(bin), 'hash.txt'), path.join(dir, 'hash.txt'));
  execFileSync(bin, ['demo', '--leads', '5'], { env: { ...process.env, DATABASE_URL: `sqlite://${dir}/release.db`, RUST_LOG: 'warn' }, stdio: 'ignore' });
  let server = await serve(dir);
  // When the service worker asks for the other pages' chunks, and when the page became interactive.
  const chunkFetches: number[] = [];
  page.context().on('request', (r) => {
    if (r.serviceWorker() && /\/pkg\/(chunk_|split_)/.test(r.url())) chunkFetches.push(Date.now());
  });
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.body?.hasAttribute('data-hydrated')) {
        (window as unknown as { interactiveAt: number }).interactiveAt = Date.now();
        observer.disconnect();
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-hydrated'] });
  });
  try {
    await page.goto(`${base}/sign-in`);
    await page.locator('body[data-hydrated]').waitFor();
    const interactiveAt = await page.evaluate(() => (window as unknown as { interactiveAt: number }).interactiveAt);
    await page.getByLabel('Email').fill('javier@aurora.example');
    await page.getByLabel('Password').fill('prospecta-demo');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(/\/leads$/);
    await page.locator('body[data-hydrated]').waitFor();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const oldCss = (await page.locator('link[rel=stylesheet]').getAttribute('href'))!;
    expect(oldCss).toMatch(/^\/pkg\/prospecta\.[A-Za-z0-9_-]{22}\.css$/);
    await expect.poll(async () => (await cached(page)).files).toContain(oldCss);
    const first = await cached(page);
    expect(first.keys).toHaveLength(1);
    // Once the page is idle, the other pages' chunks are kept too: not before it was interactive.
    await expect.poll(async () => (await cached(page)).files.filter((f) => f.endsWith('.wasm')).length, { timeout: 30_000 }).toBeGreaterThan(10);
    expect(chunkFetches.length).toBeGreaterThan(10);
    expect(Math.min(...chunkFetches)).toBeGreaterThanOrEqual(interactiveAt);

    // Release 2: the stylesheet changes, so its name does.
    await page.goto('about:blank');
    await stop(server);
    const pkg = path.join(dir, 'site', 'pkg');
    const newCss = '/pkg/prospecta.RELEASE2RELEASE2RELEAS.css';
    fs.writeFileSync(path.join(pkg, path.basename(newCss)), fs.readFileSync(path.join(dir, 'site', oldCss)) + '\n/* release 2 */\n');
    fs.rmSync(path.join(dir, 'site', oldCss));
    for (const twin of ['.br', '.gz']) fs.rmSync(path.join(dir, 'site', oldCss + twin), { force: true });
    const list = fs.readFileSync(path.join(dir, 'hash.txt'), 'utf8').replace(/^css: .*$/m, 'css: RELEASE2RELEASE2RELEAS');
    fs.writeFileSync(path.join(dir, 'hash.txt'), list);
    server = await serve(dir);

    await page.goto(`${base}/leads`);
    await page.locator('body[data-hydrated]').waitFor();
    await expect(page.locator('link[rel=stylesheet]')).toHaveAttribute('href', newCss);
    // The new service worker takes over, keeps the new names and deletes the old release's cache.
    await expect.poll(async () => { const c = await cached(page); return c.keys.length === 1 && c.keys[0] !== first.keys[0] && c.files.includes(newCss) && !c.files.includes(oldCss); }, { timeout: 30_000 }).toBe(true);

    // Offline, the app opens from the new release.
    await page.context().setOffline(true);
    await page.reload();
    await page.locator('body[data-hydrated]').waitFor();
    await expect(page.getByRole('link', { name: /^Offline/ })).toBeVisible();
    await expect(page.locator('link[rel=stylesheet]')).toHaveAttribute('href', newCss);
    expect(await page.evaluate(() => Array.from(document.styleSheets).some((s) => s.cssRules.length > 0))).toBe(true);
    await page.context().setOffline(false);
    await page.goto('about:blank');
  } finally {
    await stop(server);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
