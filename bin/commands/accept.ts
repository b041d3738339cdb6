// `tieout accept <exception-id>`: codify an accepted edge case as a rule, so it never pages twice.
import { localDate } from '#shared/domain/business-date.ts';
import { checkUnit, isCheckCode } from '#shared/domain/checks.ts';
import { isRuleActive, type Rule } from '#shared/domain/rules.ts';
import { appendRule, loadRules } from '#shared/rules-file.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CommandContext } from './context.ts';

export type AcceptOptions = { readonly reason: string; readonly owner?: string; readonly expires?: string };

/** Writes a rule accepting exactly this exception; refuses ids that name no check, and duplicates. */
export async function runAccept(ctx: CommandContext, exceptionId: string, options: AcceptOptions): Promise<number> {
  const i = exceptionId.lastIndexOf(':');
  const code = exceptionId.slice(i + 1);
  const orderKey = exceptionId.slice(0, Math.max(0, i));
  if (i <= 0 || !isCheckCode(code)) {
    ctx.stderr(`tieout accept: ${JSON.stringify(exceptionId)} is not an exception id (<orderKey>:<code>, e.g. 80213:captured_not_shipped)\n`);
    return EXIT_USAGE;
  }
  const existing = loadRules(ctx.config.rulesPath);
  if (!existing.ok) {
    ctx.stderr(`tieout accept: the rules file is invalid; fix it first:\n${existing.errors.map((e) => `  ${e}\n`).join('')}`);
    return EXIT_USAGE;
  }
  const today = localDate(ctx.now(), ctx.config.timeZone);
  const already = existing.value.find((r) => r.exception === exceptionId && isRuleActive(r, today));
  if (already) {
    ctx.stdout(`${exceptionId} is already accepted by rule ${already.id}.\n`);
    return EXIT_OK;
  }
  const base = `accept-${orderKey}-${code}`.replace(/[^A-Za-z0-9._:-]+/g, '-').replace(/:/g, '-');
  const ids = new Set(existing.value.map((r) => r.id));
  let id = base;
  for (let n = 2; ids.has(id); n++) id = `${base}-${n}`;
  const rule: Rule = {
    id,
    exception: exceptionId,
    code,
    reason: options.reason,
    owner: options.owner ?? ctx.config.checkOwners[code] ?? checkUnit(code).owner,
    added: today,
    ...(options.expires ? { expires: options.expires } : {}),
  };
  const written = appendRule(ctx.config.rulesPath, rule);
  if (!written.ok) {
    for (const e of written.errors) ctx.stderr(`tieout accept: ${e}\n`);
    return EXIT_FAILURE;
  }
  ctx.stdout(`Accepted ${exceptionId} as rule ${id} (owner ${rule.owner}${rule.expires ? `, until ${rule.expires}` : ''}) in ${ctx.config.rulesPath}. From the next report on it is known and accepted.\n`);
  return EXIT_OK;
}
