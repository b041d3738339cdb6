// A logger whose JSON lines a test can read back.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '#shared/log.ts';

/** A real logger (`createLogger`, debug and up) writing to memory: its raw text, and each line parsed. */
export function captureLog(): { log: Logger; text: () => string; records: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const log = createLogger({ level: 'debug', destination });
  return { log, text: () => lines.join(''), records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}
