// The newcomer's night as the ground-truth oracle: `tieout demo` then `tieout report --format json`
// must recover exactly the planted breaks — every one in its bucket with its amount, no false alarm.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKETS } from '#shared/domain/classification.ts';
import { CHECK_CODES } from '#shared/domain/checks.ts';
import { tieout } from './support/cli.ts';

type Truth = { businessDate: string; asOf: string; orders: number; breaks: { id: string; code: string; bucket: string; amount: number; currency: string }[] };
const pick = (xs: { id: string; code: string; bucket: string; amount: number; currency: string }[]) =>
  xs.map(({ id, code, bucket, amount, currency }) => ({ id, code, bucket, amount, currency })).sort((a, b) => (a.id < b.id ? -1 : 1));

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.each([
  { orders: 60, seed: 7, days: 7 },
  { orders: 200, seed: 42, days: 7 },
  { orders: 120, seed: 2026, days: 4 },
])('tieout demo --orders $orders --seed $seed --days $days', ({ orders, seed, days }) => {
  let dir: string;
  let demo: Awaited<ReturnType<typeof tieout>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tieout-demo-'));
    dirs.push(dir);
    demo = await tieout(['demo', '--orders', String(orders), '--seed', String(seed), '--days', String(days)], { cwd: dir });
  }, 120_000);

  it('prints a report naming breaks of every code and every bucket, then what to try next', () => {
    expect(demo.code, demo.stderr).toBe(0);
    for (const code of CHECK_CODES) expect(demo.stdout).toContain(code);
    for (const title of ['Genuine errors', 'Mapping issues', 'Timing', 'Known and accepted']) expect(demo.stdout).toContain(title);
    expect(demo.stdout).toContain('npx tieout report --format json');
  });

  it('the report recovers exactly the planted breaks: each in its bucket with its amount, and no false alarm', async () => {
    const truth = JSON.parse(readFileSync(join(dir, '.tieout', 'demo-truth.json'), 'utf8')) as Truth;
    const r = await tieout(['report', '--format', 'json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.businessDate).toBe(truth.businessDate);
    expect(report.asOf).toBe(truth.asOf);
    expect(report.ordersChecked).toBe(truth.orders);
    expect(pick(report.exceptions)).toEqual(pick(truth.breaks));
    expect(new Set(truth.breaks.map((b) => b.code))).toEqual(new Set(CHECK_CODES));
    expect(new Set(truth.breaks.map((b) => b.bucket))).toEqual(new Set(BUCKETS));
  }, 60_000);
});

describe('running the demo twice', () => {
  it('starts afresh the second time, and refuses a data directory that is not a demo’s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tieout-demo-twice-'));
    dirs.push(dir);
    expect((await tieout(['demo', '--orders', '40'], { cwd: dir })).code).toBe(0);
    const again = await tieout(['demo', '--orders', '40'], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    const report = JSON.parse((await tieout(['report', '--format', 'json'], { cwd: dir })).stdout);
    const truth = JSON.parse(readFileSync(join(dir, '.tieout', 'demo-truth.json'), 'utf8')) as Truth;
    expect(pick(report.exceptions)).toEqual(pick(truth.breaks));
    const other = mkdtempSync(join(tmpdir(), 'tieout-demo-real-'));
    dirs.push(other);
    await tieout(['import', 'warehouse', 'x.csv'], { cwd: other });
    const refused = await tieout(['demo'], { cwd: other });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('holds data that is not a demo’s'.replace('’', "'"));
    const tooFew = await tieout(['demo', '--orders', '5'], { cwd: dir });
    expect(tooFew.code).toBe(2);
    expect(tooFew.stderr).toContain('--orders must be at least 40');
  }, 180_000);
});
