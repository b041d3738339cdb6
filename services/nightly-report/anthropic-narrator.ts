// The model narrator: one Anthropic Messages API call per night, structured through a single forced tool.
import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, RateLimitError } from '@anthropic-ai/sdk';
import { z } from 'zod';
import type { Logger } from '#shared/log.ts';
import type { Narration, NarrationFacts, Narrator } from '#shared/ports/narrator.ts';
import { MAX_EXCEPTION_TEXT, MAX_SUMMARY_TEXT } from '#shared/domain/narration-check.ts';

/** Why a model narration could not be had; the caller logs it and keeps the template. */
export type NarrationFailure = 'timeout' | 'rate_limited' | 'server_error' | 'unreachable' | 'rejected' | 'malformed' | 'truncated' | 'refused' | 'unexpected';

/** A failed narration with a reason a log can group on; its message never contains narration text or secrets. */
export class NarrationError extends Error {
  readonly reason: NarrationFailure;
  readonly status: number | undefined;
  constructor(reason: NarrationFailure, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'NarrationError';
    this.reason = reason;
    this.status = options.status;
  }
}

/** What the model narrator needs: the key, the model and its limits, and where to log. */
export type AnthropicNarratorOptions = {
  readonly apiKey: string;
  /** Model id from configuration (e.g. `claude-sonnet-4-5`). */
  readonly model: string;
  /** The whole call — connection, response and body — must finish within this, or the template is used. */
  readonly timeoutMs: number;
  readonly maxTokens: number;
  /** Tests point the official client at a local server; production leaves it to the public API. */
  readonly baseURL?: string;
  readonly log: Logger;
};

/** The one tool the model must call; its input is the narration. */
export const NARRATION_TOOL = 'report_narration';

// Lengths are repeated in the schema as guidance; the check enforces them whatever the model returns.
const TOOL: Anthropic.Tool = {
  name: NARRATION_TOOL,
  description: 'Report the narration of tonight\'s reconciliation findings: one text per exception id, plus a summary of the night.',
  input_schema: {
    type: 'object',
    additionalProperties: false,
    required: ['summary', 'exceptions'],
    properties: {
      summary: { type: 'string', maxLength: MAX_SUMMARY_TEXT, description: 'At most three plain sentences about the whole night.' },
      exceptions: {
        type: 'array',
        description: 'Exactly one entry for every exception in the facts, with the same id.',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'text'],
          properties: {
            id: { type: 'string', description: 'The exception id exactly as given, e.g. 80213:captured_not_shipped.' },
            text: { type: 'string', maxLength: MAX_EXCEPTION_TEXT, description: 'One or two plain sentences.' },
          },
        },
      },
    },
  },
};

/** The instructions: who reads the report, what to write, and that the facts are final. */
export const SYSTEM_PROMPT = [
  "You write tonight's order reconciliation report for an online retailer's finance and operations team.",
  'The facts you receive (JSON) were decided by deterministic rules and are final: you only explain them in plain language.',
  '',
  'For each exception write one or two short sentences a non-technical reader can act on: what disagrees between which systems',
  '(storefront, payment processor, the books, the 3PL), why it matters (the money or goods at risk), and who should act (its owner).',
  'Then write a summary of the night in at most three sentences.',
  '',
  'Rules:',
  '- Use only the given facts. Never invent, compute, total, round or convert numbers, amounts, dates, order numbers or ids.',
  '- Copy amounts exactly as written in `amount` and `atRisk` (same currency sign, same digits). Write dates as YYYY-MM-DD. Write every number in digits.',
  "- An exception's text may cite only that exception's own facts (its order key, amount, age, nights, SKUs, ids) and the night's counts and totals.",
  '- Counts come only from `ordersChecked`, `counts` and `resolved`. Ages come from `ageHours` (hours, or whole days) and `nights`.',
  '- Never say a break is resolved, accepted, or in a bucket other than its own, and never change its owner.',
  '- Plain text only: no links, mentions, markdown or line breaks. At most 600 characters per exception and 1,000 for the summary.',
  '- `template` is a correct plain version of each text; keep it when you cannot make it clearer.',
  `- Answer only by calling the ${NARRATION_TOOL} tool, with exactly one entry per exception id.`,
].join('\n');

const NarrationSchema = z.object({
  summary: z.string(),
  exceptions: z.array(z.object({ id: z.string(), text: z.string() })),
});

/** The user message: the facts as JSON. They carry ids, keys, codes, amounts, ages, owners, SKUs, carriers and source ids, no customer PII. */
export function userMessage(facts: NarrationFacts): string {
  return `Narrate tonight's findings. The facts:\n\n${JSON.stringify(facts)}`;
}

function failureOf(error: unknown, timedOut: boolean): NarrationError {
  if (error instanceof NarrationError) return error;
  const cause = { cause: error };
  if (timedOut || error instanceof APIConnectionTimeoutError || error instanceof APIUserAbortError) return new NarrationError('timeout', 'the model did not answer in time', cause);
  if (error instanceof RateLimitError) return new NarrationError('rate_limited', 'the API is rate limiting (429)', { ...cause, status: 429 });
  if (error instanceof APIConnectionError) return new NarrationError('unreachable', 'the API could not be reached', cause);
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    return status >= 500 ? new NarrationError('server_error', `the API failed (${status})`, { ...cause, status }) : new NarrationError('rejected', `the API rejected the request (${status})`, { ...cause, status });
  }
  if (error instanceof SyntaxError) return new NarrationError('malformed', 'the API answered with unreadable JSON', cause);
  return new NarrationError('unexpected', `the call failed: ${error instanceof Error ? error.name : typeof error}`, cause);
}

/**
 * A narrator (kind `model`) backed by the Anthropic Messages API: no retries, one deadline for the
 * whole call, the answer read from a forced `report_narration` tool call; any failure is thrown as a
 * `NarrationError` for the caller to log before it keeps the template.
 */
export function createAnthropicNarrator(options: AnthropicNarratorOptions): Narrator {
  const client = new Anthropic({
    apiKey: options.apiKey,
    // Explicit, so the SDK does not pick a host up from the environment (configuration is the only reader of it).
    baseURL: options.baseURL ?? 'https://api.anthropic.com',
    timeout: options.timeoutMs,
    // A retry would outlive the deadline; a failed night falls back to the template instead.
    maxRetries: 0,
    logger: options.log.child({ component: 'anthropic-sdk' }),
    logLevel: 'warn',
  });

  return {
    kind: 'model',
    async narrate(facts: NarrationFacts): Promise<Narration> {
      // The client's own timeout stops at the response headers; this one also covers reading the body.
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), options.timeoutMs);
      const deadline = new Promise<never>((_, reject) => {
        controller.signal.addEventListener('abort', () => reject(new NarrationError('timeout', `the model did not answer within ${options.timeoutMs} ms`)), { once: true });
      });
      try {
        const call = client.messages.create(
          {
            model: options.model,
            max_tokens: options.maxTokens,
            system: SYSTEM_PROMPT,
            messages: [{ role: 'user', content: userMessage(facts) }],
            tools: [TOOL],
            tool_choice: { type: 'tool', name: NARRATION_TOOL },
          },
          { signal: controller.signal },
        );
        // Whichever loses the race must not surface later as an unhandled rejection.
        call.catch(() => undefined);
        deadline.catch(() => undefined);
        const message = await Promise.race([call, deadline]);
        if (typeof message !== 'object' || message === null || !Array.isArray(message.content)) throw new NarrationError('malformed', 'the API answer is not a message');
        if (message.stop_reason === 'max_tokens') throw new NarrationError('truncated', `the narration did not fit in ${options.maxTokens} tokens`);
        if (message.stop_reason === 'refusal') throw new NarrationError('refused', 'the model declined to narrate');
        const use = message.content.find((block) => block.type === 'tool_use' && block.name === NARRATION_TOOL);
        if (use === undefined || use.type !== 'tool_use') throw new NarrationError('malformed', `the answer has no ${NARRATION_TOOL} tool call`);
        const parsed = NarrationSchema.safeParse(use.input);
        if (!parsed.success) throw new NarrationError('malformed', `the ${NARRATION_TOOL} input does not match its schema`);
        options.log.debug({ model: options.model, inputTokens: message.usage?.input_tokens, outputTokens: message.usage?.output_tokens }, 'model narration received');
        return parsed.data;
      } catch (error) {
        throw failureOf(error, controller.signal.aborted);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
