/**
 * Debian's Chromium for the browser tests (`.ci/run` installs it with apt-get): whether it is
 * here, and the launch options that keep it quiet on a closed network.
 */
import { existsSync } from 'node:fs';

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Launch options for playwright-core's `chromium.launch()`: headless, no sandbox (CI runs as
 * root), and none of the background connections a closed network refuses.
 */
export const headlessChromiumLaunchOptions = {
  executablePath: CHROMIUM_PATH,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

/**
 * Whether a browser suite runs here. With `CI=true` a missing Chromium fails the suite (CI must
 * install it); elsewhere the suite is skipped with a printed notice naming the fix.
 * @throws Error when Chromium is missing and `CI=true`.
 */
export function chromiumAvailable(suite: string): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI === 'true') {
    throw new Error(`${CHROMIUM_PATH} is missing: apt-get install -y chromium`);
  }
  console.warn(`${suite}: ${CHROMIUM_PATH} is missing (apt-get install -y chromium); skipping`);
  return false;
}
