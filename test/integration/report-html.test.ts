// The HTML report in a real browser: Debian's headless Chromium opens the file, and
// we check for real that an operator sees the verdict and the worst finding on the
// first screen, in the status colour, and that the page fetches nothing.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { buildReport, type Report } from '../../src/report/model.js';
import { STATUS_COLOURS, renderHtml } from '../../src/report/html.js';
import { makeTempDir, release, track } from '../harness/util.js';
import { GENERATED_AT, brokerInput, largeBrokerInput } from '../unit/report-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const VIEWPORT = { width: 1280, height: 900 };
// Flags that keep Chromium from phoning home or touching a profile it does not own.
const QUIET_FLAGS = ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function hexToRgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Share of the pixels in a rectangle within `tolerance` of `rgb` (per channel). */
function shareOfColour(png: PNG, rect: { x: number; y: number; w: number; h: number }, rgb: [number, number, number], tolerance = 6): number {
  let hit = 0;
  let all = 0;
  for (let y = rect.y; y < rect.y + rect.h && y < png.height; y++) {
    for (let x = rect.x; x < rect.x + rect.w && x < png.width; x++) {
      const i = (png.width * y + x) * 4;
      all++;
      if (Math.abs(png.data[i]! - rgb[0]) <= tolerance && Math.abs(png.data[i + 1]! - rgb[1]) <= tolerance && Math.abs(png.data[i + 2]! - rgb[2]) <= tolerance) hit++;
    }
  }
  return all ? hit / all : 0;
}

let dir: string;
let dirHandle: string;

function writeReport(name: string, report: Report): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, renderHtml(report));
  return file;
}

beforeAll(() => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (scripts/install-deps.sh does; or apt-get install --no-install-recommends chromium)`);
  }
  dir = makeTempDir('report-html');
  dirHandle = track({ kind: 'dir', path: dir });
});

afterAll(() => {
  // WARREN_KEEP_SCREENSHOTS=<dir> keeps the screenshots for a person to look at.
  const keep = process.env.WARREN_KEEP_SCREENSHOTS;
  if (keep && dir) {
    fs.mkdirSync(keep, { recursive: true });
    for (const f of fs.readdirSync(dir)) if (f.endsWith('.png') || f.endsWith('.html')) fs.copyFileSync(path.join(dir, f), path.join(keep, f));
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  if (dirHandle) release(dirHandle);
});

describe('HTML report in headless Chromium (command line)', () => {
  it('renders a screenshot whose top is the critical banner colour', async () => {
    const html = writeReport('critical-cli.html', buildReport([brokerInput()], GENERATED_AT));
    const shot = path.join(dir, 'critical-cli.png');
    const profile = path.join(dir, 'profile-cli');
    await promisify(execFile)(
      CHROMIUM,
      ['--headless', '--no-sandbox', ...QUIET_FLAGS, `--user-data-dir=${profile}`, `--screenshot=${shot}`, '--window-size=1280,1600', pathToFileURL(html).href],
      { timeout: 60_000 },
    );
    const png = PNG.sync.read(fs.readFileSync(shot));
    expect([png.width, png.height]).toEqual([1280, 1600]);
    // The banner spans the page width at the top: most of its pixels are the status colour
    // (the rest is the white verdict text).
    expect(shareOfColour(png, { x: 0, y: 0, w: 1280, h: 60 }, hexToRgb(STATUS_COLOURS.critical.bg))).toBeGreaterThan(0.7);
    // And below it the page is not that colour (the banner is a banner, not the whole page).
    expect(shareOfColour(png, { x: 0, y: 1400, w: 1280, h: 200 }, hexToRgb(STATUS_COLOURS.critical.bg))).toBeLessThan(0.05);
  });
});

describe('HTML report in headless Chromium (playwright-core, no downloaded browser)', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, chromiumSandbox: false, args: QUIET_FLAGS, timeout: 60_000 });
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function open(file: string): Promise<{ page: Page; requests: string[] }> {
    const page = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1 });
    const requests: string[] = [];
    const url = pathToFileURL(file).href;
    page.on('request', (r) => {
      if (r.url() !== url) requests.push(r.url());
    });
    await page.goto(url, { waitUntil: 'load' });
    return { page, requests };
  }

  /** The element is rendered, on the first screen, and on top at its centre (nothing covers it). */
  async function expectOnFirstScreen(page: Page, selector: string): Promise<void> {
    const el = page.locator(selector).first();
    expect(await el.isVisible(), selector).toBe(true);
    const box = (await el.boundingBox())!;
    expect(box.y, selector).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height, selector).toBeLessThanOrEqual(VIEWPORT.height);
    expect(box.x + box.width, selector).toBeLessThanOrEqual(VIEWPORT.width);
    const onTop = await page.evaluate(
      ([sel, x, y]) => {
        const target = document.querySelector(sel as string);
        const hit = document.elementFromPoint(x as number, y as number);
        return !!target && !!hit && target.contains(hit);
      },
      [selector, box.x + box.width / 2, box.y + box.height / 2] as const,
    );
    expect(onTop, `${selector} covered`).toBe(true);
  }

  it('shows the status and the critical findings on the first screen, fetching nothing', async () => {
    const file = writeReport('critical.html', buildReport([brokerInput()], GENERATED_AT));
    const { page, requests } = await open(file);
    try {
      await expectOnFirstScreen(page, '#status');
      expect(await page.locator('#status .verdict').innerText()).toBe('CRITICAL');
      expect(await page.locator('#status').evaluate((e) => getComputedStyle(e).backgroundColor)).toBe(
        `rgb(${hexToRgb(STATUS_COLOURS.critical.bg).join(', ')})`,
      );

      // Both critical findings, with subject, summary and remedy, without scrolling.
      await expectOnFirstScreen(page, 'tr.finding[data-rule="memory-alarm"]');
      await expectOnFirstScreen(page, 'tr.finding[data-rule="openstack-host-queue-unconsumed"]');
      const first = page.locator('tr.finding').first();
      expect(await first.getAttribute('data-rule')).toBe('memory-alarm');
      const text = await first.innerText();
      expect(text).toContain('CRITICAL');
      expect(text).toContain('rabbit@ctl-1');
      expect(text).toContain('Memory alarm on rabbit@ctl-1');
      expect(text).toContain('Drain the largest queues');

      // The banner as the browser painted it is the status colour.
      const banner = PNG.sync.read(await page.locator('#status').screenshot());
      expect(shareOfColour(banner, { x: 0, y: 0, w: banner.width, h: banner.height }, hexToRgb(STATUS_COLOURS.critical.bg))).toBeGreaterThan(0.7);

      // Charts were drawn: sparklines and headroom bars have a size on screen.
      const sparkBox = await page.locator('svg.spark').first().boundingBox();
      expect(sparkBox && sparkBox.width > 50 && sparkBox.height > 10).toBe(true);
      expect(await page.locator('svg.headroom[data-level="critical"]').count()).toBe(1);

      // No horizontal scrolling at a laptop width.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(VIEWPORT.width);
      await page.screenshot({ path: path.join(dir, 'critical.png'), fullPage: true });
      expect(requests).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('shows an unreachable broker as UNKNOWN in its own colour', async () => {
    const file = writeReport(
      'unknown.html',
      buildReport([{ target: 'edge', url: 'http://10.9.9.9:15672', samples: [], findings: [], view: null, error: 'connect ECONNREFUSED 10.9.9.9:15672' }], GENERATED_AT),
    );
    const { page, requests } = await open(file);
    try {
      await expectOnFirstScreen(page, '#status');
      expect(await page.locator('#status .verdict').innerText()).toBe('UNKNOWN');
      await expectOnFirstScreen(page, 'tr.finding[data-rule="broker-unreachable"]');
      expect(await page.locator('tr.finding').first().innerText()).toContain('ECONNREFUSED');
      const banner = PNG.sync.read(await page.locator('#status').screenshot());
      expect(shareOfColour(banner, { x: 0, y: 0, w: banner.width, h: banner.height }, hexToRgb(STATUS_COLOURS.unknown.bg))).toBeGreaterThan(0.7);
      await page.screenshot({ path: path.join(dir, 'unknown.png'), fullPage: true });
      expect(requests).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('keeps a 10k-queue report readable: the critical finding first, lists cut short', async () => {
    const file = writeReport('large.html', buildReport([largeBrokerInput()], GENERATED_AT));
    const { page } = await open(file);
    try {
      await expectOnFirstScreen(page, '#status');
      await expectOnFirstScreen(page, 'tr.finding[data-rule="memory-alarm"]');
      expect(await page.locator('table.queues tbody tr').count()).toBe(20);
      expect(await page.getByText('… and 9,980 more queues').count()).toBe(1);
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      expect(height).toBeLessThan(VIEWPORT.height * 6);
      await page.screenshot({ path: path.join(dir, 'large.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });
});
