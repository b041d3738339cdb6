// Structured JSON logs (pino) with the severity field Cloud Logging reads; never secrets or PII.
import pino, { type Logger } from 'pino';

export type { Logger };

const SEVERITY: Record<string, string> = { trace: 'DEBUG', debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR', fatal: 'CRITICAL' };

/**
 * A logger writing one JSON object per line to `destination` (stderr by default, so command output
 * on stdout stays clean), with `severity` set and common secret-bearing fields redacted.
 */
export function createLogger(options: { readonly name?: string; readonly level?: string; readonly destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      name: options.name ?? 'tieout',
      level: options.level ?? 'info',
      messageKey: 'message',
      formatters: { level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT', level: label }) },
      redact: {
        paths: ['authorization', 'headers.authorization', '*.authorization', 'secret', '*.secret', 'token', '*.token', 'headers["x-shopify-hmac-sha256"]', 'headers["stripe-signature"]', 'headers["webhook-signature"]'],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? process.stderr,
  );
}

/** A logger that discards everything (tests, quiet commands). */
export const silentLogger = (): Logger => pino({ level: 'silent' });
