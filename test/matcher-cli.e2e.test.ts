// The matcher through its real entry points: `tieout match`, `tieout order`, `tieout replay`, `tieout serve`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteArchive } from '#shared/adapters/sqlite/archive.ts';
import { createSqliteEventBus } from '#shared/adapters/sqlite/event-bus.ts';
import { embeddedPaths } from '#shared/backend.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { MATCHER_SUBSCRIPTION } from '#shared/ports/event-bus.ts';
import { archiveAndPublish, canonicalEntry } from '../services/ingest/publish.ts';
import { at, shipment } from './support/builders.ts';
import { eventually, freePort, startTieout, tieout } from './support/cli.ts';
import { tiedOrder } from './support/scenarios.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tieout-e2e-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function publish(events: CanonicalEvent[]) {
  const paths = embeddedPaths(join(dir, '.tieout'));
  const bus = createSqliteEventBus({ path: paths.bus, subscriptions: [MATCHER_SUBSCRIPTION], maxAttempts: 10 });
  const archive = createSqliteArchive({ path: paths.archive });
  await archiveAndPublish({ bus, archive }, events.map(canonicalEntry));
  await bus.close();
  await archive.close();
}

const unshipped = () => tiedOrder('80213').filter((e) => e.kind !== 'shipment');

describe('tieout match / order / replay', () => {
  it('match drains the bus and says what it applied; order shows the sources, breaks and timeline', async () => {
    await publish([...unshipped(), ...tiedOrder('80214')]);
    const m = await tieout(['match'], { cwd: dir });
    expect(m.stderr).toBe('');
    expect(m.code).toBe(0);
    expect(m.stdout).toMatch(/^Applied 9 events to 2 orders in [\d.]+ s \(0 duplicates ignored, 0 provisional records merged into orders\)\.$/m);
    expect((await tieout(['match'], { cwd: dir })).stdout).toBe('Nothing pending on the bus.\n');

    const o = await tieout(['order', '#80213'], { cwd: dir });
    expect(o.code).toBe(0);
    expect(o.stdout).toContain('Order 80213');
    expect(o.stdout).toContain('#80213: paid; total $50.00');
    expect(o.stdout).toContain('pi_80213: succeeded; captured $50.00');
    expect(o.stdout).toContain('(no shipment)');
    expect(o.stdout).toMatch(/80213:captured_not_shipped \[genuine_error\] \$50\.00 at risk, open \d+d( \d+h)? \(window 48h\), owner fulfilment/);
    expect(o.stdout).toContain('Money was captured for the order but the 3PL has shipped nothing.');
    expect(o.stdout).toMatch(/Timeline\n {2}2026-11-20T10:00:00.000Z {2}shopify {3}storefront order #80213: paid, total \$50\.00/);

    const j = await tieout(['order', 'pi_80214', '--json'], { cwd: dir });
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ key: '80214', open: false, breaks: [] });

    const missing = await tieout(['order', '424242'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no order known as "424242"');

    const r = await tieout(['replay'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Replayed 9 payloads (9 events) into 2 orders');
    expect(r.stdout).toContain('Rebuilt state is identical to live state.');
    const one = await tieout(['replay', '--order', '80213', '--from', '2026-11-19', '--to', '2026-11-21'], { cwd: dir });
    expect(one.stdout).toContain('Rebuilt state is identical to live state.');
    // A heap too small for the replay thread: it says so, and replays again without the cap.
    const tight = await tieout(['replay', '--heap-mb', '8'], { cwd: dir });
    expect(tight.stderr).toContain('tieout replay: replay needed more than its 8 MB heap; running it again without the cap.');
    expect(tight.code).toBe(0);
    expect(tight.stdout).toContain('Rebuilt state is identical to live state.');
    const tiny = await tieout(['replay', '--heap-mb', '1'], { cwd: dir });
    expect(tiny.code).toBe(2);
    expect(tiny.stderr).toContain('must be a whole number of at least 8');
  }, 60_000);

  it('serve applies events as they arrive, answers the order API, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const token = 'e2e-token';
    await publish(unshipped());
    const srv = startTieout(['serve'], { cwd: dir, env: { PORT: String(port), TIEOUT_API_TOKEN: token } });
    try {
      const base = `http://127.0.0.1:${port}`;
      await eventually(async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined), 15_000, 'healthz');
      expect((await fetch(`${base}/orders/80213`)).status).toBe(401);
      const first = await eventually(async () => {
        const res = await fetch(`${base}/orders/80213`, { headers: { authorization: `Bearer ${token}` } });
        return res.ok ? ((await res.json()) as { breaks: { code: string }[] }) : undefined;
      }, 15_000, 'order 80213');
      expect(first.breaks.map((b) => b.code)).toEqual(['captured_not_shipped']);

      await publish([shipment({ order: '80213', at: at(30) })]);
      await eventually(async () => {
        const res = await fetch(`${base}/orders/80213`, { headers: { authorization: `Bearer ${token}` } });
        const view = (await res.json()) as { breaks: unknown[] };
        return view.breaks.length === 0 ? true : undefined;
      }, 15_000, 'the shipment to tie the order');
      expect((await fetch(`${base}/orders/nope`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
    } finally {
      srv.child.kill('SIGTERM');
    }
    expect(await srv.exited).toBe(0);
    expect(srv.output()).toContain('finishing the batch in hand');
    const bus = createSqliteEventBus({ path: embeddedPaths(join(dir, '.tieout')).bus, subscriptions: [MATCHER_SUBSCRIPTION], maxAttempts: 10 });
    expect(await bus.stats(MATCHER_SUBSCRIPTION)).toEqual({ pending: 0, leased: 0, deadLettered: 0 });
    await bus.close();
  }, 60_000);
});
