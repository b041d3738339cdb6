// Narrates a built report: the model's text when it checks out against the facts, else the template, never a failure.
import { checkNarration, narrationFactsOf } from '#shared/domain/narration-check.ts';
import type { Report } from '#shared/domain/report.ts';
import type { Logger } from '#shared/log.ts';
import type { Narrator } from '#shared/ports/narrator.ts';

/** Backstop for a narrator that ignores its own timeout; the Anthropic narrator stops itself well before. */
export const DEFAULT_NARRATION_DEADLINE_MS = 120_000;

const MAX_LOGGED_PROBLEMS = 20;

// The reason a narrator gave (`NarrationError.reason`), without importing any adapter here.
function reasonOf(error: unknown): { reason: string; status?: number; error?: string } {
  if (typeof error === 'object' && error !== null) {
    const e = error as { reason?: unknown; status?: unknown; message?: unknown; name?: unknown };
    return {
      reason: typeof e.reason === 'string' ? e.reason : 'unexpected',
      ...(typeof e.status === 'number' ? { status: e.status } : {}),
      // Narrator messages describe the failure, never the narration; cap them anyway.
      ...(typeof e.message === 'string' ? { error: e.message.slice(0, 200) } : {}),
    };
  }
  return { reason: 'unexpected' };
}

/**
 * The report with the model's narration (`narration: 'model'`) when the narrator answers in time and
 * `checkNarration` accepts it; otherwise the report as built, with `narration: 'template'` and the
 * reason logged as a warning (never the text). Findings are never touched, and it never throws.
 */
export async function narrateReport(report: Report, narrator: Narrator, log: Logger, options: { readonly deadlineMs?: number } = {}): Promise<Report> {
  const template: Report = { ...report, narration: 'template' };
  if (narrator.kind === 'template') return template;
  // A clean night is the one contractual line of DESIGN §8; there is nothing to explain.
  if (report.clean) return template;

  const deadlineMs = options.deadlineMs ?? DEFAULT_NARRATION_DEADLINE_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const facts = narrationFactsOf(report);
    const backstop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`no narration within ${deadlineMs} ms`), { reason: 'timeout' })), deadlineMs);
    });
    const pending = narrator.narrate(facts);
    pending.catch(() => undefined);
    const narration = await Promise.race([pending, backstop]);
    const verdict = checkNarration(narration, facts);
    if (!verdict.ok) {
      log.warn(
        { reason: 'check_failed', problemCount: verdict.problems.length, problems: verdict.problems.slice(0, MAX_LOGGED_PROBLEMS) },
        'model narration cites something not in the facts; using the template',
      );
      return template;
    }
    const texts = new Map(narration.exceptions.map((x) => [x.id, x.text.trim()]));
    return {
      ...report,
      narration: 'model',
      summary: narration.summary.trim(),
      exceptions: report.exceptions.map((e) => ({ ...e, narrative: texts.get(e.id) ?? e.narrative })),
    };
  } catch (error) {
    log.warn(reasonOf(error), 'model narration unavailable; using the template');
    return template;
  } finally {
    clearTimeout(timer);
  }
}
