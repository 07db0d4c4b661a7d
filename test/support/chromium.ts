// Debian's Chromium driven by playwright-core for the browser tests. CI installs it (.ci/run); on a developer's
// machine without it the browser tests skip and say why, but under CI=true a missing browser fails them.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can (and must). */
export function chromiumMissing(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM_PATH} is missing under CI: .ci/run installs Debian's chromium`);
  return `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH): browser tests skipped`;
}

/** Quiet, reproducible, offline: no GPU, no QUIC, none of Chromium's own calls home. */
const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: LAUNCH_ARGS, headless: true, timeout: 30_000 });
}

/** A phone-sized window would hide layout faults on a desktop and vice versa; this is a small laptop. */
export async function newCustomerContext(browser: Browser): Promise<BrowserContext> {
  // The sandbox's dev CA is not in Chromium's store; the tests check the bank's TLS elsewhere (tls.test.ts).
  return browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1024, height: 800 }, locale: 'ja-JP' });
}

const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'test-results', 'screenshots');

/** Saves the whole page as test-results/screenshots/<name>.png (gitignored; CI keeps it as an artifact). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Every Content-Security-Policy violation the page reports, to assert there are none. */
export function collectPolicyViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

/**
 * Answers for a TPP whose host does not exist: every request to the redirect URI's origin gets a plain page, and
 * the last URL the bank sent the browser to there is kept, for the test to redeem as the TPP.
 */
export async function answerForTpp(context: BrowserContext, redirectUri: string): Promise<{ lastUrl(): string | undefined }> {
  let last: string | undefined;
  await context.route(`${new URL(redirectUri).origin}/**`, async (route) => {
    last = route.request().url();
    await route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: '<!DOCTYPE html><title>TPP</title><h1>Back at the TPP</h1>' });
  });
  return { lastUrl: () => last };
}
