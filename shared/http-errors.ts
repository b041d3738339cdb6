// What an HTTP route throws becomes one JSON log line and a JSON 500, never Hono's plain stderr line.
import type { Hono } from 'hono';
import type { Logger } from './log.ts';

/**
 * Sets `app`'s error handler: the error is logged as JSON with the method and path (never the body or
 * headers, which may carry customer data or secrets) and answered 500 in JSON. A sender that hung up
 * before its request was read (ECONNRESET) is a warning: nothing was stored, and it will deliver again.
 */
export function answerErrorsInJson(app: Hono, log: Logger): void {
  app.onError((error, c) => {
    const fields = { method: c.req.method, path: c.req.path, error: error.message };
    if ((error as { code?: unknown }).code === 'ECONNRESET') log.warn(fields, 'the sender hung up before its request was read');
    else log.error(fields, 'request failed');
    return c.json({ error: 'internal error' }, 500);
  });
}
