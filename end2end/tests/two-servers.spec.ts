import { test, expect } from './fixtures';
import { Page } from '@playwright/test';
import { open, signIn } from './helpers';

// Two server processes share one Postgres (demo workspace). A post made through process A reaches a
// browser connected to process B without a reload (Postgres LISTEN/NOTIFY), and the reply comes back.
const password = 'prospecta-demo';
const seller = { email: 'lucia@aurora.example', password };
const manager = { email: 'javier@aurora.example', password };

function post(page: Page, text: string) {
  return page.getByRole('list', { name: 'Timeline items' }).getByRole('article', { name: /^Post by/ }).filter({ hasText: text });
}

test('a post made through one server process reaches a browser on another, live', async ({ page, browser }) => {
  await signIn(page, seller);
  await open(page, '/leads?view=team');
  await page.getByRole('table').getByRole('row').nth(1).getByRole('link').first().click();
  await expect(page).toHaveURL(/\/leads\/[0-9a-f-]{36}$/);
  const path = new URL(page.url()).pathname;
  await page.locator('body[data-hydrated]').waitFor();

  const other = await browser.newPage({ baseURL: 'http://127.0.0.1:3105' });
  await signIn(other, manager);
  await open(other, path);
  await expect(other.getByText('Loading timeline…')).toHaveCount(0);

  await page.getByLabel('Write a post').fill('Posted through server A: who knows this buyer?');
  await page.getByRole('button', { name: 'Send post' }).click();
  await expect(post(page, 'Posted through server A')).toBeVisible();
  await expect(post(other, 'Posted through server A')).toBeVisible();

  await post(other, 'Posted through server A').getByRole('button', { name: 'Reply' }).click();
  await other.getByLabel('Write a reply').fill('Answered through server B.');
  await other.getByRole('button', { name: 'Send reply' }).click();
  await expect(post(page, 'Posted through server A')).toContainText('Answered through server B.');
  await other.close();
});
