import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import {
  INBOUND_ENV,
  postWhatsapp,
  uniqueWaId,
  whatsappStatus,
  whatsappText,
} from './support/inbound-webhooks';
import {
  axeViolations,
  createAgent,
  focusedElement,
  hasFocus,
  launchChromium,
  outlineStyle,
  signIn,
  type AgentCredentials,
} from './support/inbox-browser';
import { OutboundStack, startOutboundStack } from './support/outbound-stack';
import { waitFor } from './support/wait-for';
import { graphError } from './stand-ins/whatsapp-stand-in';

// SCREENSHOT_DIR=docs refreshes the pictures docs/INBOX.md shows; by default they go to a temp dir.
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR ?? tmpdir();
// Generous bounds for what the contract wants within 1 s: several processes share two cores.
const LIVE_MS = 10_000;

/**
 * The inbox page in Debian's Chromium against the real API (this process), a real worker and the
 * provider stand-ins: what an agent sees and does, one page carried through the file's steps.
 */
describe('Inbox page (Chromium, real API and worker)', () => {
  let stack: OutboundStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let agent: AgentCredentials;
  const customerPhone = uniqueWaId();
  // Names of this run only: earlier test files leave customers in the list (one of them also
  // named Ada Lovelace), and a locator matching two links finds neither.
  const run = randomBytes(3).toString('hex');
  const [ADA, GRACE, OMAR, BOB] = ['Ada Lovelace', 'Grace Chen', 'Omar Haddad', 'Bob Builder'].map(
    (name) => `${name} ${run}`,
  );

  beforeAll(async () => {
    stack = await startOutboundStack({
      WHATSAPP_APP_SECRET: INBOUND_ENV.WHATSAPP_APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: INBOUND_ENV.WHATSAPP_VERIFY_TOKEN,
    });
    browser = await launchChromium();
    agent = await createAgent(stack.api);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
  });
  // A step that fails while offline would otherwise fail every step after it as well.
  afterEach(() => context?.setOffline(false));
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const conversations = () => page.getByRole('navigation', { name: 'Conversations' });
  const conversationLink = (name: string | RegExp) => conversations().getByRole('link', { name });
  const thread = () => page.getByRole('log');
  const messageItem = (text: string) => thread().getByRole('listitem').filter({ hasText: text });
  const composer = () => page.getByRole('textbox', { name: 'Message' });
  const inbound = (body: string, from = customerPhone, name = ADA) =>
    postWhatsapp(stack.api, whatsappText({ from, name, body })).then((response) => {
      if (response.status !== 200) throw new Error(`webhook refused: ${response.text}`);
    });
  const liveStatus = (text: string) => page.getByRole('status').filter({ hasText: text });
  const visibleWithin = (locator: Locator, timeout = LIVE_MS) =>
    locator.waitFor({ state: 'visible', timeout });
  const outboundNamed = async (body: string) => {
    const { body: page_ } = await stack.api.request(
      'GET',
      `/api/messages?direction=outbound&channel=whatsapp&limit=200`,
    );
    return page_.data.find((m: any) => m.body === body);
  };

  it('refuses a wrong password with the reason as text, then signs in', async () => {
    await page.goto(`${stack.api.url}/inbox`);
    await page.getByLabel('Email').waitFor();
    expect(await axeViolations(page)).toEqual([]);

    await page.getByLabel('Email').fill(agent.email);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await expect(
      waitFor(async () => (await alert.textContent())?.trim(), 'an error'),
    ).resolves.toMatch(/\w+/);
    await expect(conversations().count()).resolves.toBe(0);

    await signIn(page, agent);
    await visibleWithin(liveStatus('Live'));
  });

  it('shows a customer’s first message in the list without a reload', async () => {
    await inbound('Can I change the delivery day?', uniqueWaId(), GRACE);
    await inbound('Thanks, all sorted!', uniqueWaId(), OMAR);
    await inbound('Hello, is my order on its way?');
    // The link's accessible name holds the customer, the channel and the unread count.
    await visibleWithin(conversationLink(new RegExp(`${ADA}.*whatsapp.*1 unread`)));
    // All three in place, so that the list is settled before the keyboard walks it.
    await visibleWithin(conversationLink(GRACE));
    await visibleWithin(conversationLink(OMAR));
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'inbox-list.png') });
  });

  it('opens a conversation from the keyboard with visible focus, and marks it read', async () => {
    const link = conversationLink(ADA);
    // Tab through the page until the conversation link holds the focus.
    const visited: string[] = [];
    for (let press = 0; press < 30 && !(await hasFocus(link)); press++) {
      await page.keyboard.press('Tab');
      visited.push(await focusedElement(page));
    }
    if (!(await hasFocus(link))) {
      throw new Error(`Tab never reached the link; the focus went through ${visited.join(' | ')}`);
    }
    expect(await outlineStyle(link)).not.toBe('none');
    await page.keyboard.press('Enter');

    await visibleWithin(messageItem('Hello, is my order on its way?'));
    await waitFor(
      async () => (await link.getAttribute('aria-current')) === 'page',
      'the link to be current',
    );
    await waitFor(
      async () => (await conversationLink(new RegExp(`${ADA}.*unread`)).count()) === 0,
      'the unread count to go',
    );
    const conversationId = new URL(page.url()).hash.split('/').pop()!;
    const stored = await stack.api.request('GET', `/api/conversations/${conversationId}`);
    expect(stored.body.unread_count).toBe(0);
  });

  it('replies with Enter (Shift+Enter a new line) and shows sent, then delivered from a receipt', async () => {
    await composer().click();
    await page.keyboard.type('Yes, it left the warehouse.');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('Tracking follows.');
    await page.keyboard.press('Enter');

    const body = 'Yes, it left the warehouse.\nTracking follows.';
    const reply = messageItem('Tracking follows.');
    await visibleWithin(reply.filter({ hasText: /\bsent\b/ }));
    await expect(composer().inputValue()).resolves.toBe('');
    const sent = await outboundNamed(body);
    expect(sent.status).toBe('sent');

    const receipt = whatsappStatus(
      sent.provider_message_id,
      'delivered',
      Math.floor(Date.now() / 1000),
    );
    expect((await postWhatsapp(stack.api, receipt)).status).toBe(200);
    await visibleWithin(reply.filter({ hasText: /\bdelivered\b/ }));
    await expect(reply.locator('svg[aria-hidden="true"]').count()).resolves.toBe(1);
  });

  it('shows a permanent failure with its error as text, and retries it', async () => {
    stack.whatsapp.failNext(
      1,
      graphError(131026, 'Message undeliverable', 400, 'Receiver is not a WhatsApp user'),
    );
    await composer().fill('Can you confirm the address?');
    await page.getByRole('button', { name: 'Send', exact: true }).click();

    const item = messageItem('Can you confirm the address?');
    await visibleWithin(item.filter({ hasText: /\bfailed\b/ }));
    const failed = await outboundNamed('Can you confirm the address?');
    expect(failed.last_error).toContain('131026');
    await expect(item.textContent()).resolves.toContain(failed.last_error);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'inbox-thread.png') });

    await item.getByRole('button', { name: 'Retry' }).click();
    await visibleWithin(item.filter({ hasText: /\bsent\b/ }));
    await expect(item.getByRole('button', { name: 'Retry' }).count()).resolves.toBe(0);
  });

  it('sends an attached file', async () => {
    await page.getByLabel('Attach file').setInputFiles({
      name: 'invoice.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from('%PDF-1.4\n% a tiny invoice\n'),
    });
    const attached = page.getByRole('list', { name: 'Attached files' });
    await visibleWithin(attached.getByText('invoice.pdf'));
    await composer().fill('Your invoice');
    await page.keyboard.press('Enter');

    const item = messageItem('Your invoice');
    await visibleWithin(item.filter({ hasText: /\bsent\b/ }));
    await expect(item.getByRole('link', { name: 'invoice.pdf' }).count()).resolves.toBe(1);
    expect(stack.whatsapp.accepted.some((request) => request.path.endsWith('/media'))).toBe(true);
  });

  it('catches up after the connection dropped, showing each change once', async () => {
    const reply = await outboundNamed('Yes, it left the warehouse.\nTracking follows.');
    await context.setOffline(true);
    await visibleWithin(liveStatus('Reconnecting'));
    // What happens meanwhile: a new message in the open conversation, a new conversation, and a
    // receipt for the earlier reply.
    await inbound('One more thing: gift wrap, please.');
    await inbound('Do you ship to Norway?', uniqueWaId(), BOB);
    const read = whatsappStatus(reply.provider_message_id, 'read', Math.floor(Date.now() / 1000));
    expect((await postWhatsapp(stack.api, read)).status).toBe(200);
    await page.waitForTimeout(500);
    await expect(messageItem('gift wrap').count()).resolves.toBe(0);
    await context.setOffline(false);

    await visibleWithin(liveStatus('Live'));
    await visibleWithin(messageItem('gift wrap'));
    await visibleWithin(conversationLink(BOB));
    await visibleWithin(messageItem('Tracking follows.').filter({ hasText: /\bread\b/ }));
    // Anything applied twice would show by now.
    await page.waitForTimeout(1_000);
    await expect(messageItem('gift wrap').count()).resolves.toBe(1);
    const conversationId = new URL(page.url()).hash.split('/').pop()!;
    const stored = await stack.api.request(
      'GET',
      `/api/conversations/${conversationId}/messages?limit=200`,
    );
    await expect(thread().locator('li.message').count()).resolves.toBe(stored.body.data.length);
    await expect(conversationLink(BOB).count()).resolves.toBe(1);
    await expect(conversationLink(ADA).count()).resolves.toBe(1);
  });

  it('moves to the next and previous conversation with Alt+J and Alt+K', async () => {
    const links = conversations().getByRole('link');
    const current = async () => {
      const names = await links.evaluateAll((all) =>
        all.map((a) => a.getAttribute('aria-current')),
      );
      return names.indexOf('page');
    };
    const start = await current();
    expect(start).toBeGreaterThanOrEqual(0);
    const step = start + 1 < (await links.count()) ? 1 : -1;
    await page.keyboard.press(step === 1 ? 'Alt+J' : 'Alt+K');
    await waitFor(async () => (await current()) === start + step, 'the next conversation');
    await page.keyboard.press(step === 1 ? 'Alt+K' : 'Alt+J');
    await waitFor(async () => (await current()) === start, 'the previous conversation');
  });

  it('assigns, filters, closes and reopens', async () => {
    await page.getByRole('button', { name: 'Assign to me' }).click();
    await visibleWithin(page.getByText('assigned to you'));
    await page.getByRole('button', { name: 'Mine', exact: true }).click();
    await visibleWithin(conversationLink(ADA));
    await expect(conversationLink(BOB).count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'Unassigned', exact: true }).click();
    await visibleWithin(conversationLink(BOB));
    await expect(conversationLink(ADA).count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'All', exact: true }).click();

    await page.getByRole('button', { name: 'Close conversation' }).click();
    await visibleWithin(page.getByRole('button', { name: 'Reopen' }));
    await expect(conversationLink(ADA).count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'Closed', exact: true }).click();
    await visibleWithin(conversationLink(ADA));
    await page.getByRole('button', { name: 'Reopen' }).click();
    await visibleWithin(page.getByRole('button', { name: 'Close conversation' }));
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await visibleWithin(conversationLink(ADA));
  });

  it('signs out, and a reload stays signed out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await visibleWithin(page.getByLabel('Email'));
    await page.reload();
    await visibleWithin(page.getByLabel('Password'));
    await expect(conversations().count()).resolves.toBe(0);
  });
});
