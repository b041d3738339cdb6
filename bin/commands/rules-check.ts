// `tieout rules check`: validates the rules file and lists its rules with their state.
import { existsSync } from 'node:fs';
import { createSqliteArchive } from '#shared/adapters/sqlite/archive.ts';
import { embeddedPaths } from '#shared/backend.ts';
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
  const hits = await lastRunHits(ctx);
  const active = rules.filter((r) => isRuleActive(r, today)).length;
  ctx.stdout(`${shown}: valid, ${rules.length} rule${rules.length === 1 ? '' : 's'} (${active} active, ${rules.length - active} expired as of ${today}).\n`);
  for (const r of rules) {
    const scope = r.exception ?? `${ruleCode(r)}${r.match ? ` where ${Object.entries(r.match).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : String(v)}`).join(', ')}` : ''}`;
    const state = isRuleActive(r, today) ? (r.expires ? `active until ${r.expires}` : 'active, no expiry') : `EXPIRED ${r.expires}`;
    const hit = hits ? `; ${hits.counts.get(r.id) ?? 0} hit(s) on ${hits.businessDate}` : '';
    ctx.stdout(`  ${r.id}: ${scope}\n    ${state}; owner ${r.owner}; added ${r.added}${hit}; reason: ${r.reason}\n`);
  }
  if (hits) {
    const stale = rules.filter((r) => (hits.counts.get(r.id) ?? 0) === 0 && isRuleActive(r, today)).map((r) => r.id);
    if (stale.length > 0) ctx.stdout(`Rules that matched nothing on ${hits.businessDate} (candidates to retire): ${stale.join(', ')}\n`);
  } else ctx.stdout('No posted report yet, so no hit counts.\n');
  return EXIT_OK;
}

/** Hit counts per rule from the latest posted run, when the embedded archive has one. */
async function lastRunHits(ctx: CommandContext): Promise<{ businessDate: string; counts: Map<string, number> } | undefined> {
  if (ctx.config.backend !== 'embedded') return undefined;
  const path = embeddedPaths(ctx.config.dataDir).archive;
  if (!existsSync(path)) return undefined;
  const archive = createSqliteArchive({ path });
  try {
    const run = (await archive.listRuns({ limit: 20 })).find((r) => r.status === 'finished' && r.report !== null);
    const ruleHits = (run?.report as { ruleHits?: { rule: string; hits: number }[] } | undefined)?.ruleHits;
    if (!run || !ruleHits) return undefined;
    return { businessDate: run.businessDate, counts: new Map(ruleHits.map((h) => [h.rule, h.hits])) };
  } finally {
    await archive.close();
  }
}
