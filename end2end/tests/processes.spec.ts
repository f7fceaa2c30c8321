import { test, expect } from './fixtures';
import { Page } from '@playwright/test';
import { admin, open, signIn, createLead, expectNoSidewaysScroll, expectTouchTargets } from './helpers';

const bar = (page: Page) => page.getByRole('region', { name: 'Business process' });
const editor = (page: Page) => page.locator('.process-editor');
const listNames = (page: Page) => page.locator('.process-row strong').allTextContents();
const processes = (page: Page) => page.getByRole('region', { name: 'Processes', exact: true });
const setting = (page: Page) => page.getByRole('region', { name: 'Qualify', exact: true });

test('an admin builds a process with a branch, orders it, a lead follows it, then the admin retires it', async ({ page }, info) => {
  const phone = info.project.name.startsWith('phone');
  const name = phone ? 'Partner referral (phone)' : 'Partner referral';
  await signIn(page, admin);
  await open(page, '/admin');
  await page.getByRole('link', { name: 'Business processes and the Qualify setting' }).click();
  await expect(page.getByRole('heading', { name: 'Business processes' })).toBeVisible();
  await page.locator('body[data-hydrated]').waitFor();

  // A new process starts with a Qualify stage for the lead and a Propose stage for the opportunity.
  await page.getByLabel('New process name').fill(name);
  await page.getByRole('button', { name: 'Create process' }).click();
  await expect(page.getByRole('heading', { name: `New process: ${name}` })).toBeVisible();
  await expect(page.getByLabel('Stage 1 name', { exact: true })).toHaveValue('Qualify');
  await expect(page.getByLabel('Stage 2 name', { exact: true })).toHaveValue('Propose');

  // Steps: a required check and a field.
  await page.getByRole('button', { name: 'Add a step to stage 1' }).click();
  await page.getByLabel('Stage 1 step 1 label').fill('Partner confirmed');
  await page.getByLabel('Stage 1 step 1 required').check();
  await page.getByRole('button', { name: 'Add a step to stage 1' }).click();
  await page.getByLabel('Stage 1 step 2 label').fill('Budget');
  await page.getByLabel('Stage 1 step 2 kind').selectOption({ label: 'Budget amount' });
  await page.getByLabel('Stage 1 step 2 required').check();
  // What was typed survives adding more (the editor re-renders from its draft).
  await expect(page.getByLabel('Stage 1 step 1 label')).toHaveValue('Partner confirmed');

  // A branch: a review stage only for budgets above 10,000, moved before Propose. Saved without a name first.
  await editor(page).getByRole('button', { name: 'Add a stage' }).click();
  await page.getByLabel('Stage 3 shown').selectOption({ label: 'Budget amount' });
  await page.getByLabel('Stage 3 comparison').selectOption({ label: 'is above' });
  await page.getByLabel('Stage 3 compared with').fill('10000');
  await page.getByRole('button', { name: 'Move stage 3 up' }).click();
  await expect(page.getByLabel('Stage 2 compared with')).toHaveValue('10000');
  await page.getByRole('button', { name: 'Save process' }).click();
  await expect(editor(page).getByRole('alert')).toContainText('Every stage needs a name.');
  await page.getByLabel('Stage 2 name', { exact: true }).fill('Partner review');
  if (phone) {
    await expectNoSidewaysScroll(page);
    await expectTouchTargets(page);
  }
  await page.getByRole('button', { name: 'Save process' }).click();
  await expect(processes(page).getByRole('status')).toHaveText(`“${name}” saved.`);
  const row = page.locator('.process-row').filter({ hasText: name });
  await expect(row).toContainText('Qualify → Partner review → Propose');

  // Order: up one place, then back.
  const before = await listNames(page);
  await page.getByRole('button', { name: `Move ${name} up` }).click();
  await expect(processes(page).getByRole('status')).toHaveText('Order saved.');
  const i = before.indexOf(name);
  const moved = [...before];
  [moved[i - 1], moved[i]] = [moved[i], moved[i - 1]];
  await expect.poll(() => listNames(page)).toEqual(moved);
  await page.getByRole('button', { name: `Move ${name} down` }).click();
  await expect.poll(() => listNames(page)).toEqual(before);

  // The Qualify setting is kept (and set back: other tests qualify automatically).
  await page.getByLabel('When a lead is qualified').selectOption({ label: 'Let the seller choose what to create' });
  await page.getByRole('button', { name: 'Save setting' }).click();
  await expect(setting(page).getByRole('status')).toHaveText('Setting saved.');
  await open(page, '/admin/processes');
  await expect(page.getByLabel('When a lead is qualified')).toHaveValue('choose');
  await page.getByLabel('When a lead is qualified').selectOption('automatic');
  await page.getByRole('button', { name: 'Save setting' }).click();
  await expect(setting(page).getByRole('status')).toHaveText('Setting saved.');

  // A seller's lead follows the new process: its required steps, and the branch once the budget is high.
  const lead = await createLead(page, { topic: 'Referral from Molinos Sur', last: 'Vidal', company: `Hostal Vidal ${phone ? 'M' : 'D'}` });
  await bar(page).getByLabel('Switch process').selectOption({ label: name });
  await bar(page).getByRole('button', { name: 'Switch', exact: true }).click();
  await expect(bar(page).getByRole('heading', { name })).toBeVisible();
  await expect(bar(page).getByRole('button', { name: /^Partner review/ })).toHaveCount(0);
  await bar(page).getByRole('button', { name: 'Next stage' }).click();
  await expect(bar(page).getByRole('alert')).toHaveText('Fill in first: Partner confirmed, Budget.');
  await page.getByRole('region', { name: 'Qualify steps' }).getByLabel('Budget amount').fill('25000');
  await bar(page).getByRole('button', { name: 'Save steps' }).click();
  await expect(bar(page).getByRole('button', { name: /^Partner review \(to come\)/ })).toBeVisible();

  // Retired: the lead in it goes on; other leads can no longer switch to it.
  await open(page, '/admin/processes');
  await page.getByRole('button', { name: `Retire ${name}` }).click();
  await expect(processes(page).getByRole('status')).toContainText('is retired');
  await expect(page.locator('.process-row').filter({ hasText: name }).getByText('Retired')).toBeVisible();
  await open(page, lead);
  await expect(bar(page).getByRole('heading', { name })).toBeVisible();
  await createLead(page, { topic: 'Another referral', last: 'Soler', company: `Bar Soler ${phone ? 'M' : 'D'}` });
  await expect(bar(page).getByLabel('Switch process').locator('option', { hasText: name })).toHaveCount(0);
});
