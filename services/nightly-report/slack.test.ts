// The Slack rendering and notifier: golden Block Kit, Slack's limits, and posting through the official client to a local server.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckCode } from '#shared/domain/checks.ts';
import type { Classified } from '#shared/domain/classification.ts';
import { allTiedLine, buildReport, type PreviousException, type Report } from '#shared/domain/report.ts';
import { silentLogger } from '#shared/log.ts';
import { renderSlack, SLACK_LIMITS, type SlackMessage } from './render-slack.ts';
import { createSlackNotifier, SlackPostError } from './slack-notifier.ts';
import { classifiedBreak, type BreakSpec } from '../../test/support/classified.ts';

const BUSINESS_DATE = '2026-11-25';
const AS_OF = '2026-11-26T06:00:00.000Z';
const TOKEN = 'xoxb-test';
const CHANNEL = 'C0RECON';

// ---------------------------------------------------------------------------------------------
// Report builders: hand-made classified breaks through the real buildReport.

const classified = (s: BreakSpec): Classified => classifiedBreak(s, AS_OF);

const previous = (id: string, nights: number, amount = 1_000): PreviousException => {
  const [orderKey, code] = [id.slice(0, id.lastIndexOf(':')), id.slice(id.lastIndexOf(':') + 1)];
  return { id, orderKey, code, bucket: 'genuine_error', amount, currency: 'USD', nights };
};

const OWNER_HANDLES = { payments: '<!subteam^S0123>', fulfilment: '@fulfilment-team', finance: '<!subteam^S0456|@finance>' };

function night(specs: readonly BreakSpec[], extra: { previous?: PreviousException[]; narratives?: Map<string, string>; quarantined?: number; deadLettered?: number; ruleHits?: [string, number][] } = {}): Report {
  return buildReport(
    {
      businessDate: BUSINESS_DATE,
      asOf: AS_OF,
      runId: 'run-2026-11-25-20261126T061500Z',
      ordersChecked: 12_480,
      classified: specs.map(classified),
      previous: extra.previous ?? [],
      ruleHits: new Map(extra.ruleHits ?? []),
      ownerHandles: OWNER_HANDLES,
      escalation: { amount: 100_000, ageHours: 168 },
      quarantined: extra.quarantined ?? 0,
      deadLettered: extra.deadLettered ?? 0,
    },
    extra.narratives ?? new Map(),
  );
}

/** A realistic night: every bucket, every mapping cause, escalations, owners with and without handles. */
function realisticNight(): Report {
  return night(
    [
      { key: '80177', code: 'duplicate_capture', bucket: 'genuine_error', amount: 129_900, ageHours: 30, expected: 129_900, actual: 259_800 },
      { key: '80213', code: 'captured_not_shipped', bucket: 'genuine_error', amount: 18_950, ageHours: 88 },
      { key: '80222', code: 'not_booked', bucket: 'genuine_error', amount: 7_420, ageHours: 61, currency: 'EUR' },
      { key: '80150', code: 'shipped_after_cancel', bucket: 'genuine_error', amount: 6_000, ageHours: 200, facts: { cancelledAt: '2026-11-17T20:00:00.000Z' } },
      { key: '80201', code: 'refund_missing_in_storefront', bucket: 'genuine_error', amount: 4_999, ageHours: 50 },
      { key: '80240', code: 'dispute_open', bucket: 'genuine_error', amount: 3_200, ageHours: 12 },
      { key: '80190', code: 'capture_mismatch', bucket: 'genuine_error', amount: 2_500, ageHours: 75, expected: 42_000, actual: 39_500 },
      { key: 'stripe:pi_3Q9xYzAbC', code: 'orphan_payment', bucket: 'mapping', cause: 'orphan', amount: 15_000, ageHours: 40 },
      { key: 'shipbob:SB-55102', code: 'orphan_shipment', bucket: 'mapping', cause: 'orphan', amount: 0, currency: 'XXX', ageHours: 36 },
      { key: '80199', code: 'currency_mismatch', bucket: 'mapping', cause: 'currency', amount: 12_000, currency: 'CAD', ageHours: 26, facts: { processorCurrency: 'CAD', storefrontCurrency: 'USD' } },
      { key: '80205', code: 'booking_mismatch', bucket: 'mapping', cause: 'decimal_shift', amount: 445_500, ageHours: 55, expected: 4_500, actual: 450_000 },
      { key: '80260', code: 'captured_not_shipped', bucket: 'timing', amount: 5_400, ageHours: 20 },
      { key: '80261', code: 'captured_not_shipped', bucket: 'timing', amount: 2_100, ageHours: 31.5 },
      { key: '80262', code: 'not_booked', bucket: 'timing', amount: 900, ageHours: 10 },
      { key: '80263', code: 'refund_missing_in_processor', bucket: 'timing', amount: 1_500, ageHours: 5 },
      { key: '80270', code: 'quantity_mismatch', bucket: 'known_accepted', rule: 'shipbob-bundle-skus', amount: 1_200, ageHours: 80 },
      { key: '80271', code: 'quantity_mismatch', bucket: 'known_accepted', rule: 'shipbob-bundle-skus', amount: 800, ageHours: 90 },
      { key: '80272', code: 'capture_mismatch', bucket: 'known_accepted', rule: 'stripe-fx-rounding', amount: 1, ageHours: 20 },
    ],
    {
      previous: [previous('80190:capture_mismatch', 2), previous('80213:captured_not_shipped', 1), previous('80100:not_booked', 3), previous('80101:payment_missing', 1)],
      // A model narrative carrying text Slack would otherwise read as markup: a broadcast and a tag.
      narratives: new Map([['80240:dispute_open', 'A customer disputed $32.00 on order 80240 ("Tom & Jerry <b>mug</b>", <!channel>); it needs a response by Dec 2.']]),
      quarantined: 2,
      deadLettered: 1,
      ruleHits: [['shipbob-bundle-skus', 2], ['stripe-fx-rounding', 1], ['old-gift-card-rule', 0]],
    },
  );
}

const cleanNight = (accepted = false) =>
  night(accepted ? [{ key: '80270', code: 'quantity_mismatch', bucket: 'known_accepted', rule: 'shipbob-bundle-skus', amount: 1_200, ageHours: 80 }] : []);

// ---------------------------------------------------------------------------------------------
// Slack's limits and golden files.

type AnyBlock = { type: string; text?: { type: string; text: string }; fields?: { text: string }[]; elements?: { text: string }[] };

/** Every way one message could break Slack's limits, as messages (empty when within them). */
function limitViolations(m: SlackMessage): string[] {
  const out: string[] = [];
  const blocks = m.blocks as AnyBlock[];
  if (m.text.length === 0 || m.text.length > SLACK_LIMITS.notificationText) out.push(`notification text length ${m.text.length}`);
  if (blocks.length === 0 || blocks.length > SLACK_LIMITS.blocksPerMessage) out.push(`${blocks.length} blocks`);
  const size = Buffer.byteLength(JSON.stringify(blocks), 'utf8');
  if (size > SLACK_LIMITS.messageBytes) out.push(`blocks are ${size} bytes`);
  for (const b of blocks) {
    if (b.type === 'header' && (!b.text || b.text.text.length > SLACK_LIMITS.headerText)) out.push(`header of ${b.text?.text.length}`);
    if (b.type === 'section' && b.text && (b.text.text.length === 0 || b.text.text.length > SLACK_LIMITS.sectionText)) out.push(`section text of ${b.text.text.length}`);
    if (b.type === 'section' && b.fields && (b.fields.length > SLACK_LIMITS.fieldsPerSection || b.fields.some((f) => f.text.length > SLACK_LIMITS.fieldText))) out.push('fields');
    if (b.type === 'context' && (!b.elements || b.elements.length > 10 || b.elements.some((e) => e.text.length > SLACK_LIMITS.contextText))) out.push('context');
  }
  return out;
}

const allText = (ms: readonly SlackMessage[]) =>
  ms
    .flatMap((m) => m.blocks as AnyBlock[])
    .flatMap((b) => [b.text?.text ?? '', ...(b.fields ?? []).map((f) => f.text), ...(b.elements ?? []).map((e) => e.text)])
    .join('\n');

function expectGolden(name: string, value: unknown) {
  const file = fileURLToPath(new URL(`./__golden__/${name}`, import.meta.url));
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(fileURLToPath(new URL('./__golden__/', import.meta.url)), { recursive: true });
    writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  }
  if (!existsSync(file)) throw new Error(`golden file ${name} is missing: run the test once with UPDATE_GOLDEN=1 and review it`);
  expect(value).toEqual(JSON.parse(readFileSync(file, 'utf8')));
}

// ---------------------------------------------------------------------------------------------
// A local Slack Web API that records every request.

type Seen = { readonly httpMethod: string; readonly method: string; readonly auth: string | undefined; readonly params: Record<string, string>; readonly at: number };
type Reply = { status: number; headers?: Record<string, string>; body?: unknown } | 'hang' | undefined;

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

/** Answers `{ ok: true, ts, channel }` with increasing ts unless `script` says otherwise for a request. */
async function fakeSlack(script: (seen: Seen, index: number) => Reply = () => undefined) {
  const requests: Seen[] = [];
  let posted = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const seen: Seen = { httpMethod: req.method ?? '', method: (req.url ?? '').replace(/^\/api\//, ''), auth: req.headers.authorization, params, at: Date.now() };
      requests.push(seen);
      const reply = script(seen, requests.length - 1);
      if (reply === 'hang') return;
      if (reply) {
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(JSON.stringify(reply.body ?? { ok: false, error: 'scripted' }));
        return;
      }
      posted += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, channel: params['channel'], ts: `1764136800.${String(posted).padStart(6, '0')}` }));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/api/`, requests };
}

const notifier = (slackApiUrl: string, extra: { minIntervalMs?: number; timeoutMs?: number } = {}) =>
  createSlackNotifier({ token: TOKEN, channel: CHANNEL, slackApiUrl, log: silentLogger(), minIntervalMs: 0, ...extra });

// ---------------------------------------------------------------------------------------------

describe('renderSlack', () => {
  it('renders a realistic night as the golden digest and thread, within every limit', () => {
    const rendered = renderSlack(realisticNight());
    expectGolden('slack-night.json', rendered);
    for (const m of [rendered.digest, ...rendered.thread]) expect(limitViolations(m)).toEqual([]);
  });

  it('leads the digest with the header, summary, counts, top five genuine errors (escalated first) and a pointer to the thread', () => {
    const report = realisticNight();
    const { digest } = renderSlack(report);
    const blocks = digest.blocks as AnyBlock[];
    expect(blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'section', 'context']);
    expect(blocks[0]?.text?.text).toBe('tieout — 2026-11-25');
    expect(blocks[1]?.text?.text).toBe(report.summary.replace(/&/g, '&amp;'));
    expect(digest.text).toBe(blocks[1]?.text?.text);
    expect(blocks[2]?.fields?.map((f) => f.text)).toEqual(['*Genuine errors*\n7', '*Mapping issues*\n4', '*Timing*\n4', '*Known and accepted*\n3', '*At risk*\nCA$120.00\n€74.20\n$6,260.49']);
    const top = (blocks[3]?.text?.text ?? '').split('\n');
    expect(top[0]).toBe('*Top genuine errors* (5 of 7)');
    expect(top.slice(1)).toHaveLength(5);
    // Escalated first: 80177 by amount, 80150 by age; then the rest in report order, largest first.
    expect(top[1]).toMatch(/^• :rotating_light: .*80177.* — <!subteam\^S0123>$/);
    expect(top[2]).toMatch(/^• :rotating_light: .*80150.* — @fulfilment-team$/);
    expect(top[3]).toMatch(/^• (?!:rotating_light:).*80222.* — <!subteam\^S0456\|@finance>$/);
    expect(top[4]).toMatch(/^• (?!:rotating_light:).*80213.* — @fulfilment-team$/);
    expect(top[5]).toMatch(/80201.* — support$/);
    expect(blocks[4]?.elements?.[0]?.text).toBe('Full detail in the thread.');
  });

  it('puts every genuine error and mapping issue in the thread with amount, age, history and owner, grouped by cause', () => {
    const report = realisticNight();
    const text = allText(renderSlack(report).thread);
    for (const e of report.exceptions.filter((x) => x.bucket === 'genuine_error' || x.bucket === 'mapping')) expect(text).toContain(`\`${e.id}\``);
    expect(text).toContain('`80190:capture_mismatch` · $25.00 at risk · open 3d 3h · recurring for 3 nights · owner <!subteam^S0123>');
    expect(text).toContain('`80177:duplicate_capture` · $1,299.00 at risk · open 30h · new tonight · owner <!subteam^S0123>');
    const order = ['*Genuine errors (7)', '*Mapping issues: records tied to no storefront order (2)*', '*Mapping issues: currencies that differ (1)*', '*Mapping issues: amounts off by an exact power of ten (1)*', '*Timing (4)', '*Known and accepted (3)*', '*Resolved since last night (2)*', '*Ingest health*'];
    const at = order.map((h) => text.indexOf(h));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(text).toContain('• `captured_not_shipped`: 2, oldest open 32h');
    expect(text).toContain('• rule `shipbob-bundle-skus`: 2');
    expect(text).toContain('`80100:not_booked`, `80101:payment_missing`');
    expect(text).toContain('2 authentic payloads in quarantine');
    expect(text).toContain('1 message dead-lettered');
  });

  it('escapes &, < and > in text from records and the model, but not owner handles (they are mentions)', () => {
    const rendered = renderSlack(realisticNight());
    const text = allText([rendered.digest, ...rendered.thread]);
    expect(text).toContain('"Tom &amp; Jerry &lt;b&gt;mug&lt;/b&gt;", &lt;!channel&gt;');
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<b>');
    expect(text).toContain('<!subteam^S0123>');
    expect(text).toContain('<!subteam^S0456|@finance>');
  });

  it('renders a clean night as exactly the all-tied line, with no thread', () => {
    const rendered = renderSlack(cleanNight());
    const line = allTiedLine(BUSINESS_DATE, 12_480);
    expect(rendered).toEqual({ digest: { text: line, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: line } }] }, thread: [] });
    expectGolden('slack-clean.json', rendered);
  });

  it('adds one context line counting known-and-accepted exceptions per rule on a clean night, still with no thread', () => {
    const rendered = renderSlack(cleanNight(true));
    expect(rendered.thread).toEqual([]);
    expect(rendered.digest.text).toBe(allTiedLine(BUSINESS_DATE, 12_480));
    expect(rendered.digest.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: allTiedLine(BUSINESS_DATE, 12_480) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Known and accepted: 1 — rule `shipbob-bundle-skus`: 1' }] },
    ]);
  });

  it('splits a night of 400 exceptions into several thread messages, none over the limits, nothing dropped', () => {
    const specs: BreakSpec[] = [];
    for (let i = 0; i < 400; i++) {
      const key = String(90_000 + i);
      if (i % 3 === 0) specs.push({ key: `stripe:pi_${key}`, code: 'orphan_payment', bucket: 'mapping', cause: 'orphan', amount: 1_000 + i, ageHours: 30 + i });
      else specs.push({ key, code: i % 2 ? 'captured_not_shipped' : 'not_booked', bucket: 'genuine_error', amount: 5_000 + i * 7, ageHours: 50 + i });
    }
    // One narrative far longer than a section, full of characters that grow when escaped.
    const long = Array.from({ length: 1_200 }, (_, i) => `w${i}&`).join(' ');
    const report = night(specs, {
      narratives: new Map([['90001:captured_not_shipped', long]]),
      previous: Array.from({ length: 300 }, (_, i) => previous(`70${String(i).padStart(3, '0')}:not_booked`, 1)),
    });
    const { digest, thread } = renderSlack(report);
    expect(thread.length).toBeGreaterThan(3);
    for (const m of [digest, ...thread]) expect(limitViolations(m)).toEqual([]);
    const text = allText(thread);
    for (const e of report.exceptions) expect(text).toContain(`\`${e.id}\``);
    for (const r of report.resolved) expect(text).toContain(`\`${r.id}\``);
    for (let i = 0; i < 1_200; i++) expect(text).toContain(`w${i}&amp;`);
    expect(text).toContain('(continued)*');
    expect(thread.map((m) => m.text)).toEqual(thread.map((_, i) => `tieout — 2026-11-25: detail, part ${i + 1} of ${thread.length}`));
  });
});

describe('createSlackNotifier', () => {
  it('posts the digest, then every thread message under its ts, with the bot token, once each', async () => {
    const slack = await fakeSlack();
    const report = realisticNight();
    const rendered = renderSlack(report);
    const result = await notifier(slack.url).post(report);
    const [first, ...rest] = slack.requests;
    expect(slack.requests).toHaveLength(1 + rendered.thread.length);
    expect(result).toEqual({ postedTo: `slack:${CHANNEL}:1764136800.000001` });
    for (const r of slack.requests) {
      expect(r).toMatchObject({ httpMethod: 'POST', method: 'chat.postMessage', auth: `Bearer ${TOKEN}` });
      expect(r.params['channel']).toBe(CHANNEL);
    }
    expect(first?.params['thread_ts']).toBeUndefined();
    expect(first?.params['text']).toBe(rendered.digest.text);
    expect(JSON.parse(first?.params['blocks'] ?? 'null')).toEqual(rendered.digest.blocks);
    rest.forEach((r, i) => {
      expect(r.params['thread_ts']).toBe('1764136800.000001');
      expect(JSON.parse(r.params['blocks'] ?? 'null')).toEqual(rendered.thread[i]?.blocks);
    });
  });

  it('posts a clean night as one message with no thread', async () => {
    const slack = await fakeSlack();
    await notifier(slack.url).post(cleanNight());
    expect(slack.requests).toHaveLength(1);
    expect(slack.requests[0]?.params['text']).toBe(allTiedLine(BUSINESS_DATE, 12_480));
  });

  it('posts every message of a 400-exception night in order, each thread message under the digest', async () => {
    const specs: BreakSpec[] = Array.from({ length: 400 }, (_, i) => ({ key: String(90_000 + i), code: 'captured_not_shipped', bucket: 'genuine_error', amount: 5_000 + i, ageHours: 60 }));
    const report = night(specs);
    const slack = await fakeSlack();
    await notifier(slack.url).post(report);
    const thread = renderSlack(report).thread;
    expect(slack.requests).toHaveLength(1 + thread.length);
    expect(slack.requests.slice(1).every((r) => r.params['thread_ts'] === '1764136800.000001')).toBe(true);
    expect(slack.requests.slice(1).map((r) => r.params['text'])).toEqual(thread.map((m) => m.text));
  });

  it('paces posts to the channel (about one a second by default)', async () => {
    const slack = await fakeSlack();
    await notifier(slack.url, { minIntervalMs: 250 }).post(realisticNight());
    const times = slack.requests.map((r) => r.at);
    expect(times.length).toBeGreaterThan(1);
    for (let i = 1; i < times.length; i++) expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(240);
  });

  it('waits out a 429 Retry-After and posts the digest exactly once', async () => {
    const slack = await fakeSlack((_, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '1' }, body: { ok: false, error: 'ratelimited' } } : undefined));
    const started = Date.now();
    const result = await notifier(slack.url).post(cleanNight());
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(slack.requests).toHaveLength(2); // one refused, one posted
    expect(result.postedTo).toBe(`slack:${CHANNEL}:1764136800.000001`);
  });

  it('does not retry a digest whose post failed with a 5xx: the outcome is unknown', async () => {
    const slack = await fakeSlack(() => ({ status: 500, body: 'oops' }));
    const error = await notifier(slack.url).post(realisticNight()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SlackPostError);
    expect((error as SlackPostError).outcome).toBe('unknown');
    expect((error as Error).message).toMatch(/may or may not have been posted/);
    expect((error as Error).message).toMatch(/outcome is unknown/);
    expect((error as Error).message).not.toContain(TOKEN);
    expect(slack.requests).toHaveLength(1);
  });

  it('does not retry a post that timed out: the outcome is unknown', async () => {
    const slack = await fakeSlack(() => 'hang');
    await expect(notifier(slack.url, { timeoutMs: 200 }).post(cleanNight())).rejects.toThrow(/may or may not have been posted/);
    expect(slack.requests).toHaveLength(1);
  });

  it('reports a refused digest (ok: false) as not posted, without retrying', async () => {
    const slack = await fakeSlack(() => ({ status: 200, body: { ok: false, error: 'channel_not_found' } }));
    const error = (await notifier(slack.url).post(realisticNight()).catch((e: unknown) => e)) as SlackPostError;
    expect(error.outcome).toBe('not_posted');
    expect(error.message).toMatch(/was not posted to C0RECON: Slack answered channel_not_found/);
    expect(slack.requests).toHaveLength(1);
  });

  it('reports an unreachable Slack as not posted', async () => {
    const slack = await fakeSlack();
    const closed = servers.pop() as Server;
    closed.closeAllConnections();
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = (await notifier(slack.url).post(cleanNight()).catch((e: unknown) => e)) as SlackPostError;
    expect(error).toBeInstanceOf(SlackPostError);
    expect(error.outcome).toBe('not_posted');
    expect(error.message).toMatch(/could not connect to Slack \(ECONNREFUSED\)/);
  });

  it('names the posted digest ts when a thread message fails, and sends nothing after it', async () => {
    const slack = await fakeSlack((_, i) => (i === 1 ? { status: 503, body: 'unavailable' } : undefined));
    const error = (await notifier(slack.url).post(realisticNight()).catch((e: unknown) => e)) as SlackPostError;
    expect(error).toBeInstanceOf(SlackPostError);
    expect(error.digestTs).toBe('1764136800.000001');
    expect(error.postedTo).toBe(`slack:${CHANNEL}:1764136800.000001`);
    expect(error.message).toContain('ts 1764136800.000001');
    expect(error.message).toMatch(/thread message 1 of \d+ may or may not have been posted/);
    expect(slack.requests).toHaveLength(2);
  });
});
