// Browser tests drive Debian's Chromium against the real server binary. Each project family gets its own
// server on its own fresh SQLite database, so "first start" really is a first start.
import { defineConfig, devices } from '@playwright/test';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const bin = process.env.PROSPECTA_BIN ?? path.resolve(__dirname, '../target/debug/prospecta');
const siteRoot = process.env.LEPTOS_SITE_ROOT ?? path.resolve(__dirname, '../target/site');
// A fresh folder per run (a pid-named one once met a folder left by an old run with the same pid, and its
// "first start" found a workspace). Workers inherit it through the environment.
process.env.PROSPECTA_E2E_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'prospecta-e2e-'));
const runDir = process.env.PROSPECTA_E2E_DIR;

const servers = { desktop: 3101, phone: 3102, nojs: 3103 } as const;
// Two server processes on one Postgres (a demo workspace), when `./run test` provides a database for them.
const pg = process.env.PROSPECTA_E2E_POSTGRES_URL;
const pgServers = { 'pg-a': 3104, 'pg-b': 3105 } as const;
const url = (port: number) => `http://127.0.0.1:${port}`;

const chromium = {
  browserName: 'chromium' as const,
  launchOptions: {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  },
};
const desktop = { ...chromium, viewport: { width: 1280, height: 800 }, baseURL: url(servers.desktop) };
const phone = { ...chromium, viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, baseURL: url(servers.phone) };

export default defineConfig({
  testDir: './tests',
  globalTeardown: './teardown.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: { trace: 'retain-on-failure', actionTimeout: 15_000 },
  projects: [
    { name: 'desktop-setup', testMatch: /setup\.spec\.ts/, use: desktop },
    { name: 'desktop', testMatch: /(leads|two-users|offline|timeline|qualify|processes|account|layout-shift|release)\.spec\.ts/, use: desktop, dependencies: ['desktop-setup'] },
    { name: 'phone-setup', testMatch: /setup\.spec\.ts/, use: phone },
    { name: 'phone', testMatch: /(leads|timeline-phone|qualify|processes|account|layout-shift)\.spec\.ts/, use: phone, dependencies: ['phone-setup'] },
    { name: 'no-javascript', testMatch: /nojs\.spec\.ts/, use: { ...desktop, baseURL: url(servers.nojs), javaScriptEnabled: false } },
    ...(pg ? [{ name: 'two-servers', testMatch: /two-servers\.spec\.ts/, use: { ...desktop, baseURL: url(pgServers['pg-a']) } }] : []),
  ],
  webServer: [...Object.entries(servers).map(([name, port]) => ({
    command: `mkdir -p ${runDir}/${name} && exec ${bin} serve`,
    url: `${url(port)}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore' as const,
    stderr: 'pipe' as const,
    env: {
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: siteRoot,
      DATABASE_URL: `sqlite://${runDir}/${name}/e2e.db`,
      RUST_LOG: 'warn',
    },
  })),
  ...(pg ? Object.entries(pgServers).map(([, port]) => ({
    command: `exec ${bin} serve`,
    url: `${url(port)}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore' as const,
    stderr: 'pipe' as const,
    env: { LEPTOS_SITE_ADDR: `127.0.0.1:${port}`, LEPTOS_SITE_ROOT: siteRoot, DATABASE_URL: pg, RUST_LOG: 'warn' },
  })) : [])],
});