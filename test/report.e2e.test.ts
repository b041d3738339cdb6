// The nightly report through the real entry points: report, --post (once per night), accept, rules check.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteArchive } from '#shared/adapters/sqlite/archive.ts';
import { createSqliteEventBus } from '#shared/adapters/sqlite/event-bus.ts';
import { embeddedPaths } from '#shared/backend.ts';
import { MATCHER_SUBSCRIPTION } from '#shared/ports/event-bus.ts';
import { archiveAndPublish, canonicalEntry } from '../services/ingest/publish.ts';
import { tieout } from './support/cli.ts';
import { FIRING, tiedOrder } from './support/scenarios.ts';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tieout-report-'));
  writeFileSync(join(dir, 'tieout.rules.yaml'), '# Reviewed edge cases.\nrules: []\n');
  const paths = embeddedPaths(join(dir, '.tieout'));
  const bus = createSqliteEventBus({ path: paths.bus, subscriptions: [MATCHER_SUBSCRIPTION], maxAttempts: 10 });
  const archive = createSqliteArchive({ path: paths.archive });
  await archiveAndPublish({ bus, archive }, [...tiedOrder('2001'), ...FIRING.captured_not_shipped.events()].map(canonicalEntry));
  await bus.close();
  await archive.close();
  expect((await tieout(['match'], { cwd: dir })).code).toBe(0);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tieout report / accept', () => {
  it('prints the night as text and as the JSON contract, recording nothing', async () => {
    const text = await tieout(['report', '--date', '2026-11-25'], { cwd: dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('tieout — nightly report for 2026-11-25');
    expect(text.stdout).toContain('1001:captured_not_shipped');
    const json = JSON.parse((await tieout(['report', '--date', '2026-11-25', '--format', 'json'], { cwd: dir })).stdout);
    expect(json).toMatchObject({ businessDate: '2026-11-25', asOf: '2026-11-26T06:00:00.000Z', ordersChecked: 2, clean: false, narration: 'template' });
    expect(json.exceptions).toEqual([expect.objectContaining({ id: '1001:captured_not_shipped', bucket: 'genuine_error', amount: 5000, currency: 'USD', status: 'new', nights: 1, rule: null })]);
    expect(existsSync(join(dir, '.tieout', 'reports'))).toBe(false);
    const md = await tieout(['report', '--date', '2026-11-25', '--format', 'markdown'], { cwd: dir });
    expect(md.stdout).toMatch(/^# tieout — 2026-11-25/);
    const slack = JSON.parse((await tieout(['report', '--date', '2026-11-25', '--format', 'slack'], { cwd: dir })).stdout);
    expect(slack.digest.blocks.length).toBeGreaterThan(0);
  }, 60_000);

  it('--post posts once per business date (files without Slack) and records the run; --force posts again', async () => {
    const first = await tieout(['report', '--date', '2026-11-25', '--post'], { cwd: dir });
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/Posted to file:.*2026-11-25\.md; recorded as run-2026-11-25-/);
    expect(readFileSync(join(dir, '.tieout', 'reports', '2026-11-25.md'), 'utf8')).toContain('1001:captured_not_shipped');
    expect(JSON.parse(readFileSync(join(dir, '.tieout', 'reports', '2026-11-25.json'), 'utf8')).businessDate).toBe('2026-11-25');
    const again = await tieout(['report', '--date', '2026-11-25', '--post'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('');
    expect(again.stderr).toContain('2026-11-25 was already posted');
    const forced = await tieout(['report', '--date', '2026-11-25', '--post', '--force'], { cwd: dir });
    expect(forced.stderr).toContain('Posted to file:');
    const order = await tieout(['order', '1001'], { cwd: dir });
    expect(order.stdout).toMatch(/What past reports said\n {2}2026-11-25 {2}1001:captured_not_shipped \[genuine_error\]/);
  }, 60_000);

  it('accept writes a rule (comments kept); the next report has it known_accepted with one hit', async () => {
    const a = await tieout(['accept', '1001:captured_not_shipped', '--reason', 'Pre-order, ships in January', '--expires', '2027-01-31'], { cwd: dir });
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('Accepted 1001:captured_not_shipped as rule accept-1001-captured_not_shipped (owner fulfilment, until 2027-01-31)');
    const file = readFileSync(join(dir, 'tieout.rules.yaml'), 'utf8');
    expect(file).toMatch(/^# Reviewed edge cases\./);
    expect(file).toContain('exception: 1001:captured_not_shipped');
    const again = await tieout(['accept', '1001:captured_not_shipped', '--reason', 'twice'], { cwd: dir });
    expect(again.stdout).toContain('already accepted by rule accept-1001-captured_not_shipped');

    const r = await tieout(['report', '--date', '2026-11-26', '--post', '--format', 'json'], { cwd: dir });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.clean).toBe(true);
    expect(json.exceptions).toEqual([expect.objectContaining({ id: '1001:captured_not_shipped', bucket: 'known_accepted', rule: 'accept-1001-captured_not_shipped', status: 'recurring', nights: 2 })]);
    expect(json.ruleHits).toEqual([{ rule: 'accept-1001-captured_not_shipped', hits: 1 }]);
    const check = await tieout(['rules', 'check'], { cwd: dir });
    expect(check.stdout).toContain('1 hit(s) on 2026-11-26');
    const bad = await tieout(['accept', '1001:no_such_check', '--reason', 'x'], { cwd: dir });
    expect(bad.code).toBe(2);
  }, 60_000);
});
