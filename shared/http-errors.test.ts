import { Hono } from 'hono';
import { expect, it } from 'vitest';
import { answerErrorsInJson } from './http-errors.ts';
import { captureLog } from '../test/support/log.ts';

it('logs what a route throws as one JSON line (method, path, message) and answers 500 in JSON', async () => {
  const logs = captureLog();
  const app = new Hono();
  answerErrorsInJson(app, logs.log);
  app.post('/boom', () => {
    throw new Error('disk full');
  });
  app.post('/gone', () => {
    throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
  });
  const res = await app.request('/boom', { method: 'POST', body: 'card 4242 4242 4242 4242' });
  expect([res.status, await res.json()]).toEqual([500, { error: 'internal error' }]);
  expect((await app.request('/gone', { method: 'POST' })).status).toBe(500);
  const lines = logs.records();
  expect(lines.map((l) => [l['severity'], l['message'], l['method'], l['path'], l['error']])).toEqual([
    ['ERROR', 'request failed', 'POST', '/boom', 'disk full'],
    ['WARNING', 'the sender hung up before its request was read', 'POST', '/gone', 'aborted'],
  ]);
  expect(JSON.stringify(lines)).not.toContain('4242');
});
