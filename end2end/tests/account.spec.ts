import { test, expect } from './fixtures';
import { admin, open, signIn, expectNoSidewaysScroll, expectTouchTargets } from './helpers';

const sara = { name: 'Sara Seller', email: 'sara@e2e.example', password: 'espresso doble 7' };

test('a seller changes her password and signs out everywhere; an admin deactivates and reactivates her', async ({ page, browser }) => {
  // The admin adds Sara.
  await signIn(page, admin);
  await open(page, '/admin');
  await page.getByLabel('Name', { exact: true }).fill(sara.name);
  await page.getByLabel('Email').fill(sara.email);
  await page.getByLabel('Password', { exact: true }).fill(sara.password);
  await page.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByRole('cell', { name: sara.email })).toBeVisible();

  // Sara, on her phone and on a laptop, changes her password on the laptop.
  const phone = await browser.newPage();
  await signIn(phone, sara);
  const laptop = await browser.newPage();
  await signIn(laptop, sara);
  await laptop.getByRole('link', { name: `Your account: ${sara.name}` }).click();
  await laptop.locator('body[data-hydrated]').waitFor();
  const change = async (current: string, next: string) => {
    await laptop.getByLabel('Current password').fill(current);
    await laptop.getByLabel('New password', { exact: true }).fill(next);
    await laptop.getByLabel('New password again').fill(next);
    await laptop.getByRole('button', { name: 'Change password' }).click();
  };
  await change('not my password', 'cortado largo 8');
  await expect(laptop.getByText('This is not your current password.')).toBeVisible();
  await change(sara.password, 'qwertyuiop');
  await expect(laptop.getByText('This password is one of the most common ones; choose another.')).toBeVisible();
  await change(sara.password, 'cortado largo 8');
  await expect(laptop.getByRole('status')).toContainText('Password changed');
  // The phone's session ended; the laptop's stays.
  await open(phone, '/leads');
  await expect(phone).toHaveURL(/\/sign-in$/);
  await open(laptop, '/leads');
  await expect(laptop).toHaveURL(/\/leads$/);

  // Signed in again on the phone, she signs out everywhere from the laptop.
  await signIn(phone, { ...sara, password: 'cortado largo 8' });
  await open(laptop, '/account');
  await laptop.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(laptop).toHaveURL(/\/sign-in$/);
  await open(phone, '/leads');
  await expect(phone).toHaveURL(/\/sign-in$/);

  // The admin deactivates her: she is told why when she signs in; reactivated, she is back.
  await signIn(phone, { ...sara, password: 'cortado largo 8' });
  await open(page, '/admin');
  await page.getByRole('button', { name: `Deactivate ${sara.name}` }).click();
  await expect(page.getByRole('button', { name: `Reactivate ${sara.name}` })).toBeVisible();
  await open(phone, '/leads');
  await expect(phone).toHaveURL(/\/sign-in$/);
  await phone.getByLabel('Email').fill(sara.email);
  await phone.getByLabel('Password').fill('cortado largo 8');
  await phone.getByRole('button', { name: 'Sign in' }).click();
  await expect(phone.getByRole('alert')).toContainText('Your account has been deactivated.');
  await page.getByRole('button', { name: `Reactivate ${sara.name}` }).click();
  await expect(page.getByRole('button', { name: `Deactivate ${sara.name}` })).toBeVisible();
  await signIn(phone, { ...sara, password: 'cortado largo 8' });
  await phone.close();
  await laptop.close();
  // Both pages fit the screen they are on, and their controls are easy to tap.
  for (const path of ['/admin', '/account']) {
    await open(page, path);
    await expectNoSidewaysScroll(page);
    await expectTouchTargets(page);
  }
});
