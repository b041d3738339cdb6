// The report as Slack Block Kit: a digest to read in ten seconds, and every detail in its thread, split to Slack's limits.
import type { MappingCause } from '#shared/domain/classification.ts';
import { formatMoney } from '#shared/domain/money.ts';
import { allTiedLine, feedProblems, templateSummary, type Report, type ReportException } from '#shared/domain/report.ts';
import { age } from './render.ts';

/** One chat.postMessage payload: Block Kit blocks and the plain text Slack shows in notifications. */
export type SlackMessage = { text: string; blocks: object[] };

/** The Slack limits every rendered message stays within. */
// `messageBytes` is ours: Slack also rejects a message whose blocks are long in total (`msg_blocks_too_long`,
// undocumented, reported at about 13,200 characters), so the UTF-8 size of its blocks as JSON stays under 12,000.
export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  headerText: 150,
  fieldText: 2000,
  fieldsPerSection: 10,
  contextText: 3000,
  notificationText: 3000,
  messageBytes: 12_000,
} as const;

type Text = { type: 'mrkdwn' | 'plain_text'; text: string };
type Block =
  | { type: 'header'; text: Text & { emoji: boolean } }
  | { type: 'section'; text: Text }
  | { type: 'section'; fields: Text[] }
  | { type: 'context'; elements: Text[] };

// Control characters would render as garbage and inflate the JSON (`\u0001` is six bytes), so they become spaces.
const CONTROL = /[\u0000-\u0009\u000B-\u001F\u007F]/g;

/** Escapes text from records, config or the model for mrkdwn: `&`, `<` and `>` only, as Slack asks. */
const esc = (s: string) => s.replace(CONTROL, ' ').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** An id in a code span; a backtick inside it would end the span early. */
const code = (s: string) => `\`${esc(s).replace(/`/g, "'")}\``;

/**
 * Where to cut mrkdwn text to at most `max` characters without splitting a surrogate pair, an
 * entity (`&amp;`) or a `<…>` mention, preferring a space near the end.
 */
function cutPoint(s: string, max: number): number {
  if (s.length <= max) return s.length;
  let p = max;
  const c = s.charCodeAt(p - 1);
  if (c >= 0xd800 && c <= 0xdbff) p -= 1;
  const amp = s.lastIndexOf('&', p - 1);
  if (amp !== -1 && amp > p - 5 && s.indexOf(';', amp) >= p) p = amp;
  const open = s.lastIndexOf('<', p - 1);
  if (open !== -1 && s.lastIndexOf('>', p - 1) < open) p = open;
  const space = s.lastIndexOf(' ', p);
  if (space > max * 0.75) p = space;
  return p > 0 ? p : max;
}

/** Shortens mrkdwn text to at most `max` characters, marking the cut with an ellipsis. */
function fit(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, cutPoint(s, max - 1)).trimEnd()}…`;
}

/** Splits mrkdwn text into pieces of at most `max` characters, losing nothing. */
function split(s: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = s;
  while (rest.length > max) {
    const p = cutPoint(rest, max);
    pieces.push(rest.slice(0, p));
    rest = rest.slice(p).replace(/^ /, '');
  }
  if (rest.length) pieces.push(rest);
  return pieces;
}

const mrkdwn = (text: string): Text => ({ type: 'mrkdwn', text });
const section = (text: string): Block => ({ type: 'section', text: mrkdwn(text) });
const context = (text: string): Block => ({ type: 'context', elements: [mrkdwn(fit(text, SLACK_LIMITS.contextText))] });
const header = (text: string): Block => ({ type: 'header', text: { type: 'plain_text', text: fit(text.replace(CONTROL, ' '), SLACK_LIMITS.headerText), emoji: true } });
const bytes = (x: unknown) => Buffer.byteLength(JSON.stringify(x), 'utf8');
const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

const money = (amount: number, currency: string): string | null => (currency === 'XXX' ? null : formatMoney({ amount, currency }));
/** The configured Slack handle is a mention and goes out as is; a bare owner name is text. */
const ownerOf = (e: ReportException) => e.ownerHandle ?? esc(e.owner);
const history = (e: ReportException) => (e.status === 'new' ? 'new tonight' : `recurring for ${e.nights} nights`);
const alarm = (e: ReportException) => (e.escalated ? ':rotating_light: ' : '');
/** The narrative without the template's trailing "Owner: x." — the rendering names the owner itself, as a handle. */
const narrative = (e: ReportException) => {
  const tail = ` Owner: ${e.owner}.`;
  return e.narrative.endsWith(tail) ? e.narrative.slice(0, -tail.length) : e.narrative;
};

const CAUSE_TITLES: Record<MappingCause, string> = {
  orphan: 'records tied to no storefront order',
  currency: 'currencies that differ',
  decimal_shift: 'amounts off by an exact power of ten',
};
const CAUSE_ORDER: readonly MappingCause[] = ['orphan', 'currency', 'decimal_shift'];

/** Count of known-and-accepted exceptions per rule, in rule order. */
function acceptedByRule(r: Report): [string, number][] {
  const byRule = new Map<string, number>();
  for (const e of r.exceptions) if (e.bucket === 'known_accepted') byRule.set(e.rule ?? 'unknown', (byRule.get(e.rule ?? 'unknown') ?? 0) + 1);
  return [...byRule].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function ingestHealth(r: Report): string[] {
  const lines: string[] = [];
  if (r.quarantined) lines.push(`${plural(r.quarantined, 'authentic payload')} in quarantine: unreadable, kept whole, replayable after a fix`);
  if (r.deadLettered) lines.push(`${plural(r.deadLettered, 'message')} dead-lettered: failed to apply to order state, replayable`);
  if (r.missedNights.length) lines.push(`no report was recorded for ${r.missedNights.join(', ')}`);
  // A failed pull of the books must not pass for a quiet night (DESIGN promise 3).
  for (const problem of feedProblems(r)) lines.push(esc(problem.replace(/\.$/, '')));
  return lines;
}

// ---------------------------------------------------------------------------------------------
// The digest: what lands in the channel.

const DIGEST_TOP = 5;
const DIGEST_NARRATIVE = 400;

function cleanDigest(r: Report): SlackMessage {
  const line = allTiedLine(r.businessDate, r.ordersChecked);
  const blocks: Block[] = [section(esc(line))];
  const accepted = acceptedByRule(r);
  if (accepted.length) {
    const total = accepted.reduce((n, [, k]) => n + k, 0);
    blocks.push(context(`Known and accepted: ${total} — ${accepted.map(([rule, n]) => `rule ${code(rule)}: ${n}`).join(', ')}`));
  }
  // Quarantined or dead-lettered input would otherwise go unseen on a night that ties (DESIGN §10).
  const health = ingestHealth(r);
  if (health.length) blocks.push(context(`Ingest health: ${health.join('; ')}.`));
  return { text: fit(esc(line), SLACK_LIMITS.notificationText), blocks };
}

function fields(r: Report): Text[] {
  const c = r.counts;
  const risk = r.atRisk.map((m) => money(m.amount, m.currency)).filter((m): m is string => m !== null);
  return [
    mrkdwn(`*Genuine errors*\n${c.genuine_error}`),
    mrkdwn(`*Mapping issues*\n${c.mapping}`),
    mrkdwn(`*Timing*\n${c.timing}`),
    mrkdwn(`*Known and accepted*\n${c.known_accepted}`),
    mrkdwn(fit(`*At risk*\n${risk.length ? risk.join('\n') : 'nothing'}`, SLACK_LIMITS.fieldText)),
  ];
}

/** At most five genuine errors: escalated ones first, then the rest, each group in report order (largest first). */
function topErrors(r: Report): string {
  const genuine = r.exceptions.filter((e) => e.bucket === 'genuine_error');
  if (genuine.length === 0) return '*No genuine errors tonight.*';
  const top = [...genuine.filter((e) => e.escalated), ...genuine.filter((e) => !e.escalated)].slice(0, DIGEST_TOP);
  const title = genuine.length > top.length ? `*Top genuine errors* (${top.length} of ${genuine.length})` : '*Genuine errors*';
  const lines = top.map((e) => `• ${alarm(e)}${fit(esc(narrative(e)), DIGEST_NARRATIVE)} — ${ownerOf(e)}`);
  return fit([title, ...lines].join('\n'), SLACK_LIMITS.sectionText);
}

function digest(r: Report): SlackMessage {
  if (r.clean) return cleanDigest(r);
  const summary = fit(esc(r.summary || templateSummary(r)), SLACK_LIMITS.sectionText);
  const blocks: Block[] = [
    header(`tieout — ${r.businessDate}`),
    section(summary),
    { type: 'section', fields: fields(r) },
    section(topErrors(r)),
    context('Full detail in the thread.'),
  ];
  return { text: fit(summary, SLACK_LIMITS.notificationText), blocks };
}

// ---------------------------------------------------------------------------------------------
// The thread: every detail, in report order, packed into as many messages as Slack's limits need.

/** A titled run of items; items are joined with `sep` and never dropped, only carried to the next block or message. */
type Group = { readonly title: string; readonly items: readonly string[]; readonly sep: string };

function detail(e: ReportException): string {
  const amount = money(e.amount, e.currency);
  const meta = [code(e.id), ...(amount ? [`${amount} at risk`] : []), `open ${age(e.ageHours)}`, history(e), `owner ${ownerOf(e)}`];
  return `• ${alarm(e)}${esc(narrative(e))}\n      ${meta.join(' · ')}`;
}

function groups(r: Report): Group[] {
  const of = (bucket: string) => r.exceptions.filter((e) => e.bucket === bucket);
  const out: Group[] = [];
  const genuine = of('genuine_error');
  if (genuine.length) out.push({ title: `Genuine errors (${genuine.length}) — act on these`, items: genuine.map(detail), sep: '\n' });
  const mapping = of('mapping');
  for (const cause of [...CAUSE_ORDER, null]) {
    const xs = mapping.filter((e) => (cause === null ? e.cause === null || !CAUSE_ORDER.includes(e.cause) : e.cause === cause));
    if (xs.length) out.push({ title: `Mapping issues: ${cause === null ? 'other' : CAUSE_TITLES[cause]} (${xs.length})`, items: xs.map(detail), sep: '\n' });
  }
  const timing = of('timing');
  if (timing.length) {
    const byCode = new Map<string, { n: number; oldest: number }>();
    for (const e of timing) {
      const cur = byCode.get(e.code);
      byCode.set(e.code, { n: (cur?.n ?? 0) + 1, oldest: Math.max(cur?.oldest ?? 0, e.ageHours) });
    }
    const items = [...byCode].sort(([a], [b]) => (a < b ? -1 : 1)).map(([c, { n, oldest }]) => `• ${code(c)}: ${n}, oldest open ${age(oldest)}`);
    out.push({ title: `Timing (${timing.length}) — expected to clear by themselves`, items, sep: '\n' });
  }
  const accepted = acceptedByRule(r);
  if (accepted.length) {
    const total = accepted.reduce((n, [, k]) => n + k, 0);
    out.push({ title: `Known and accepted (${total})`, items: accepted.map(([rule, n]) => `• rule ${code(rule)}: ${n}`), sep: '\n' });
  }
  if (r.resolved.length) out.push({ title: `Resolved since last night (${r.resolved.length})`, items: r.resolved.map((x) => code(x.id)), sep: ', ' });
  const health = ingestHealth(r);
  if (health.length) out.push({ title: 'Ingest health', items: health.map((l) => `• ${l}`), sep: '\n' });
  return out;
}

/**
 * Packs groups into messages. Each group starts a new section; a section holds as many items as
 * fit in 3,000 characters (an item longer than that is split, never cut); a message takes sections
 * while it stays under 50 blocks and the byte budget; a group that runs on into the next message
 * repeats its title there, marked "continued".
 */
function pack(intro: Block, gs: readonly Group[]): Block[][] {
  const messages: Block[][] = [];
  let blocks: Block[] = [intro];
  let size = bytes([intro]);
  const fits = (b: Block) => blocks.length < SLACK_LIMITS.blocksPerMessage && size + bytes(b) + 1 <= SLACK_LIMITS.messageBytes;
  const add = (b: Block) => {
    blocks.push(b);
    size += bytes(b) + 1;
  };
  const flush = () => {
    messages.push(blocks);
    blocks = [];
    size = 2;
  };
  for (const g of gs) {
    const title = `*${esc(g.title)}*`;
    const continued = `*${esc(g.title)} (continued)*`;
    // Room for either heading, so a continuation can always take its title without passing the limit.
    const room = SLACK_LIMITS.sectionText - Math.max(title.length, continued.length) - 1;
    const chunks: string[] = [];
    let current = '';
    for (const piece of g.items.flatMap((item) => split(item, room))) {
      if (current && current.length + g.sep.length + piece.length <= room) current += g.sep + piece;
      else {
        if (current) chunks.push(current);
        current = piece;
      }
    }
    if (current) chunks.push(current);
    chunks.forEach((chunk, i) => {
      const own = section(i === 0 ? `${title}\n${chunk}` : chunk);
      if (fits(own)) return add(own);
      flush();
      add(i === 0 ? own : section(`${continued}\n${chunk}`));
    });
  }
  if (blocks.length) messages.push(blocks);
  return messages;
}

function thread(r: Report): SlackMessage[] {
  if (r.clean) return [];
  const narration = r.narration === 'model' ? 'narrated by the model, every figure checked against the facts' : 'template narration';
  const intro = context(`Detail for ${esc(r.businessDate)} · as of ${esc(r.asOf)} · run ${code(r.runId)} · ${narration}`);
  const messages = pack(intro, groups(r));
  return messages.map((blocks, i) => ({
    text: `tieout — ${esc(r.businessDate)}: detail${messages.length > 1 ? `, part ${i + 1} of ${messages.length}` : ''}`,
    blocks,
  }));
}

/**
 * Renders one night for Slack, purely and deterministically: a digest for the channel (a clean night is
 * the one "All tied" line) and, unless the night is clean, a thread with every detail, split so that no
 * message passes Slack's limits and nothing is dropped.
 */
export function renderSlack(report: Report): { digest: SlackMessage; thread: SlackMessage[] } {
  return { digest: digest(report), thread: thread(report) };
}
