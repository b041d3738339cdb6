// The Slack notifier: one digest per run in the channel, the detail in its thread, and never a blind retry of a post.
import { setTimeout as sleep } from 'node:timers/promises';
import { format } from 'node:util';
import {
  LogLevel,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
  type ChatPostMessageArguments,
  type Logger as SlackLogger,
} from '@slack/web-api';
import type { Report } from '#shared/domain/report.ts';
import type { Logger } from '#shared/log.ts';
import type { Notifier, PostResult } from '#shared/ports/notifier.ts';
import { renderSlack, type SlackMessage } from './render-slack.ts';

/** What the Slack notifier needs: the bot token, the channel, and where to log. */
export type SlackNotifierOptions = {
  readonly token: string;
  /** A channel id (`C0123…`) or name; the id Slack answers with is what `postedTo` records. */
  readonly channel: string;
  /** The Web API base URL; tests point it at a local server. */
  readonly slackApiUrl?: string;
  readonly log: Logger;
  /** Least time between two posts: Slack allows about one message per second per channel. Default 1,000 ms. */
  readonly minIntervalMs?: number;
  /** How long one request may take; a request that times out has an unknown outcome. Default 30,000 ms. */
  readonly timeoutMs?: number;
};

/** `not_posted`: Slack certainly did not post it, so posting again is safe; `unknown`: it may have been posted. */
export type PostOutcome = 'not_posted' | 'unknown';

/**
 * A post that failed, saying whether the message may have gone out anyway and, when the digest
 * did go out before a thread message failed, its ts and `slack:<channel>:<ts>` (to record, not to re-post).
 */
export class SlackPostError extends Error {
  readonly outcome: PostOutcome;
  readonly digestTs: string | null;
  readonly postedTo: string | null;
  constructor(message: string, details: { outcome: PostOutcome; digestTs?: string; postedTo?: string }, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SlackPostError';
    this.outcome = details.outcome;
    this.digestTs = details.digestTs ?? null;
    this.postedTo = details.postedTo ?? null;
  }
}

// A 429 is a definite refusal, so waiting out Retry-After and sending again cannot double-post; bounded all the same.
const MAX_RATE_LIMITED = 5;
const MAX_RETRY_AFTER_S = 120;
// Slack's "it may have happened" platform errors; every other `ok: false` answer means nothing was posted.
const AMBIGUOUS_PLATFORM_ERRORS = new Set(['fatal_error', 'internal_error', 'service_unavailable', 'request_timeout']);
// Socket errors raised before a request could reach Slack.
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

function errnoCodes(e: unknown): string[] {
  const codes: string[] = [];
  for (let cur: unknown = e, depth = 0; cur && typeof cur === 'object' && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string') codes.push(c);
  }
  return codes;
}

/** What a failed chat.postMessage call means for the message: certainly not posted, or unknown. */
function classify(e: unknown): { outcome: PostOutcome; detail: string } {
  if (e instanceof WebAPIPlatformError) {
    const error = String(e.data.error);
    return { outcome: AMBIGUOUS_PLATFORM_ERRORS.has(error) ? 'unknown' : 'not_posted', detail: `Slack answered ${error}` };
  }
  if (e instanceof WebAPIRateLimitedError) return { outcome: 'not_posted', detail: `rate limited (retry after ${e.retryAfter} s)` };
  if (e instanceof WebAPIHTTPError) return { outcome: 'unknown', detail: `HTTP ${e.statusCode} ${e.statusMessage}`.trim() };
  if (e instanceof WebAPIRequestError) {
    const codes = errnoCodes(e.original);
    const never = codes.find((c) => NEVER_SENT.has(c));
    if (never) return { outcome: 'not_posted', detail: `could not connect to Slack (${never})` };
    return { outcome: 'unknown', detail: `request failed: ${e.original.message}${codes.length ? ` (${codes.join(', ')})` : ''}` };
  }
  return { outcome: 'unknown', detail: e instanceof Error ? e.message : String(e) };
}

/** The Web API client's log lines, into our structured log (its own logger writes plain text to the console). */
function slackLogger(log: Logger): SlackLogger {
  const child = log.child({ component: 'slack-web-api' });
  const levels: Record<string, LogLevel> = { trace: LogLevel.DEBUG, debug: LogLevel.DEBUG, info: LogLevel.INFO, warn: LogLevel.WARN };
  return {
    debug: (...msg: unknown[]) => child.debug(format(...msg)),
    info: (...msg: unknown[]) => child.info(format(...msg)),
    warn: (...msg: unknown[]) => child.warn(format(...msg)),
    error: (...msg: unknown[]) => child.error(format(...msg)),
    // Our log's level rules; the client may not change it.
    setLevel: () => {},
    getLevel: () => levels[child.level] ?? LogLevel.ERROR,
    setName: () => {},
  };
}

/**
 * A notifier that posts the digest to the channel and then each thread message under it, one at a
 * time and paced, sending a message again only after a 429 (a refusal) and otherwise throwing a
 * {@link SlackPostError} that says whether the message may have been posted.
 */
export function createSlackNotifier(options: SlackNotifierOptions): Notifier {
  const client = new WebClient(options.token, {
    ...(options.slackApiUrl !== undefined ? { slackApiUrl: options.slackApiUrl } : {}),
    // No retries inside the client: it would resend after a network error or 5xx, when Slack may have posted already.
    retryConfig: { retries: 0 },
    // With retries off, the client's own 429 handling would wait and then fail; refusals come back to us to wait out and resend.
    rejectRateLimitedCalls: true,
    timeout: options.timeoutMs ?? 30_000,
    logger: slackLogger(options.log),
  });
  const minIntervalMs = options.minIntervalMs ?? 1_000;
  let lastPostAt: number | undefined;

  /** Posts one message; returns its ts and channel id, or throws the failure classified. */
  async function send(message: SlackMessage, channel: string, threadTs?: string): Promise<{ ts: string; channel: string }> {
    for (let refused = 0; ; refused++) {
      const wait = lastPostAt === undefined ? 0 : lastPostAt + minIntervalMs - Date.now();
      if (wait > 0) await sleep(wait);
      try {
        const args = {
          channel,
          text: message.text,
          blocks: message.blocks,
          ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
          unfurl_links: false,
          unfurl_media: false,
        } as ChatPostMessageArguments;
        const res = await client.chat.postMessage(args);
        lastPostAt = Date.now();
        if (typeof res.ts !== 'string') throw new Error('Slack answered ok but without a message ts');
        return { ts: res.ts, channel: typeof res.channel === 'string' && res.channel ? res.channel : channel };
      } catch (e) {
        lastPostAt = Date.now();
        if (e instanceof WebAPIRateLimitedError && refused < MAX_RATE_LIMITED && e.retryAfter <= MAX_RETRY_AFTER_S) {
          options.log.warn({ channel: options.channel, retryAfter: e.retryAfter, thread: threadTs !== undefined }, 'slack rate limited the post; waiting, then sending it again');
          await sleep(e.retryAfter * 1000);
          continue;
        }
        throw e;
      }
    }
  }

  return {
    kind: 'slack',
    async post(report: Report): Promise<PostResult> {
      const { digest, thread } = renderSlack(report);
      const night = `The Slack digest for ${report.businessDate}`;
      let posted: { ts: string; channel: string };
      try {
        posted = await send(digest, options.channel);
      } catch (e) {
        const { outcome, detail } = classify(e);
        const message =
          outcome === 'unknown'
            ? `${night} may or may not have been posted to ${options.channel}: the outcome is unknown (${detail}). It was not retried, to avoid a double post; check the channel before posting again.`
            : `${night} was not posted to ${options.channel}: ${detail}. Nothing was posted; posting again is safe.`;
        throw new SlackPostError(message, { outcome }, { cause: e });
      }
      const postedTo = `slack:${posted.channel}:${posted.ts}`;
      options.log.info({ postedTo, threadMessages: thread.length }, 'slack digest posted');
      for (const [i, message] of thread.entries()) {
        try {
          // Replies go to the channel id Slack answered with: a name would be resolved again, an id cannot drift.
          await send(message, posted.channel, posted.ts);
        } catch (e) {
          const { outcome, detail } = classify(e);
          const what = outcome === 'unknown' ? `may or may not have been posted (the outcome is unknown: ${detail})` : `was not posted (${detail})`;
          const message =
            `${night} was posted to ${options.channel} (ts ${posted.ts}, ${postedTo}), but thread message ${i + 1} of ${thread.length} ${what}; ` +
            `${i} thread message(s) went out before it and the other ${thread.length - i - 1} were not sent.`;
          throw new SlackPostError(message, { outcome, digestTs: posted.ts, postedTo }, { cause: e });
        }
      }
      options.log.info({ postedTo, threadMessages: thread.length }, 'slack report posted');
      return { postedTo };
    },
  };
}
