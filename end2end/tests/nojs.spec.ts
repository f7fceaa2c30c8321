import { test, expect } from './fixtures';

// The same server-rendered forms work with JavaScript turned off.
test('without JavaScript: set up, sign out, sign in and create a lead', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/setup$/);
  await page.getByLabel('Company name').fill('Sin JS');
  await page.getByLabel('Your name').fill('Nora');
  await page.getByLabel('Email').fill('nora@nojs.example');
  await page.getByLabel('Password').fill('plain forms work');
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page).toHaveURL(/\/leads$/);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in$/);

  await page.getByLabel('Email').fill('nora@nojs.example');
  await page.getByLabel('Password').fill('wrong password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('Wrong email or password.');
  await page.getByLabel('Email').fill('nora@nojs.example');
  await page.getByLabel('Password').fill('plain forms work');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/leads$/);

  await page.goto('/leads/new');
  await page.getByLabel('Topic').fill('Capsule machines');
  await page.getByLabel('Last name').fill('Walker');
  await page.getByLabel('Company').fill('Kingsway Offices');
  await page.getByRole('button', { name: 'Save lead' }).click();
  await expect(page).toHaveURL(/\/leads\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { name: 'Walker' })).toBeVisible();
  await page.goto('/leads');
  await expect(page.getByText('Kingsway Offices')).toBeVisible();
});
