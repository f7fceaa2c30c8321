import { test, expect } from './fixtures';
import { Page } from '@playwright/test';
import { admin, open, signIn, createLead, expectNoSidewaysScroll, expectTouchTargets } from './helpers';

test('a wrong password is refused with a message', async ({ page }) => {
  await open(page, '/sign-in');
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('Wrong email or password.');
  await expect(page).toHaveURL(/\/sign-in$/);
});

test('create a lead: an invalid email is explained, nothing typed is lost, then it saves', async ({ page }, info) => {
  await signIn(page, admin);
  await page.getByRole('link', { name: 'New lead' }).first().click();
  await expect(page.getByRole('heading', { name: 'New lead' })).toBeVisible();
  const company = `Hotel Alameda ${info.project.name}`;
  await page.getByLabel('Topic').fill('Espresso machines for the terrace');
  await page.getByLabel('First name').fill('Lucía');
  await page.getByLabel('Last name').fill('García');
  await page.getByLabel('Company').fill(company);
  await page.getByLabel('Email').fill('lucia@');
  await page.getByLabel('Lead source').selectOption('Trade Show');
  await page.getByRole('button', { name: 'Save lead' }).click();
  await expect(page.getByText('Enter an email address like name@example.com.')).toBeVisible();
  await expect(page.getByLabel('Topic')).toHaveValue('Espresso machines for the terrace');
  await expect(page.getByLabel('Company')).toHaveValue(company);
  await expectNoSidewaysScroll(page);
  await page.getByLabel('Email').fill('lucia@alameda.example');
  await page.getByRole('button', { name: 'Save lead' }).click();
  await expect(page).toHaveURL(/\/leads\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { name: 'Lucía García' })).toBeVisible();
  await expect(page.getByLabel('Email')).toHaveValue('lucia@alameda.example');
  // Typed at once, while the page's other parts (process, timeline, people) still load: nothing is lost.
  await page.getByLabel('City').fill('Sevilla');
  await expect(page.getByText('Lead created.')).toBeVisible();
  await expect(page.getByRole('region', { name: 'Business process' }).getByRole('heading', { name: 'Trade show follow-up' })).toBeVisible();
  await expect(page.getByLabel('City')).toHaveValue('Sevilla');
  await expectNoSidewaysScroll(page);
  if (info.project.name === 'phone') await expectTouchTargets(page);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await open(page, page.url());
  await expect(page.getByLabel('City')).toHaveValue('Sevilla');
});

test('edit a lead and the change stays', async ({ page }, info) => {
  await signIn(page, admin);
  await createLead(page, { topic: 'Grinder upgrade', last: 'Romero', company: `Bistro Olivo ${info.project.name}` });
  await page.getByLabel('City').fill('Sevilla');
  await page.getByLabel('Rating').selectOption('Hot');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('Saved.');
  await page.reload();
  await page.locator('body[data-hydrated]').waitFor();
  await expect(page.getByLabel('City')).toHaveValue('Sevilla');
  await expect(page.getByLabel('Rating')).toHaveValue('Hot');
});

test('search and switch views', async ({ page }, info) => {
  await signIn(page, admin);
  const company = `Coworking Brisa ${info.project.name}`;
  await createLead(page, { topic: 'Vending for floors', last: 'Clarke', company });
  await open(page, '/leads');
  await page.getByRole('searchbox', { name: 'Search leads' }).fill('brisa');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/q=brisa/);
  await expect(page.getByText(company)).toBeVisible();
  await expect(page.getByText('1 leads')).toBeVisible();
  // On a phone each cell is a line labelled with its column; the labels come from the stylesheet.
  if (info.project.name === 'phone') {
    const labels = await page.getByRole('row').filter({ hasText: company }).getByRole('cell')
      .evaluateAll(cells => cells.map(c => getComputedStyle(c, '::before').content));
    expect(labels).toEqual(['"Name"', '"Company"', '"Topic"', '"Status"', '"Rating"', '"Owner"', '"Updated"', '"Last activity"']);
  }
  await page.getByRole('searchbox', { name: 'Search leads' }).fill('no such lead anywhere');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByText('No leads match.')).toBeVisible();
  // The back button restores the previous search.
  await page.goBack();
  await expect(page.getByText(company)).toBeVisible();
  await page.getByRole('link', { name: 'All open leads' }).click();
  await expect(page.getByRole('heading', { name: 'All open leads' })).toBeVisible();
  await expect(page).toHaveURL(/view=team/);
  // The shown view is marked as the current one, and follows the navigation.
  const views = page.getByRole('navigation', { name: 'Lead views' });
  await expect(views.getByRole('link', { name: 'All open leads' })).toHaveAttribute('aria-current', 'page');
  await expect(views.getByRole('link', { name: 'My open leads' })).not.toHaveAttribute('aria-current');
  // The owner filter offers the people who own leads here; choosing one narrows the list and stays chosen.
  const owner = page.getByRole('combobox', { name: 'Owner', exact: true });
  await owner.selectOption({ label: admin.name });
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/owner=/);
  await expect(page.getByText(company)).toBeVisible();
  await expect(owner.locator('option:checked')).toHaveText(admin.name);
  await page.reload();
  await expect(owner.locator('option:checked')).toHaveText(admin.name);
  await expect(page.getByText(company)).toBeVisible();
  await page.getByRole('link', { name: 'Closed leads' }).click();
  await expect(page.getByRole('heading', { name: 'Closed leads' })).toBeVisible();
  await expect(page.getByText('No leads match.')).toBeVisible();
  await page.getByRole('link', { name: 'My open leads' }).click();
  await expect(page.getByText(company)).toBeVisible();
  await expectNoSidewaysScroll(page);
  if (info.project.name === 'phone') await expectTouchTargets(page);
  // The header marks the current page as well, and follows the navigation.
  const main = page.getByRole('navigation', { name: 'Main' });
  await expect(main.getByRole('link', { name: 'Leads', exact: true })).toHaveAttribute('aria-current', 'page');
  await main.getByRole('link', { name: 'Opportunities' }).click();
  await expect(page).toHaveURL(/\/opportunities/);
  await expect(main.getByRole('link', { name: 'Opportunities' })).toHaveAttribute('aria-current', 'page');
  await expect(main.getByRole('link', { name: 'Leads', exact: true })).not.toHaveAttribute('aria-current');
});

test('sign out ends the session', async ({ page }) => {
  await signIn(page, admin);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.goto('/leads');
  await expect(page).toHaveURL(/\/sign-in$/);
});

test.describe('a slow connection', () => {
  // The service worker would fetch the app's code itself, out of the test's reach.
  test.use({ serviceWorkers: 'block' });

  /** Holds the given code files back for 1.5 s, as a slow phone connection would. */
  const holdBack = (page: Page, files: string | RegExp) =>
    page.route(files, async (route) => {
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });

  test('text typed before the page is interactive is kept', async ({ page }) => {
    await signIn(page, admin);
    const url = await createLead(page, { topic: 'Typed early', last: 'Pronto', company: 'Bar Pronto' });
    await holdBack(page, '**/pkg/*.wasm');
    await page.goto(url);
    await page.getByLabel('City').fill('Granada');
    await expect(page.locator('body[data-hydrated]')).toHaveCount(0);
    await page.locator('body[data-hydrated]').waitFor();
    await expect(page.getByLabel('City')).toHaveValue('Granada');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.getByRole('status')).toContainText('Saved.');
    await page.reload();
    await page.locator('body[data-hydrated]').waitFor();
    await expect(page.getByLabel('City')).toHaveValue('Granada');
  });

  test('a Save pressed before the page is interactive is done once it is', async ({ page }, info) => {
    // The account form can be sent at once (the lead form waits for a change, so it cannot).
    await signIn(page, admin);
    await open(page, '/accounts');
    const add = page.getByRole('group', { name: 'New account' });
    await add.getByLabel('Account name').fill(`Bar Rápido ${info.project.name}`);
    await add.getByRole('button', { name: 'Create account' }).click();
    await expect(page).toHaveURL(/\/accounts\/[0-9a-f-]{36}$/);
    const url = page.url();
    await holdBack(page, '**/pkg/*.wasm');
    await page.goto(url);
    await page.getByLabel('City').fill('Cádiz');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.locator('body[data-hydrated]')).toHaveCount(0);
    await page.locator('body[data-hydrated]').waitFor();
    await expect(page.getByRole('status')).toContainText('Saved.');
    // The browser did not send the form itself: no reload, no fields in the address.
    expect(page.url()).toBe(url);
    await page.reload();
    await page.locator('body[data-hydrated]').waitFor();
    await expect(page.getByLabel('City')).toHaveValue('Cádiz');
  });

  test("text typed while the page's own code is still loading is kept", async ({ page }) => {
    await signIn(page, admin);
    const url = await createLead(page, { topic: 'Typed while loading', last: 'Lento', company: 'Bar Lento' });
    // The app's main code arrives at once; the lead page's own chunk is held back.
    await holdBack(page, /\/pkg\/(split_|chunk_).*\.wasm$/);
    // Its name carries a hash of its content.
    const main = page.waitForResponse(/\/pkg\/prospecta\.[A-Za-z0-9_-]{22}\.wasm$/);
    await page.goto(url);
    await main;
    await page.getByLabel('City').fill('Almería');
    await page.getByLabel('Rating').selectOption('Warm');
    await expect(page.locator('body[data-hydrated]')).toHaveCount(0);
    await page.locator('body[data-hydrated]').waitFor();
    await expect(page.getByLabel('City')).toHaveValue('Almería');
    await expect(page.getByLabel('Rating')).toHaveValue('Warm');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.getByRole('status')).toContainText('Saved.');
    await page.reload();
    await page.locator('body[data-hydrated]').waitFor();
    await expect(page.getByLabel('City')).toHaveValue('Almería');
    await expect(page.getByLabel('Rating')).toHaveValue('Warm');
  });
});
