// Every browser test fails on a script error or a hydration mismatch in its page, even if the page
// happens to look right: a dead app after hydration is a bug users would meet.
import { test as base, expect } from '@playwright/test';

export const test = base.extend<{ pageErrors: string[] }>({
  pageErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && !m.text().includes('Failed to load resource')) errors.push(`console: ${m.text().slice(0, 400)}`);
      });
      await use(errors);
      expect(errors, 'script errors in the page').toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };
