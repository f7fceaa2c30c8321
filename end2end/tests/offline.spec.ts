import { test, expect } from './fixtures';
import { Browser, Page } from '@playwright/test';
import { admin, manager, open, signIn, createLead } from './helpers';

/** Waits until the service worker controls the page and this device's copy holds the lead. */
async function readyForOffline(page: Page, leadId: string) {
  await open(page, '/leads');
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await page.waitForFunction(
    (id) => Object.keys(localStorage).some((k) => k.endsWith('.copy') && (localStorage.getItem(k) ?? '').includes(id)),
    leadId,
  );
}

/** Cuts the network for real and reloads: the service worker's shell must open the app. */
async function goOfflineAndReload(page: Page) {
  await page.context().setOffline(true);
  await page.reload();
  await page.locator('body[data-hydrated]').waitFor();
  await expect(page.getByRole('link', { name: /^Offline/ })).toBeVisible();
}

/** A new lead of `who`, kept on this device, and a second person's browser open on it. */
async function leadWithSecondViewer(page: Page, browser: Browser, who: typeof admin, second: typeof admin, lead: { topic: string; last: string; company: string }) {
  await signIn(page, who);
  const url = await createLead(page, lead);
  await readyForOffline(page, url.split('/').pop()!);
  const other = await browser.newPage();
  await signIn(other, second);
  await open(other, url);
  return { url, other };
}

/** Without a network: reload, open the lead from the list and save a new city on the device. */
async function saveCityOffline(page: Page, last: string, city: string) {
  await goOfflineAndReload(page);
  await page.getByRole('link', { name: last }).click();
  await page.getByLabel('City').fill(city);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('Saved on this device');
}

/** Back online, the header counts one refused change; the Sync page says what and why, and it can be dismissed. */
async function expectOneRefused(page: Page, what: string, why: string) {
  await page.context().setOffline(false);
  const refused = page.getByRole('link', { name: 'Online · 0 waiting · 1 refused' });
  await expect(refused).toBeVisible({ timeout: 20_000 });
  await refused.click();
  await expect(page.getByText(what)).toBeVisible();
  await expect(page.getByText(why)).toBeVisible();
  await page.getByRole('button', { name: 'Dismiss' }).click();
  await expect(page.getByText('Nothing was refused.')).toBeVisible();
}

test('offline: the app opens, a new lead and an edit wait, then sync by themselves', async ({ page, browser }) => {
  await signIn(page, admin);
  const editUrl = await createLead(page, { topic: 'Offline edit target', last: 'Navarro', company: 'Kiosco Norte' });
  await readyForOffline(page, editUrl.split('/').pop()!);
  await goOfflineAndReload(page);
  await expect(page.getByRole('link', { name: 'Navarro' })).toBeVisible();

  // The trade-show case: a new lead, Trade Show by default.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New lead' }).click();
  await expect(page.getByLabel('Lead source')).toHaveValue('Trade Show');
  await page.getByLabel('Topic').fill('Met at the fair');
  await page.getByLabel('Last name').fill('Quintero');
  await page.getByLabel('Company').fill('Feria Café');
  await page.getByRole('button', { name: 'Save lead' }).click();
  await expect(page).toHaveURL(/\/leads\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { name: 'Quintero' })).toBeVisible();

  // The list and its search work from the device's copy.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Leads' }).click();
  await expect(page.getByRole('link', { name: 'Quintero' })).toBeVisible();
  await page.getByLabel('Search leads').fill('kiosco');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/q=kiosco/);
  await expect(page.getByRole('link', { name: 'Navarro' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Quintero' })).toHaveCount(0);
  // An edit of a lead kept on the device.
  await page.getByRole('link', { name: 'Navarro' }).click();
  await page.getByLabel('City').fill('Zaragoza');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('Saved on this device');
  await expect(page.getByRole('link', { name: 'Offline · 2 changes waiting' })).toBeVisible();
  await page.getByRole('link', { name: 'Offline · 2 changes waiting' }).click();
  await expect(page.getByText('New lead: Quintero (Feria Café)')).toBeVisible();
  await expect(page.getByText('Edit: City → “Zaragoza”')).toBeVisible();

  // Back online: nothing to do but wait.
  await page.context().setOffline(false);
  await expect(page.getByRole('link', { name: 'Online', exact: true })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByText('Nothing is waiting.')).toBeVisible();

  const other = await browser.newPage();
  await signIn(other, manager);
  await open(other, '/leads?view=team');
  await expect(other.getByRole('link', { name: 'Quintero' })).toBeVisible();
  await open(other, editUrl);
  await expect(other.getByLabel('City')).toHaveValue('Zaragoza');
  await other.close();
});

test('offline conflict: the later synced write wins and the other person finds their value under conflicts', async ({ page, browser }) => {
  const { url, other } = await leadWithSecondViewer(page, browser, admin, manager, { topic: 'Conflict target', last: 'Ibarra', company: 'Bar Puerto' });
  await saveCityOffline(page, 'Ibarra', 'Teruel');

  // Meanwhile the manager changes the same field online.
  await other.getByLabel('City').fill('Soria');
  await other.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(other.getByRole('status')).toContainText('Saved.');

  await page.context().setOffline(false);
  await expect(page.getByRole('link', { name: 'Online', exact: true })).toBeVisible({ timeout: 20_000 });

  await open(other, '/sync');
  await expect(other.getByText(`City: your value “Soria” was replaced by ${admin.name}'s “Teruel”`)).toBeVisible();
  await other.getByRole('button', { name: 'Use my value again (City)' }).click();
  await expect(other.getByText('No conflicts.')).toBeVisible();
  await open(other, url);
  await expect(other.getByLabel('City')).toHaveValue('Soria');
  await other.close();
});

test('offline with full storage: the person is told, and what was queued before is kept and syncs', async ({ page }) => {
  await signIn(page, admin);
  const url = await createLead(page, { topic: 'Storage target', last: 'Lozano', company: 'Hostal Mar' });
  await readyForOffline(page, url.split('/').pop()!);
  await goOfflineAndReload(page);
  await page.getByRole('link', { name: 'Lozano' }).click();
  await page.getByLabel('City').fill('Cuenca');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('Saved on this device');

  // Fill this site's storage to the brim (the local copy too is gone).
  await page.evaluate(() => {
    for (const k of Object.keys(localStorage)) if (k.endsWith('.copy')) localStorage.removeItem(k);
    let i = 0;
    for (const size of [1 << 20, 1 << 14, 1 << 8, 1]) {
      try { for (;;) localStorage.setItem(`junk-${i++}`, 'x'.repeat(size)); } catch { /* full at this size */ }
    }
  });
  await page.getByLabel('Job title').fill('Owner');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText("storage is full");
  await expect(page.getByRole('link', { name: 'Offline · 1 change waiting' })).toBeVisible();

  await page.evaluate(() => { for (const k of Object.keys(localStorage)) if (k.startsWith('junk-')) localStorage.removeItem(k); });
  await page.context().setOffline(false);
  await expect(page.getByRole('link', { name: 'Online', exact: true })).toBeVisible({ timeout: 20_000 });
  await open(page, url);
  await expect(page.getByLabel('City')).toHaveValue('Cuenca');
});

test('offline: a change the server refuses is listed with its reason and not sent again', async ({ page, browser }) => {
  const { other } = await leadWithSecondViewer(page, browser, manager, admin, { topic: 'Refusal target', last: 'Cordero', company: 'Bodega Sur' });
  await saveCityOffline(page, 'Cordero', 'Jerez');

  // Meanwhile the admin deletes the lead.
  await other.getByRole('button', { name: 'Delete lead' }).click();
  await expect(other).toHaveURL(/\/leads$/);
  await other.close();

  await expectOneRefused(page, 'Edit: City → “Jerez”', 'This lead no longer exists or is no longer yours to see.');
  await expect(page.getByRole('link', { name: 'Online', exact: true })).toBeVisible();
});

test('offline: a call and a post logged on a lead wait on the device, then sync and show for colleagues', async ({ page, browser }) => {
  const { url, other } = await leadWithSecondViewer(page, browser, admin, manager, { topic: 'Timeline offline', last: 'Vidal', company: 'Café Vidal' });
  await open(page, url);
  await expect(page.getByText('Nothing here yet.').or(page.getByText('Lead created.'))).toBeVisible();
  await page.context().setOffline(true);
  await page.getByRole('group', { name: 'What to log' }).getByRole('button', { name: 'Phone call', exact: true }).click();
  await page.getByLabel('Subject').fill('Called from the stand');
  await page.getByRole('button', { name: 'Save phone call' }).click();
  await expect(page.getByRole('status')).toContainText('Saved on this device');
  await page.getByRole('group', { name: 'What to log' }).getByRole('button', { name: 'Post', exact: true }).click();
  await page.getByLabel('Write a post').fill('Met them at the fair, very keen.');
  await page.getByRole('button', { name: 'Send post' }).click();
  const waiting = page.getByRole('list', { name: 'Timeline items' }).locator('.item.waiting');
  await expect(waiting).toHaveCount(2);
  await expect(waiting.first()).toContainText('Waiting to sync');
  await expect(page.getByRole('link', { name: 'Offline · 2 changes waiting' })).toBeVisible();

  await page.context().setOffline(false);
  await expect(page.getByRole('link', { name: 'Online', exact: true })).toBeVisible({ timeout: 20_000 });
  await expect(waiting).toHaveCount(0);
  const post = page.getByRole('article', { name: /^Post by/ }).filter({ hasText: 'Met them at the fair' });
  await expect(post).toBeVisible();
  // The colleague who had the lead open sees both arrive live.
  await expect(other.getByRole('article', { name: /^Phone call by/ }).filter({ hasText: 'Called from the stand' })).toBeVisible();
  await expect(other.getByRole('article', { name: /^Post by/ }).filter({ hasText: 'Met them at the fair' })).toBeVisible();
  await other.close();
});

test('offline: a queued disqualify is refused when a colleague qualified the lead meanwhile, and says why', async ({ page, browser }) => {
  const { other } = await leadWithSecondViewer(page, browser, manager, admin, { topic: 'Decided twice', last: 'Quesada', company: 'Horno Quesada' });
  await goOfflineAndReload(page);
  await page.getByRole('link', { name: 'Quesada' }).click();
  await page.getByRole('button', { name: 'Disqualify' }).click();
  const dq = page.getByRole('dialog', { name: 'Disqualify lead' });
  await dq.getByLabel('Reason').selectOption('Cannot Contact');
  await dq.getByRole('button', { name: 'Disqualify' }).click();
  await expect(dq.getByRole('status')).toHaveText('Disqualify is saved on this device and will be sent when the network is back.');

  // Meanwhile the admin qualifies it.
  await other.getByRole('button', { name: 'Qualify', exact: true }).click();
  const q = other.getByRole('dialog', { name: 'Qualify lead' });
  await expect(q.getByRole('button', { name: 'Qualify' })).toBeEnabled();
  await q.getByRole('button', { name: 'Qualify' }).click();
  await expect(other).toHaveURL(/\/opportunities\/[0-9a-f-]{36}$/);
  await other.close();

  await expectOneRefused(page, 'Disqualify a lead: Cannot Contact', 'Only open leads can be disqualified.');
});

test("signing out takes this person's data off the device, asking first when changes wait", async ({ page }) => {
  await signIn(page, admin);
  const url = await createLead(page, { topic: 'Shared phone at the stand', last: 'Quiroga', company: 'Stand Doce' });
  await readyForOffline(page, url.split('/').pop()!);
  await saveCityOffline(page, 'Quiroga', 'Lugo');
  // Online again, but the server does not take the change yet: it still waits on this device.
  await page.route('**/api/sync_push*', (r) => r.fulfill({ status: 503, contentType: 'application/json', body: '{"Internal":"e2e"}' }));
  await page.context().setOffline(false);
  await expect(page.getByRole('link', { name: 'Online · 1 change waiting' })).toBeVisible({ timeout: 20_000 });
  const signOut = page.getByRole('banner').getByRole('button', { name: 'Sign out' });
  await signOut.click();
  const question = page.getByRole('alertdialog');
  await expect(question).toContainText('1 change has not reached the server yet — sign out anyway?');
  await question.getByRole('button', { name: 'Stay signed in' }).click();
  await expect(question).toHaveCount(0);
  await expect(page).toHaveURL(url);
  await signOut.click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Sign out anyway' }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  // Nothing of the person is left on the device: no copy, no outbox, no "last user".
  const left = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('prospecta.') && k !== 'prospecta.processes'));
  expect(left).toEqual([]);
  // The offline shell opens nobody's data.
  await page.context().setOffline(true);
  await page.goto('/leads');
  await page.locator('body[data-hydrated]').waitFor();
  await expect(page.getByText('Could not reach the server').first()).toBeVisible();
  await expect(page.getByText('Quiroga')).toHaveCount(0);
  await page.context().setOffline(false);
});
