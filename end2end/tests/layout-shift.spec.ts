import { test, expect } from './fixtures';
import { Page } from '@playwright/test';
import { admin, open, signIn, createLead } from './helpers';

/**
 * Opens `url` in a fresh page and sums its layout shifts (as Chrome's cumulative layout shift does, leaving
 * out those right after a person's input) until what fills in after hydration has arrived: the sync
 * indicator, the notification count, the live stream.
 */
async function layoutShift(page: Page, url: string): Promise<{ shift: number; moved: string[] }> {
  const fresh = await page.context().newPage();
  await fresh.addInitScript(() => {
    const w = window as unknown as { __shift: number; __moved: string[] };
    w.__shift = 0;
    w.__moved = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as unknown as { value: number; hadRecentInput: boolean; sources: { node?: Element; previousRect: DOMRect; currentRect: DOMRect }[] }[]) {
        if (e.hadRecentInput) continue;
        w.__shift += e.value;
        // What moved, for the failure message.
        for (const s of e.sources) {
          const n = s.node;
          const name = n ? `${n.nodeName.toLowerCase()}${n.id ? '#' + n.id : ''}${n.className ? '.' + String(n.className).replace(/ /g, '.') : ''} "${(n.textContent ?? '').trim().slice(0, 40)}"` : '?';
          w.__moved.push(`${e.value.toFixed(3)} ${name} y ${Math.round(s.previousRect.y)} -> ${Math.round(s.currentRect.y)}, h ${Math.round(s.previousRect.height)} -> ${Math.round(s.currentRect.height)}`);
        }
      }
    }).observe({ type: 'layout-shift', buffered: true });
  });
  await open(fresh, url);
  await expect(fresh.getByRole('link', { name: /^Online/ })).toBeVisible();
  // The live stream stays open, so "network idle" never comes: a second more for late arrivals.
  await fresh.waitForTimeout(1000);
  const { shift, moved } = await fresh.evaluate(() => {
    const w = window as unknown as { __shift: number; __moved: string[] };
    return { shift: w.__shift, moved: w.__moved };
  });
  await fresh.close();
  return { shift, moved };
}

test('the list, a lead page and the new-lead form do not jump while they load (layout shift under 0.05)', async ({ page }) => {
  await signIn(page, admin);
  const lead = await createLead(page, { topic: 'Steady layout', last: 'Quintana', company: 'Cafés Quintana' });
  for (const url of ['/leads', new URL(lead).pathname, '/leads/new']) {
    const { shift, moved } = await layoutShift(page, url);
    console.log(`layout shift ${url}: ${shift.toFixed(4)}`);
    expect(shift, `${url}, what moved:\n${moved.join('\n')}`).toBeLessThan(0.05);
  }
});
