import { expect, Page } from '@playwright/test';

export const admin = { name: 'Alba Admin', email: 'alba@e2e.example', password: 'correct horse 1' };
export const manager = { name: 'Marco Manager', email: 'marco@e2e.example', password: 'battery staple 2' };

/** Opens a page and waits until it is interactive (hydrated), as a person would before typing. */
export async function open(page: Page, url: string) {
  await page.goto(url);
  await page.locator('body[data-hydrated]').waitFor();
}

export async function signIn(page: Page, who: { email: string; password: string }) {
  await open(page, '/sign-in');
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/leads$/);
}

/** Creates a lead through the form and returns its page URL. */
export async function createLead(page: Page, f: { topic: string; last: string; company: string; email?: string }) {
  await open(page, '/leads/new');
  await page.getByLabel('Topic').fill(f.topic);
  await page.getByLabel('Last name').fill(f.last);
  await page.getByLabel('Company').fill(f.company);
  if (f.email) await page.getByLabel('Email').fill(f.email);
  await page.getByRole('button', { name: 'Save lead' }).click();
  await expect(page).toHaveURL(/\/leads\/[0-9a-f-]{36}$/);
  // The new-lead form stays (locked) until the lead page's code has loaded: wait for the lead itself.
  await expect(page.getByRole('heading', { name: f.last, exact: true, level: 1 })).toBeVisible();
  return page.url();
}

/** The page does not scroll sideways (checked at the phone width). */
export async function expectNoSidewaysScroll(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

/** On a phone, every visible control is at least 44 px tall (a comfortable touch target). */
export async function expectTouchTargets(page: Page) {
  const small = await page.evaluate(() =>
    Array.from(document.querySelectorAll('a, button, input:not([type=hidden]), select, textarea'))
      // Links inside running text are exempt (WCAG 2.5.8 "inline" targets).
      .filter((el) => !el.closest('.text'))
      .filter((el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && r.height < 44;
      })
      .map((el) => `${el.tagName.toLowerCase()} "${(el.textContent || (el as HTMLInputElement).name || '').trim().slice(0, 30)}" ${Math.round(el.getBoundingClientRect().height)}px`),
  );
  expect(small).toEqual([]);
}
