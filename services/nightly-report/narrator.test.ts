// The narrators and narrateReport: the official Anthropic client against a local server, and every way back to the template.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Classified } from '#shared/domain/classification.ts';
import { narrationFactsOf } from '#shared/domain/narration-check.ts';
import { buildReport, type Report } from '#shared/domain/report.ts';
import { silentLogger } from '#shared/log.ts';
import type { NarrationFacts, Narrator } from '#shared/ports/narrator.ts';
import { createAnthropicNarrator, NARRATION_TOOL, SYSTEM_PROMPT } from './anthropic-narrator.ts';
import { narrateReport } from './narrate.ts';
import { createTemplateNarrator } from './template-narrator.ts';
import { classifiedBreak, type BreakSpec } from '../../test/support/classified.ts';
import { captureLog } from '../../test/support/log.ts';

const API_KEY = 'sk-ant-test-0123456789';
const MODEL = 'claude-test-model';
const AS_OF = '2026-11-26T06:00:00.000Z';

type Spec = BreakSpec;

function classified(s: Spec): Classified {
  const facts = { systems: ['logistics', 'processor', 'storefront'], gateways: ['stripe'], skus: ['TEE-BLK-M'], carriers: ['UPS'], orderName: `#${s.key}`, ...s.facts };
  return classifiedBreak({ ...s, facts }, AS_OF);
}

function night(specs: readonly Spec[]): Report {
  return buildReport({
    businessDate: '2026-11-25',
    asOf: AS_OF,
    runId: 'run-2026-11-25',
    ordersChecked: 12_480,
    classified: specs.map(classified),
    previous: [{ id: '80100:not_booked', orderKey: '80100', code: 'not_booked', bucket: 'genuine_error', amount: 900, currency: 'USD', nights: 2 }],
    ruleHits: new Map(),
    ownerHandles: {},
    escalation: {},
    quarantined: 0,
    deadLettered: 0,
  });
}

const REPORT = night([
  { key: '80213', code: 'captured_not_shipped', bucket: 'genuine_error', amount: 18_950, ageHours: 88 },
  { key: '80222', code: 'not_booked', bucket: 'genuine_error', amount: 7_420, currency: 'EUR', ageHours: 61 },
  { key: 'payment:pi_3Q9xYzAbC', code: 'orphan_payment', bucket: 'mapping', cause: 'orphan', amount: 150_000, currency: 'JPY', ageHours: 40, facts: { payments: ['pi_3Q9xYzAbC'] } },
  { key: '80260', code: 'captured_not_shipped', bucket: 'timing', amount: 5_400, ageHours: 20 },
  { key: '80300', code: 'not_booked', bucket: 'known_accepted', amount: 1_000, ageHours: 70, rule: 'gift-cards' },
]);

// ---- a local stand-in for the Messages API -------------------------------------------------------

type Recorded = { method: string; url: string; headers: IncomingHttpHeaders; body: Record<string, unknown> };
type Reply = (res: ServerResponse, facts: NarrationFacts) => void;

let server: Server;
let baseURL: string;
let reply: Reply;
let requests: Recorded[] = [];
const open = new Set<ServerResponse>();

/** The facts the narrator put in the user message. */
function factsOf(body: Record<string, unknown>): NarrationFacts {
  const messages = body['messages'] as { role: string; content: string }[];
  const content = messages[0]?.content ?? '';
  return JSON.parse(content.slice(content.indexOf('{'))) as NarrationFacts;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close', ...headers });
  res.end(JSON.stringify(body));
}

function toolUse(input: unknown, stopReason = 'tool_use') {
  return {
    id: 'msg_01',
    type: 'message',
    role: 'assistant',
    model: MODEL,
    content: [{ type: 'tool_use', id: 'toolu_01', name: NARRATION_TOOL, input }],
    stop_reason: stopReason,
    stop_sequence: null,
    usage: { input_tokens: 900, output_tokens: 300 },
  };
}

/** A faithful narration: plain sentences that cite only each exception's own facts. */
function faithful(facts: NarrationFacts) {
  return {
    summary: `${facts.businessDate}: ${facts.ordersChecked.toLocaleString('en-US')} orders checked; ${facts.counts['genuine_error']} need action; ${facts.atRisk.join(' and ')} at risk.`,
    exceptions: facts.exceptions.map((e) => ({ id: e.id, text: `Model: ${e.orderKey.includes(':') ? `record ${e.orderKey}` : `order #${e.orderKey}`} has ${e.amount} at stake; ${e.owner} should look at it.` })),
  };
}

const errorBody = (type: string, message: string) => ({ type: 'error', error: { type, message } });

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      open.add(res);
      res.on('close', () => open.delete(res));
      reply(res, factsOf(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  requests = [];
  // Only the answers a test left hanging (timeouts, stalls); every reply closes its connection, so no
  // keep-alive socket closed here could be reused by the next test's client.
  for (const res of open) res.destroy();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function modelNarrator(log = silentLogger(), timeoutMs = 2_000): Narrator {
  return createAnthropicNarrator({ apiKey: API_KEY, model: MODEL, timeoutMs, maxTokens: 1_500, baseURL, log });
}

/** The report without its prose: what narration must never change. */
const findings = (r: Report) => ({ ...r, summary: undefined, narration: undefined, exceptions: r.exceptions.map((e) => ({ ...e, narrative: undefined })) });

/** Runs narrateReport against the local server with `respond`, and says what came back and what was logged. */
async function narrateWith(respond: Reply, timeoutMs = 2_000) {
  reply = respond;
  const logs = captureLog();
  const started = performance.now();
  const result = await narrateReport(REPORT, modelNarrator(logs.log, timeoutMs), logs.log);
  return { result, ms: performance.now() - started, logs };
}

function expectTemplate(result: Report, logs: ReturnType<typeof captureLog>, reason: string) {
  expect(result).toEqual({ ...REPORT, narration: 'template' });
  const warning = logs.records().find((r) => r['level'] === 'warn');
  expect(warning).toMatchObject({ severity: 'WARNING', reason });
  expect(logs.text()).not.toContain(API_KEY);
}

// ---- tests --------------------------------------------------------------------------------------

describe('the Anthropic narrator, through the official client', () => {
  it('sends one Messages API call: key, model, max_tokens, the forced tool, the facts without PII', async () => {
    reply = (res, facts) => json(res, 200, toolUse(faithful(facts)));
    await modelNarrator().narrate(narrationFactsOf(REPORT));
    expect(requests).toHaveLength(1);
    const [req] = requests;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/v1/messages');
    // @anthropic-ai/sdk 1.14.0 sends the API key as a bearer token, not as `x-api-key`.
    expect(req?.headers['authorization']).toBe(`Bearer ${API_KEY}`);
    expect(req?.headers['x-api-key']).toBeUndefined();
    const body = req?.body ?? {};
    expect(body).toMatchObject({ model: MODEL, max_tokens: 1_500, system: SYSTEM_PROMPT, tool_choice: { type: 'tool', name: NARRATION_TOOL } });
    const tools = body['tools'] as { name: string; input_schema: { type: string; required: string[]; properties: Record<string, unknown> } }[];
    expect(tools.map((t) => t.name)).toEqual([NARRATION_TOOL]);
    expect(tools[0]?.input_schema).toMatchObject({ type: 'object', required: ['summary', 'exceptions'], properties: { summary: { type: 'string' }, exceptions: { type: 'array' } } });
    expect(body['messages']).toHaveLength(1);

    const facts = factsOf(body);
    expect(facts).toEqual(JSON.parse(JSON.stringify(narrationFactsOf(REPORT))));
    const keys = new Set<string>();
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) (keys.add(k), walk(x));
    };
    walk(facts);
    const pii = [...keys].filter((k) => /^(e-?mail|name|first_?name|last_?name|customer|phone|address|billing_address|shipping_address)$/i.test(k));
    expect(pii).toEqual([]);
    expect(JSON.stringify(facts)).not.toMatch(/[\w.+-]+@[\w-]+\.[a-z]{2,}/i);
  });
});

describe('narrateReport', () => {
  it('uses a faithful model narration: texts and summary replaced, findings untouched', async () => {
    const { result, logs } = await narrateWith((res, facts) => json(res, 200, toolUse(faithful(facts))));
    expect(result.narration).toBe('model');
    expect(result.summary).toBe('2026-11-25: 12,480 orders checked; 2 need action; €74.20 and ¥150,000 and $189.50 at risk.');
    expect(Object.fromEntries(result.exceptions.map((e) => [e.id, e.narrative]))).toEqual({
      '80213:captured_not_shipped': 'Model: order #80213 has $189.50 at stake; fulfilment should look at it.',
      '80222:not_booked': 'Model: order #80222 has €74.20 at stake; finance should look at it.',
      'payment:pi_3Q9xYzAbC:orphan_payment': 'Model: record payment:pi_3Q9xYzAbC has ¥150,000 at stake; data should look at it.',
      '80260:captured_not_shipped': 'Model: order #80260 has $54.00 at stake; fulfilment should look at it.',
      '80300:not_booked': 'Model: order #80300 has $10.00 at stake; finance should look at it.',
    });
    expect(findings(result)).toEqual(findings(REPORT));
    expect(logs.records().filter((r) => r['level'] === 'warn')).toEqual([]);
  });

  it('keeps the template when the model invents a number', async () => {
    const { result, logs } = await narrateWith((res, facts) => {
      const n = faithful(facts);
      json(res, 200, toolUse({ ...n, exceptions: n.exceptions.map((x) => (x.id === '80213:captured_not_shipped' ? { ...x, text: 'Order #80213 has $999.99 at stake; refund it.' } : x)) }));
    });
    expectTemplate(result, logs, 'check_failed');
    expect(logs.text()).toContain('$999.99');
    // The warning names the token, never the narration text itself.
    expect(logs.text()).not.toContain('refund it');
  });

  it('keeps the template when the model drops an exception', async () => {
    const { result, logs } = await narrateWith((res, facts) => {
      const n = faithful(facts);
      json(res, 200, toolUse({ ...n, exceptions: n.exceptions.filter((x) => x.id !== '80213:captured_not_shipped') }));
    });
    expectTemplate(result, logs, 'check_failed');
    expect(logs.text()).toContain('80213:captured_not_shipped: not narrated');
  });

  it('keeps the template when the API is slower than the timeout, and waits no longer', async () => {
    const { result, logs, ms } = await narrateWith((res, facts) => {
      setTimeout(() => !res.destroyed && json(res, 200, toolUse(faithful(facts))), 1_500).unref();
    }, 300);
    expectTemplate(result, logs, 'timeout');
    expect(ms).toBeLessThan(1_200);
  });

  it('keeps the template when the body stalls after the headers (the deadline covers the whole call)', async () => {
    const { result, logs, ms } = await narrateWith((res) => {
      res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
      res.write('{"id":"msg_01","type":"message",');
    }, 300);
    expectTemplate(result, logs, 'timeout');
    expect(ms).toBeLessThan(1_200);
  });

  it('keeps the template on a 429 and does not retry it', async () => {
    const { result, logs } = await narrateWith((res) => json(res, 429, errorBody('rate_limit_error', 'slow down'), { 'retry-after': '0' }));
    expectTemplate(result, logs, 'rate_limited');
    expect(requests).toHaveLength(1);
  });

  it('keeps the template on a 500', async () => {
    const { result, logs } = await narrateWith((res) => json(res, 500, errorBody('api_error', 'internal')));
    expectTemplate(result, logs, 'server_error');
    expect(requests).toHaveLength(1);
  });

  it('keeps the template on an overloaded API (529)', async () => {
    const { result, logs } = await narrateWith((res) => json(res, 529, errorBody('overloaded_error', 'overloaded')));
    expectTemplate(result, logs, 'server_error');
  });

  it('keeps the template on garbage JSON', async () => {
    const { result, logs } = await narrateWith((res) => {
      res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
      res.end('{"id": "msg_01", "content": [ {not json');
    });
    expectTemplate(result, logs, 'malformed');
  });

  it('keeps the template when the answer has no tool call, or a tool input of the wrong shape', async () => {
    const text = await narrateWith((res) =>
      json(res, 200, { ...toolUse({}), content: [{ type: 'text', text: 'Here is your report: all fine.' }], stop_reason: 'end_turn' }),
    );
    expectTemplate(text.result, text.logs, 'malformed');
    const shape = await narrateWith((res) => json(res, 200, toolUse({ summary: 42, exceptions: 'none' })));
    expectTemplate(shape.result, shape.logs, 'malformed');
  });

  it('keeps the template when the narration was cut off by max_tokens', async () => {
    const { result, logs } = await narrateWith((res, facts) => json(res, 200, toolUse(faithful(facts), 'max_tokens')));
    expectTemplate(result, logs, 'truncated');
  });

  it('keeps the template when the API cannot be reached', async () => {
    const logs = captureLog();
    const closed = createAnthropicNarrator({ apiKey: API_KEY, model: MODEL, timeoutMs: 2_000, maxTokens: 100, baseURL: 'http://127.0.0.1:9', log: logs.log });
    const result = await narrateReport(REPORT, closed, logs.log);
    expectTemplate(result, logs, 'unreachable');
  });

  it('does not call the model on a clean night: the all-tied line is the report', async () => {
    reply = (res, facts) => json(res, 200, toolUse(faithful(facts)));
    const clean = night([{ key: '80300', code: 'not_booked', bucket: 'known_accepted', amount: 1_000, ageHours: 70, rule: 'gift-cards' }]);
    const result = await narrateReport(clean, modelNarrator(), silentLogger());
    expect(result).toEqual({ ...clean, narration: 'template' });
    expect(result.summary).toMatch(/^All tied — 2026-11-25: 12,480 orders matched/);
    expect(requests).toHaveLength(0);
  });

  it('returns the report as built for the template narrator', async () => {
    const result = await narrateReport({ ...REPORT, narration: 'model' }, createTemplateNarrator(), silentLogger());
    expect(result).toEqual({ ...REPORT, narration: 'template' });
  });

  it('gives up on a narrator that never answers, at the backstop deadline', async () => {
    const stuck: Narrator = { kind: 'model', narrate: () => new Promise(() => undefined) };
    const logs = captureLog();
    const result = await narrateReport(REPORT, stuck, logs.log, { deadlineMs: 50 });
    expectTemplate(result, logs, 'timeout');
  });

  it('survives a narrator that throws synchronously', async () => {
    const broken: Narrator = {
      kind: 'model',
      narrate: () => {
        throw new TypeError('boom');
      },
    };
    const logs = captureLog();
    expectTemplate(await narrateReport(REPORT, broken, logs.log), logs, 'unexpected');
  });
});

describe('the template narrator', () => {
  it('returns each exception\'s template and the report\'s own summary', async () => {
    const facts = narrationFactsOf(REPORT);
    const narration = await createTemplateNarrator().narrate(facts);
    expect(narration.summary).toBe(REPORT.summary);
    expect(narration.exceptions).toEqual(REPORT.exceptions.map((e) => ({ id: e.id, text: e.narrative })));
  });

  it('matches the report summary on a clean night and with resolved exceptions', async () => {
    const clean = night([]);
    expect((await createTemplateNarrator().narrate(narrationFactsOf(clean))).summary).toBe(clean.summary);
    expect(REPORT.summary).toContain('1 resolved');
  });
});
