// `tieout rules check`: validates the rules file and lists its rules with their state.
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { latestBusinessDate } from '#shared/domain/business-date.ts';
import { isRuleActive, ruleCode } from '#shared/domain/rules.ts';
import { loadRules } from '#shared/rules-file.ts';
import { EXIT_OK, EXIT_USAGE, type CommandContext } from './context.ts';

/** Checks the rules file named by the configuration; exit 0 when valid, 2 with every problem when not. */
export async function runRulesCheck(ctx: CommandContext): Promise<number> {
  const path = ctx.config.rulesPath;
  const shown = relative(ctx.cwd, path) || path;
  const loaded = loadRules(path);
  if (!loaded.ok) {
    ctx.stderr(`${shown}: invalid rules file\n${loaded.errors.map((e) => `  ${e}`).join('\n')}\n`);
    return EXIT_USAGE;
  }
  if (!existsSync(path)) {
    ctx.stdout(`${shown}: no rules file yet (it is created by 'tieout accept'); 0 rules.\n`);
    return EXIT_OK;
  }
  const today = latestBusinessDate(ctx.now(), { timeZone: ctx.config.timeZone, cutoff: ctx.config.cutoff });
  const rules = loaded.value;
  const active = rules.filter((r) => isRuleActive(r, today)).length;
  ctx.stdout(`${shown}: valid, ${rules.length} rule${rules.length === 1 ? '' : 's'} (${active} active, ${rules.length - active} expired as of ${today}).\n`);
  for (const r of rules) {
    const scope = r.exception ?? `${ruleCode(r)}${r.match ? ` where ${Object.entries(r.match).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : String(v)}`).join(', ')}` : ''}`;
    const state = isRuleActive(r, today) ? (r.expires ? `active until ${r.expires}` : 'active, no expiry') : `EXPIRED ${r.expires}`;
    ctx.stdout(`  ${r.id}: ${scope}\n    ${state}; owner ${r.owner}; added ${r.added}; reason: ${r.reason}\n`);
  }
  return EXIT_OK;
}
