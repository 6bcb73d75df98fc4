import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import type { ApiHarness } from './api-harness';

/** Debian's Chromium: Playwright's own browser builds cannot be downloaded on these machines. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

// Some functions below run inside the page: the tests compile without the DOM's types.
declare const window: any;
declare const document: any;
declare function getComputedStyle(element: unknown): { outlineStyle: string };

const AXE_SOURCE = join(__dirname, '..', '..', 'node_modules', 'axe-core', 'axe.min.js');
const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * One headless Chromium for a test file. A missing browser fails the file, under CI and
 * elsewhere alike: a page test that skips itself would pass without testing anything.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: apt-get install chromium (see .ci/run)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
    ],
  });
}

export interface AgentCredentials {
  id: string;
  email: string;
  name: string;
  password: string;
}

let agentCount = 0;

/** An agent created through the API, with the password to sign in with. */
export async function createAgent(
  api: ApiHarness,
  fields: { name?: string; role?: 'admin' | 'agent' } = {},
): Promise<AgentCredentials> {
  const email = `agent-${process.pid}-${Date.now()}-${++agentCount}@shop.example.com`;
  const password = 'correct horse battery staple';
  const name = fields.name ?? 'Grace Hopper';
  const response = await api.request('POST', '/api/agents', {
    email,
    name,
    password,
    role: fields.role ?? 'agent',
  });
  if (response.status !== 201) throw new Error(`agent not created: ${response.text}`);
  return { id: response.body.id, email, name, password };
}

/** Signs in through the page's own form, as a person would. */
export async function signIn(page: Page, agent: AgentCredentials): Promise<void> {
  await page.getByLabel('Email').fill(agent.email);
  await page.getByLabel('Password').fill(agent.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Conversations' }).waitFor();
}

/** axe-core's WCAG 2.1 A and AA rules over the page as it is now; the violations, summarised. */
export async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, so the page's Content-Security-Policy allows it.
  await page.evaluate(readFileSync(AXE_SOURCE, 'utf8'));
  const violations = await page.evaluate(async (tags) => {
    const axe = (window as any).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return result.violations.map(
      (v: any) => `${v.id}: ${v.help} (${v.nodes.map((n: any) => n.target.join(' ')).join(', ')})`,
    );
  }, WCAG_21_AA);
  return violations;
}

/** Whether the one element the locator finds holds the focus (two matches fail, never `false`). */
export function hasFocus(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => element === document.activeElement);
}

/** The focused element as `TAG:name`, for a failure message that says where the focus went. */
export function focusedElement(page: Page): Promise<string> {
  return page.evaluate(() => {
    const element = document.activeElement;
    const name = element?.getAttribute('aria-label') ?? element?.textContent ?? '';
    return `${element?.tagName}:${name.trim().slice(0, 40)}`;
  });
}

/** The outline a focused element draws (`none` would be focus nobody can see). */
export function outlineStyle(locator: Locator): Promise<string> {
  return locator.evaluate((element) => getComputedStyle(element).outlineStyle);
}

/**
 * Milliseconds from the start of the navigation until the list shows `count` conversations whose
 * text holds `text` (the customers' names arrive after the list itself).
 */
export async function conversationsShownAfter(
  page: Page,
  count: number,
  text: string,
): Promise<number> {
  const shownAt = await page.waitForFunction(
    ({ wanted, holding }) =>
      [...document.querySelectorAll('nav[aria-label="Conversations"] a')].filter((link: any) =>
        link.textContent.includes(holding),
      ).length >= wanted && performance.now(),
    { wanted: count, holding: text },
    { polling: 'raf', timeout: 15_000 },
  );
  return Math.round((await shownAt.jsonValue()) as number);
}
