import { test, expect } from './fixtures';
import { Page } from '@playwright/test';
import { admin, manager, open, signIn, createLead, expectNoSidewaysScroll, expectTouchTargets } from './helpers';

const bar = (page: Page) => page.getByRole('region', { name: 'Business process' });
const steps = (page: Page, stage: string) => page.getByRole('region', { name: `${stage} steps` });
const status = (page: Page) => page.locator('.facts').getByText(/^(Open|Qualified|Disqualified) \(/);

async function qualifyFromHeader(page: Page) {
  await page.getByRole('button', { name: 'Qualify', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Qualify lead' });
  await expect(dialog.getByRole('button', { name: 'Qualify' })).toBeEnabled();
  await dialog.getByRole('button', { name: 'Qualify' }).click();
  await expect(page).toHaveURL(/\/opportunities\/[0-9a-f-]{36}$/);
}

test('the seed story: a trade-show lead through the stage bar to an opportunity, then disqualify and reactivate another', async ({ page }, info) => {
  const phone = info.project.name.startsWith('phone');
  const company = `Cafés Ortega ${phone ? 'Móvil' : 'Centro'}`;
  await signIn(page, admin);

  // Someone qualified this company before: its account exists.
  await createLead(page, { topic: 'Grinders', last: 'Ortega', company, email: 'compras@cafesortega.es' });
  await qualifyFromHeader(page);

  // At the trade show: the lead starts in the trade-show process.
  await open(page, '/leads/new');
  await page.getByLabel('Topic').fill('Espresso machines for 3 cafés');
  await page.getByLabel('Last name').fill('Ortega');
  await page.getByLabel('Company').fill(`${company}, S.L.`);
  await page.getByLabel('Email').fill('lucia@cafesortega.es');
  await page.getByLabel('Lead source').selectOption('Trade Show');
  await page.getByRole('button', { name: 'Save lead' }).click();
  await expect(page).toHaveURL(/\/leads\/[0-9a-f-]{36}$/);
  await expect(bar(page).getByRole('heading', { name: 'Trade show follow-up' })).toBeVisible();
  if (phone) {
    await expectNoSidewaysScroll(page);
    await expectTouchTargets(page);
  }

  // Switch to the full process: what was captured stays, and the timeline says so.
  await bar(page).getByLabel('Switch process').selectOption({ label: 'Lead to opportunity sales process' });
  await bar(page).getByRole('button', { name: 'Switch', exact: true }).click();
  await expect(bar(page).getByRole('heading', { name: 'Lead to opportunity sales process' })).toBeVisible();
  await expect(page.getByText('Process switched from Trade show follow-up to Lead to opportunity sales process.')).toBeVisible();
  await expect(bar(page).getByRole('button', { name: /^Qualify \(active/ })).toBeVisible();
  await expect(bar(page).getByRole('button', { name: /^Develop \(to come\)/ })).toBeVisible();

  // Next stage with required steps missing: refused, with the list.
  await bar(page).getByRole('button', { name: 'Next stage' }).click();
  await expect(bar(page).getByRole('alert')).toHaveText('Fill in first: Purchase timeframe, Estimated budget, Identify decision maker.');
  const qualify = steps(page, 'Qualify');
  await qualify.getByLabel('Purchase timeframe').selectOption('This Quarter');
  await qualify.getByLabel('Budget amount').fill('75000');
  await bar(page).getByRole('button', { name: 'Next stage' }).click();
  await expect(bar(page).getByRole('alert')).toHaveText('Fill in first: Identify decision maker.');
  await qualify.getByLabel('Decision maker identified').selectOption('Yes');
  await qualify.getByLabel('Existing account?').check();
  await bar(page).getByRole('button', { name: 'Save steps' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  // A big budget adds the executive review to the flow.
  await expect(bar(page).getByRole('button', { name: /^Executive review/ })).toBeVisible();

  // Who decides, and who else is bidding.
  await page.getByRole('button', { name: 'Add a stakeholder' }).click();
  await page.getByLabel('Stakeholder first name').fill('Rosa');
  await page.getByLabel('Stakeholder last name').fill('Vidal');
  await page.getByLabel('Stakeholder email').fill('rosa@cafesortega.es');
  await page.getByLabel('Role', { exact: true }).selectOption('Decision maker');
  await page.getByRole('button', { name: 'Add stakeholder' }).click();
  const people = page.getByRole('list', { name: 'Stakeholders' });
  await expect(people.getByText('Rosa Vidal')).toBeVisible();
  await expect(people.getByLabel('Role of Rosa Vidal')).toHaveValue('Decision maker');
  await page.getByRole('button', { name: 'Add a competitor' }).click();
  await page.getByLabel('New competitor name').fill('Cafés Rival');
  await page.getByRole('button', { name: 'Create competitor' }).click();
  await page.getByLabel('Competitor', { exact: true }).selectOption({ label: 'Cafés Rival' });
  await page.getByLabel('Competitor note').fill('Offered 10% off');
  await page.getByRole('button', { name: 'Add competitor' }).click();
  await expect(page.getByRole('list', { name: 'Competitors' })).toContainText('Cafés Rival · Offered 10% off');

  // Next stage now leads to qualifying; the duplicate check finds the existing account.
  await bar(page).getByRole('button', { name: 'Next stage' }).click();
  const dialog = page.getByRole('dialog', { name: 'Qualify lead' });
  await expect(dialog.getByText('These may already exist.')).toBeVisible();
  await dialog.getByLabel(new RegExp(`^Use the existing account ${company}`)).check();
  await dialog.getByRole('button', { name: 'Qualify' }).click();

  // On the opportunity, in Develop; the lead's Qualify stage is still readable.
  await expect(page).toHaveURL(/\/opportunities\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { name: 'Espresso machines for 3 cafés' })).toBeVisible();
  await expect(page.getByText(`Opportunity · ${company}`)).toBeVisible();
  await expect(bar(page).getByRole('button', { name: /^Develop \(active/ })).toBeVisible();
  await bar(page).getByRole('button', { name: /^Qualify \(done\)/ }).click();
  await expect(steps(page, 'Qualify').getByLabel('Purchase timeframe')).toHaveValue('This Quarter');
  await expect(steps(page, 'Qualify').getByLabel('Existing account?')).toBeChecked();
  await expect(page.getByText('Qualified: account, contact and opportunity are ready.')).toBeVisible();
  // Stakeholders and competitors came along.
  await expect(page.getByRole('list', { name: 'Stakeholders' })).toContainText('Rosa Vidal');
  await expect(page.getByRole('list', { name: 'Stakeholders' })).toContainText('Decision maker');
  await expect(page.getByRole('list', { name: 'Competitors' })).toContainText('Cafés Rival');
  if (phone) await expectNoSidewaysScroll(page);

  // Develop on the opportunity, then on to the executive review the big budget asks for.
  await bar(page).getByRole('button', { name: /^Develop \(active/ }).click();
  const develop = steps(page, 'Develop');
  await develop.getByLabel('Customer need').fill('Three cafés need two machines each');
  await develop.getByLabel('Proposed solution').fill('Leasing with maintenance');
  await bar(page).getByRole('button', { name: 'Next stage' }).click();
  await expect(bar(page).getByRole('button', { name: /^Executive review \(active/ })).toBeVisible();
  await expect(page.getByText('Stage moved from Develop to Executive review.')).toBeVisible();
  // Lost to the competitor we knew about.
  await page.getByRole('button', { name: 'Close as lost' }).click();
  const lost = page.getByRole('dialog', { name: 'Close as lost' });
  await lost.getByLabel('Why was it lost?').selectOption('Lost to a competitor');
  await lost.getByLabel('Who won?').selectOption({ label: 'Cafés Rival' });
  await lost.getByRole('button', { name: 'Close as lost' }).click();
  await expect(page.locator('.facts')).toContainText('lost (Lost to a competitor)');
  await expect(page.getByText('Opportunity lost: Lost to a competitor (to Cafés Rival).')).toBeVisible();

  // Another lead cannot be reached: disqualify it, find it in Closed leads, reactivate it.
  const other = await createLead(page, { topic: 'Vending machine', last: 'Núñez', company: 'Bar Núñez' });
  await page.getByRole('button', { name: 'Disqualify' }).click();
  const dq = page.getByRole('dialog', { name: 'Disqualify lead' });
  await dq.getByLabel('Reason').selectOption('Cannot Contact');
  await dq.getByLabel('Note (optional)').fill('Three calls, no answer.');
  await dq.getByRole('button', { name: 'Disqualify' }).click();
  await expect(status(page)).toHaveText('Disqualified (Cannot Contact)');
  await open(page, '/leads?view=closed');
  await page.getByRole('link', { name: 'Núñez' }).click();
  await expect(page).toHaveURL(other);
  await page.getByRole('button', { name: 'Reactivate' }).click();
  await expect(status(page)).toHaveText('Open (New)');
  await expect(page.getByText('Disqualified: Cannot Contact. Three calls, no answer.')).toBeVisible();

  // The account qualifying made: found by search, with its contacts and opportunities, and editable.
  await open(page, '/accounts');
  await page.getByLabel('Search accounts').fill(company);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByRole('list', { name: 'Accounts' }).getByRole('link', { name: company, exact: true }).click();
  await expect(page.getByRole('heading', { name: company, exact: true })).toBeVisible();
  await expect(page.getByRole('list', { name: 'Opportunities of this account' })).toContainText('Espresso machines for 3 cafés');
  await expect(page.getByRole('list', { name: 'Contacts of this account' })).toContainText('lucia@cafesortega.es');
  await page.getByLabel('City').fill('Sevilla');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  if (phone) await expectNoSidewaysScroll(page);
});

test('the competitor list: a manager adds one, edits one field, and leads offer it', async ({ page }, info) => {
  const phone = info.project.name.startsWith('phone');
  const name = `Tostadores Unidos ${info.project.name}`;
  await signIn(page, manager);
  await page.getByRole('link', { name: 'Competitors', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Competitors', level: 1 })).toBeVisible();
  await page.getByRole('button', { name: 'Add a competitor' }).click();
  await page.getByLabel('Competitor name').fill(name);
  await page.getByLabel('Competitor website').fill('tostadores.example');
  await page.getByLabel('Competitor strengths').fill('Own roastery');
  await page.getByRole('button', { name: 'Save competitor' }).click();
  await expect(page.getByRole('status').filter({ hasText: `“${name}” saved.` })).toBeVisible();
  await page.getByRole('button', { name: `Edit ${name}` }).click();
  await expect(page.getByLabel('Competitor strengths')).toHaveValue('Own roastery');
  await page.getByLabel('Competitor weaknesses').fill('No service in the south');
  await page.getByRole('button', { name: 'Save competitor' }).click();
  const card = page.locator('.competitors li').filter({ hasText: name });
  await expect(card).toContainText('No service in the south');
  await expect(card).toContainText('Own roastery');
  if (phone) {
    await expectNoSidewaysScroll(page);
    await expectTouchTargets(page);
  }
  await createLead(page, { topic: 'Roaster comparison', last: 'Ibarra', company: `Café Ibarra ${info.project.name}` });
  await page.getByRole('button', { name: 'Add a competitor' }).click();
  await expect(page.getByLabel('Competitor', { exact: true }).locator('option', { hasText: name })).toHaveCount(1);
});
