import { test, expect } from './fixtures';
import { Page } from '@playwright/test';
import { admin, manager, open, signIn, createLead } from './helpers';

function item(page: Page, kind: string, text: string) {
  return page.getByRole('list', { name: 'Timeline items' }).getByRole('article', { name: new RegExp(`^${kind} by`) }).filter({ hasText: text });
}

async function choose(page: Page, what: string) {
  await page.getByRole('group', { name: 'What to log' }).getByRole('button', { name: what, exact: true }).click();
}

test('the seed story: a call, a question to colleagues answered live, a mention, a meeting and a task', async ({ browser }) => {
  const a = await browser.newPage();
  const b = await browser.newPage();
  await signIn(a, admin);
  const leadUrl = await createLead(a, { topic: 'Espresso machines for 3 cafés', last: 'Ortega', company: 'Café Ortega' });
  await expect(a.getByText('Nothing here yet.').or(item(a, 'Update', 'Lead created.'))).toBeVisible();

  // Log the phone call, with notes.
  await choose(a, 'Phone call');
  await a.getByLabel('Subject').fill('First call with Sra. Ortega');
  await a.getByLabel('Direction').selectOption('incoming');
  await a.getByLabel('Duration (minutes)').fill('15');
  await a.getByLabel('Call notes').fill('Three cafés in Sevilla.\nWants a tasting.');
  await a.getByRole('button', { name: 'Save phone call' }).click();
  const call = item(a, 'Phone call', 'First call with Sra. Ortega');
  await expect(call).toContainText('Incoming');
  await expect(call).toContainText('15 min');
  await expect(call.locator('.text br')).toHaveCount(1);

  // A colleague has the lead open in another browser.
  await signIn(b, manager);
  await open(b, leadUrl);
  await expect(item(b, 'Phone call', 'First call with Sra. Ortega')).toBeVisible();
  await expect(b.getByRole('link', { name: 'Notifications, 0 unread' })).toBeVisible();

  // Ask colleagues, mentioning one picked from the @ suggestions.
  await choose(a, 'Post');
  const box = a.getByLabel('Write a post');
  await box.fill('Has anyone worked with this customer? @Mar');
  await a.getByRole('button', { name: `Mention ${manager.name}` }).click();
  await expect(box).toHaveValue(`Has anyone worked with this customer? @${manager.name} `);
  await a.getByRole('button', { name: 'Send post' }).click();
  const question = item(a, 'Post', 'Has anyone worked with this customer?');
  await expect(question.getByRole('link', { name: `@${manager.name}` })).toBeVisible();

  // The colleague sees it without reloading, with the mention notification, and replies.
  const theirs = item(b, 'Post', 'Has anyone worked with this customer?');
  await expect(theirs).toBeVisible();
  await expect(b.getByRole('link', { name: 'Notifications, 1 unread' })).toBeVisible();
  await theirs.getByRole('button', { name: 'Reply' }).click();
  await b.getByLabel('Write a reply').fill(`Yes, @${admin.name}: we sold them a grinder in 2023.`);
  await b.getByRole('button', { name: 'Send reply' }).click();

  // The first seller sees the reply live and is notified of the mention.
  const reply = question.getByRole('list', { name: 'Replies' }).getByRole('article').filter({ hasText: 'we sold them a grinder' });
  await expect(reply).toContainText(manager.name);
  await expect(a.getByRole('link', { name: 'Notifications, 1 unread' })).toBeVisible();
  await a.getByRole('link', { name: 'Notifications, 1 unread' }).click();
  await expect(a.getByRole('heading', { name: 'Notifications' })).toBeVisible();
  await a.locator('body[data-hydrated]').waitFor();
  await a.getByRole('link', { name: new RegExp(`${manager.name} mentioned you on Ortega`) }).click();
  await expect(a).toHaveURL(/\/leads\/[0-9a-f-]{36}#item-/);
  await a.locator('body[data-hydrated]').waitFor();
  await expect(a.getByRole('link', { name: 'Notifications, 0 unread' })).toBeVisible();

  // Schedule the face-to-face meeting, with the colleague invited.
  await choose(a, 'Appointment');
  await a.getByLabel('Subject').fill('Tasting at Café Ortega');
  await a.getByLabel('Starts').fill('2026-12-03T10:00');
  await a.getByLabel('Ends').fill('2026-12-03T11:30');
  await a.getByLabel('Location').fill('Calle Sierpes 12, Sevilla');
  await a.getByLabel('Required attendees').selectOption({ label: manager.name });
  await a.getByRole('button', { name: 'Save appointment' }).click();
  const meeting = item(a, 'Appointment', 'Tasting at Café Ortega');
  await expect(meeting).toContainText('3 Dec 2026 10:00 – 3 Dec 2026 11:30');
  await expect(meeting).toContainText(`Required: ${manager.name}`);
  await expect(item(b, 'Appointment', 'Tasting at Café Ortega')).toBeVisible();

  // A task, then completed.
  await choose(a, 'Task');
  await a.getByLabel('Subject').fill('Send the price list');
  await a.getByLabel('Priority').selectOption('high');
  await a.getByRole('button', { name: 'Save task' }).click();
  const task = item(a, 'Task', 'Send the price list');
  await expect(task).toContainText('Open');
  await task.getByRole('button', { name: 'Mark task complete' }).click();
  await expect(task).toContainText('Completed');

  // Posts only; the choice is kept for next time.
  await a.getByLabel('Show').selectOption('post');
  await expect(item(a, 'Phone call', 'First call')).toHaveCount(0);
  await expect(question).toBeVisible();
  await a.reload();
  await a.locator('body[data-hydrated]').waitFor();
  await expect(a.getByLabel('Show')).toHaveValue('post');
  await expect(question).toBeVisible();
  await expect(item(a, 'Task', 'Send the price list')).toHaveCount(0);
  await a.getByLabel('Show').selectOption('');
  await expect(item(a, 'Task', 'Send the price list')).toBeVisible();

  // Search within the timeline finds the post by its reply.
  await a.getByLabel('Search the timeline').fill('grinder');
  await a.getByLabel('Search the timeline').press('Enter');
  await expect(question).toBeVisible();
  await expect(call).toHaveCount(0);
  await a.getByLabel('Search the timeline').fill('');
  await a.getByLabel('Search the timeline').press('Enter');
  await expect(call).toBeVisible();

  // The lead list shows and sorts by last activity.
  await open(a, '/leads?view=team');
  await a.getByRole('columnheader', { name: /Last activity/ }).getByRole('link').click();
  await expect(a).toHaveURL(/sort=activity&dir=desc/);
  await expect(a.getByRole('row').nth(1)).toContainText('Ortega');
});

test('user text is shown as text: markup stays characters, links are clickable, line breaks kept', async ({ page }) => {
  await signIn(page, admin);
  await createLead(page, { topic: 'Grinders', last: 'Lopez', company: 'Bar Lopez' });
  await page.getByLabel('Write a post').fill('<script>window.hacked = 1</script> <b>bold?</b>\nPrices: https://example.com/prices.');
  await page.getByRole('button', { name: 'Send post' }).click();
  const post = item(page, 'Post', '<script>window.hacked = 1</script>');
  await expect(post).toContainText('<b>bold?</b>');
  await expect(post.locator('b')).toHaveCount(0);
  await expect(post.getByRole('link', { name: 'https://example.com/prices' })).toHaveAttribute('href', 'https://example.com/prices');
  await expect(post.locator('.text br')).toHaveCount(1);
  expect(await page.evaluate(() => (window as any).hacked)).toBeUndefined();
});

test('a note with a file: stored by the app and downloadable by colleagues', async ({ page }) => {
  await signIn(page, admin);
  await createLead(page, { topic: 'Service contract', last: 'Molina', company: 'Hotel Molina' });
  await choose(page, 'Note');
  await page.getByRole('textbox', { name: 'Note' }).fill('Their current contract, for reference.');
  await page.getByLabel(/Attach a file/).setInputFiles({ name: 'contrato 2025.txt', mimeType: 'text/plain', buffer: Buffer.from('Contrato de mantenimiento') });
  await page.getByRole('button', { name: 'Save note' }).click();
  const note = item(page, 'Note', 'Their current contract');
  const link = note.getByRole('link', { name: /contrato 2025\.txt/ });
  await expect(link).toBeVisible();
  const download = page.waitForEvent('download');
  await link.click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('contrato 2025.txt');
  const fs = await import('fs');
  expect(fs.readFileSync(await file.path()!, 'utf8')).toBe('Contrato de mantenimiento');
});

test('people edit and delete their own posts; a deleted post with replies stays as "deleted"', async ({ page }) => {
  await signIn(page, admin);
  await createLead(page, { topic: 'Edits', last: 'Rivas', company: 'Café Rivas' });
  await page.getByLabel('Write a post').fill('First version');
  await page.getByRole('button', { name: 'Send post' }).click();
  // While editing, the text is in a box rather than on the item: hold on to the item by its id.
  const first = page.locator(`#${await item(page, 'Post', 'First version').getAttribute('id')}`);
  await first.getByRole('button', { name: 'Edit', exact: true }).click();
  await first.getByLabel('Edit text').fill('Second version');
  await first.getByRole('button', { name: 'Save text' }).click();
  const post = item(page, 'Post', 'Second version');
  await expect(post).toContainText('edited');
  await post.getByRole('button', { name: 'Reply' }).click();
  await page.getByLabel('Write a reply').fill('A reply that stays');
  await page.getByRole('button', { name: 'Send reply' }).click();
  await expect(post).toContainText('A reply that stays');
  page.once('dialog', (d) => d.accept());
  await post.getByRole('button', { name: 'Delete', exact: true }).click();
  const thread = page.getByRole('list', { name: 'Timeline items' }).getByRole('article', { name: /^Post by/ }).filter({ hasText: 'A reply that stays' });
  await expect(thread).toContainText('deleted');
  await expect(page.getByText('Second version')).toHaveCount(0);
});
