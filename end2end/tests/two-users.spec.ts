import { test, expect } from './fixtures';
import { admin, manager, open, signIn, createLead } from './helpers';

test('two people edit one lead: different fields merge, the same field asks the later one', async ({ browser }) => {
  const a = await browser.newPage();
  const b = await browser.newPage({ storageState: undefined });
  await signIn(a, admin);
  const leadUrl = await createLead(a, { topic: 'Leasing of 10 machines', last: 'Smith', company: 'Harbour Hostel' });
  await signIn(b, manager);
  await open(b, leadUrl);
  await expect(b.getByLabel('Topic')).toHaveValue('Leasing of 10 machines');

  // Different fields: both survive.
  await a.getByLabel('City').fill('Dublin');
  await a.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(a.getByRole('status')).toContainText('Saved.');
  await b.getByLabel('Job title').fill('Owner');
  await b.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(b.getByRole('status')).toContainText('Saved.');
  await expect(b.getByLabel('City')).toHaveValue('Dublin');
  await a.reload();
  await a.locator('body[data-hydrated]').waitFor();
  await expect(a.getByLabel('City')).toHaveValue('Dublin');
  await expect(a.getByLabel('Job title')).toHaveValue('Owner');

  // The same field: the later save sees the other value and chooses.
  await a.getByLabel('Topic').fill('Leasing of 12 machines');
  await b.getByLabel('Topic').fill('Buying 10 machines');
  await a.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(a.getByRole('status')).toContainText('Saved.');
  await b.getByRole('button', { name: 'Save', exact: true }).click();
  const conflict = b.getByRole('alert').filter({ hasText: 'Someone else changed this lead' });
  await expect(conflict).toContainText(`Topic: ${admin.name} changed it to “Leasing of 12 machines”`);
  await expect(conflict).toContainText('Your value: “Buying 10 machines”');
  await b.getByRole('button', { name: 'Keep mine (Topic)' }).click();
  await b.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(b.getByRole('status')).toContainText('Saved.');
  await a.reload();
  await a.locator('body[data-hydrated]').waitFor();
  await expect(a.getByLabel('Topic')).toHaveValue('Buying 10 machines');
});
