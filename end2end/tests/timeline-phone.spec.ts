import { test, expect } from './fixtures';
import { admin, signIn, createLead, expectNoSidewaysScroll, expectTouchTargets } from './helpers';

test('on a phone the timeline fits the screen and its controls are easy to tap', async ({ page }) => {
  await signIn(page, admin);
  await createLead(page, { topic: 'Phone timeline', last: 'Serrano', company: 'Bar Serrano' });
  await page.getByLabel('Write a post').fill('A long link: https://example.com/a/very/long/path/that/would/overflow/a/small/screen/if/it/did/not/wrap');
  await page.getByRole('button', { name: 'Send post' }).click();
  await expect(page.getByRole('article', { name: /^Post by/ })).toBeVisible();
  await page.getByRole('group', { name: 'What to log' }).getByRole('button', { name: 'Appointment', exact: true }).click();
  await expect(page.getByLabel('Starts')).toBeVisible();
  await expectNoSidewaysScroll(page);
  await expectTouchTargets(page);
});
