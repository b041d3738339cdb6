// Codified rules: accepted edge cases, so a known break never pages twice (DESIGN §7).
import { z } from 'zod';
import { CHECK_CODES, type Break } from './checks.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const isRealDate = (s: string) => DATE.test(s) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);
const DateSchema = z.string().refine(isRealDate, 'expected a date written YYYY-MM-DD');
const OneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** Predicates over a break's facts; every one given must hold. */
export const RuleMatchSchema = z
  .object({
    /** A system involved: storefront, processor, warehouse or logistics. */
    system: OneOrMany.optional(),
    /** A storefront payment gateway of the order (e.g. `stripe`, `paypal`). */
    gateway: OneOrMany.optional(),
    sku: OneOrMany.optional(),
    carrier: OneOrMany.optional(),
    currency: OneOrMany.optional(),
    /** The amount at risk (for comparisons: the difference) is at most this many minor units. */
    maxAmount: z.number().int().nonnegative().optional(),
  })
  .strict();

/** One rule: which breaks it accepts, why, who owns it, and until when. */
export const RuleSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'rule ids are letters, digits, dot, dash, colon or underscore'),
    code: z.enum(CHECK_CODES).optional(),
    exception: z.string().regex(/^.+:[a-z_]+$/, 'an exception id is <orderKey>:<code>').optional(),
    match: RuleMatchSchema.optional(),
    reason: z.string().trim().min(1),
    owner: z.string().trim().min(1),
    added: DateSchema,
    expires: DateSchema.optional(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    const exceptionCode = rule.exception?.slice(rule.exception.lastIndexOf(':') + 1);
    if (rule.code === undefined && rule.exception === undefined)
      ctx.addIssue({ code: 'custom', path: ['code'], message: 'a rule names a code, an exception id, or both' });
    if (exceptionCode !== undefined && !(CHECK_CODES as readonly string[]).includes(exceptionCode))
      ctx.addIssue({ code: 'custom', path: ['exception'], message: `unknown check code in exception id: ${exceptionCode}` });
    if (rule.code !== undefined && exceptionCode !== undefined && rule.code !== exceptionCode)
      ctx.addIssue({ code: 'custom', path: ['code'], message: `code ${rule.code} does not match the exception id ${rule.exception}` });
    if (rule.expires !== undefined && rule.expires < rule.added)
      ctx.addIssue({ code: 'custom', path: ['expires'], message: 'expires before it was added' });
  });

export type Rule = z.infer<typeof RuleSchema>;

/** The rules file (`tieout.rules.yaml`): a list of rules with unique ids. */
export const RulesFileSchema = z
  .object({ rules: z.array(RuleSchema).nullish().transform((r) => r ?? []) })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.rules.forEach((r, i) => {
      if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id ${r.id}` });
      seen.add(r.id);
    });
  });
export type RulesFile = z.infer<typeof RulesFileSchema>;

/** The check code a rule applies to. */
export const ruleCode = (rule: Rule): string => rule.code ?? (rule.exception as string).slice((rule.exception as string).lastIndexOf(':') + 1);

/** A rule is active through its expiry date, inclusive, judged by the business date. */
export function isRuleActive(rule: Rule, businessDate: string): boolean {
  return rule.expires === undefined || businessDate <= rule.expires;
}

const asList = (v: string | readonly string[] | undefined): readonly string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : v);

function factList(brk: Break, name: string): readonly string[] {
  const v = brk.facts[name];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v as readonly string[];
  return [];
}

function anyOf(wanted: string | readonly string[] | undefined, have: readonly string[]): boolean {
  if (wanted === undefined) return true;
  const lower = new Set(have.map((h) => h.toLowerCase()));
  return asList(wanted).some((w) => lower.has(w.toLowerCase()));
}

/** Whether an active rule accepts this break. */
export function ruleMatches(rule: Rule, brk: Break, businessDate: string): boolean {
  if (!isRuleActive(rule, businessDate)) return false;
  if (ruleCode(rule) !== brk.code) return false;
  if (rule.exception !== undefined && rule.exception !== brk.id) return false;
  const m = rule.match;
  if (m === undefined) return true;
  return (
    anyOf(m.system, factList(brk, 'systems')) &&
    anyOf(m.gateway, factList(brk, 'gateways')) &&
    anyOf(m.sku, factList(brk, 'skus')) &&
    anyOf(m.carrier, factList(brk, 'carriers')) &&
    anyOf(m.currency, [brk.currency]) &&
    (m.maxAmount === undefined || brk.amount <= m.maxAmount)
  );
}

/** The first rule in file order that accepts the break, if any (file order decides ties). */
export function findRule(rules: readonly Rule[], brk: Break, businessDate: string): Rule | undefined {
  return rules.find((r) => ruleMatches(r, brk, businessDate));
}
