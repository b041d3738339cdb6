// The report as terminal text, Markdown and JSON (the JSON is the DESIGN §9 contract).
import { formatMoney } from '#shared/domain/money.ts';
import type { Report, ReportException } from '#shared/domain/report.ts';
import { allTiedLine, feedProblems } from '#shared/domain/report.ts';

const money = (amount: number, currency: string) => (currency === 'XXX' ? '—' : formatMoney({ amount, currency }));

/** An age for people: `40h`, `3d`, `3d 4h`. */
export function age(hours: number): string {
  const total = Math.max(0, Math.round(hours));
  if (total < 48) return `${total}h`;
  const d = Math.floor(total / 24);
  const h = total % 24;
  return h === 0 ? `${d}d` : `${d}d ${h}h`;
}

/** A clean night stays one line about the books; a missed night, or books not pulled, is said on a line of its own. */
const missed = (r: Report) => (r.missedNights.length ? `No run was recorded for ${r.missedNights.join(', ')}.\n` : '') + feedProblems(r).map((l) => `${l}\n`).join('');
const owner = (e: ReportException) => e.ownerHandle ?? e.owner;
const history = (e: ReportException) => (e.status === 'new' ? 'new' : `recurring, ${e.nights} nights`);
const CAUSES: Record<string, string> = { orphan: 'Records tied to no storefront order', currency: 'Currencies that differ', decimal_shift: 'Amounts off by a power of ten (units or decimal places)' };

type Group = { title: string; lines: string[] };

/** The report's sections as plain lines, shared by the text and Markdown renderings. */
function sections(r: Report): Group[] {
  const by = (b: string) => r.exceptions.filter((e) => e.bucket === b);
  const groups: Group[] = [];
  const genuine = by('genuine_error');
  if (genuine.length)
    groups.push({
      title: `Genuine errors (${genuine.length}) — act on these`,
      lines: genuine.map((e) => `${e.escalated ? '[ESCALATED] ' : ''}${e.narrative} [${e.id} · ${money(e.amount, e.currency)} at risk · open ${age(e.ageHours)} · ${history(e)} · owner ${owner(e)}]`),
    });
  const mapping = by('mapping');
  if (mapping.length) {
    const lines: string[] = [];
    for (const cause of ['orphan', 'currency', 'decimal_shift']) {
      const xs = mapping.filter((e) => e.cause === cause);
      if (xs.length === 0) continue;
      lines.push(`${CAUSES[cause]} (${xs.length}):`);
      for (const e of xs) lines.push(`  ${e.narrative} [${e.id} · ${money(e.amount, e.currency)} · ${history(e)} · owner ${owner(e)}]`);
    }
    groups.push({ title: `Mapping issues (${mapping.length}) — the records exist but do not tie`, lines });
  }
  const timing = by('timing');
  if (timing.length) {
    const byCode = new Map<string, ReportException[]>();
    for (const e of timing) byCode.set(e.code, [...(byCode.get(e.code) ?? []), e]);
    groups.push({
      title: `Timing (${timing.length}) — expected to clear by themselves`,
      lines: [...byCode].sort(([a], [b]) => (a < b ? -1 : 1)).map(([code, xs]) => `${code}: ${xs.length} (oldest ${age(Math.max(...xs.map((x) => x.ageHours)))})`),
    });
  }
  const accepted = by('known_accepted');
  if (accepted.length) {
    const byRule = new Map<string, number>();
    for (const e of accepted) byRule.set(e.rule ?? '?', (byRule.get(e.rule ?? '?') ?? 0) + 1);
    groups.push({ title: `Known and accepted (${accepted.length})`, lines: [...byRule].sort(([a], [b]) => (a < b ? -1 : 1)).map(([rule, n]) => `rule ${rule}: ${n}`) });
  }
  if (r.resolved.length) groups.push({ title: `Resolved since last night (${r.resolved.length})`, lines: r.resolved.map((x) => `${x.id} (${money(x.amount, x.currency)}, open ${x.nights} night${x.nights === 1 ? '' : 's'})`) });
  const health: string[] = [];
  if (r.quarantined) health.push(`${r.quarantined} authentic payload(s) in quarantine (unreadable; see 'tieout replay --quarantine')`);
  if (r.deadLettered) health.push(`${r.deadLettered} message(s) in the dead letters (failed to apply)`);
  if (health.length) groups.push({ title: 'Ingest health', lines: health });
  if (r.feeds?.length) {
    const problems = new Set(feedProblems(r));
    const pulled = r.feeds.filter((f) => f.status === 'pulled').map((f) => `${f.feed}: ${f.rows} row(s) read, ${f.events} event(s) archived, ${f.duplicates} already imported, ${f.quarantined} quarantined${f.watermark ? `; booked through ${f.watermark}` : ''}`);
    groups.push({ title: 'Feeds pulled tonight', lines: [...problems, ...pulled] });
  }
  if (r.missedNights.length) groups.push({ title: 'Nights with no report', lines: [`No run was recorded for ${r.missedNights.join(', ')}.`] });
  return groups;
}

/** The report for a terminal. A clean night is the one line. */
export function renderText(r: Report): string {
  if (r.clean) return `${allTiedLine(r.businessDate, r.ordersChecked)}\n${missed(r)}`;
  const out = [`tieout — nightly report for ${r.businessDate} (as of ${r.asOf})`, r.summary, ''];
  for (const g of sections(r)) {
    out.push(g.title);
    for (const l of g.lines) out.push(`  ${l}`);
    out.push('');
  }
  out.push(`Narration: ${r.narration}. Run ${r.runId}.`);
  return `${out.join('\n')}\n`;
}

// Intraword underscores (exception ids) need no escape in CommonMark; the rest would change the text.
const mdEscape = (s: string) => s.replace(/([\\`*[\]|<>])/g, '\\$1');

/** The report as Markdown (the file kept for each night, and for email or a wiki). */
export function renderMarkdown(r: Report): string {
  if (r.clean) return `${allTiedLine(r.businessDate, r.ordersChecked)}\n${missed(r)}`;
  const out = [`# tieout — ${r.businessDate}`, '', `_As of ${r.asOf}._ ${mdEscape(r.summary)}`, ''];
  out.push('| bucket | count |', '| --- | ---: |');
  for (const [b, n] of Object.entries(r.counts)) out.push(`| ${b} | ${n} |`);
  out.push('');
  for (const g of sections(r)) {
    out.push(`## ${mdEscape(g.title)}`, '');
    for (const l of g.lines) out.push(l.startsWith('  ') ? `  - ${mdEscape(l.trim())}` : `- ${mdEscape(l)}`);
    out.push('');
  }
  out.push(`_Narration: ${r.narration}. Run \`${r.runId}\`._`);
  return `${out.join('\n')}\n`;
}

/** The report as the JSON contract of DESIGN §9 (with its extensions). */
export function renderJson(r: Report): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
