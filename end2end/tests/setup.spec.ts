import { test, expect } from './fixtures';
import { admin, manager, open } from './helpers';

test.describe.configure({ mode: 'serial' });

test('first start creates the workspace and its admin', async ({ page }) => {
  await open(page, '/');
  await expect(page).toHaveURL(/\/setup$/);
  await page.getByLabel('Company name').fill('Cafeteras Test');
  await page.getByLabel('Your name').fill(admin.name);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page.getByText('Use at least 10 characters.')).toBeVisible();
  await page.getByLabel('Password').fill('1234567890');
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page.getByText('This password is one of the most common ones; choose another.')).toBeVisible();
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page).toHaveURL(/\/leads$/);
  await expect(page.getByRole('heading', { name: 'My open leads' })).toBeVisible();
  await expect(page.getByRole('banner').getByText(admin.name)).toBeVisible();
  // Set-up happens once: the page now sends people to sign in.
  await page.goto('/setup');
  await expect(page).toHaveURL(/\/sign-in$/);
});

test('the admin adds a sales manager', async ({ page }) => {
  await open(page, '/sign-in');
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/leads$/);
  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByLabel('Name', { exact: true }).fill(manager.name);
  await page.getByLabel('Email').fill(manager.email);
  await page.getByLabel('Role').selectOption({ label: 'Sales manager' });
  await page.getByLabel('Password').fill(manager.password);
  await page.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByRole('cell', { name: manager.email })).toBeVisible();
});
