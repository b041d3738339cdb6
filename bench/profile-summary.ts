// `node bench/profile-summary.ts FILE.cpuprofile [N]`: a V8 CPU profile (from `npm run bench -- --profile`)
// as the top N functions by self and inclusive time, and self time by pipeline stage.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

const [file, top = '30'] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: node bench/profile-summary.ts FILE.cpuprofile [N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfMs = new Map<number, number>();
profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
const total = [...selfMs.values()].reduce((a, b) => a + b, 0);

const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace('file://', '').replace(ROOT, '')}:${n.callFrame.lineNumber + 1}`;
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, ms] of selfMs) {
  const n = byId.get(id) as Node;
  self.set(label(n), (self.get(label(n)) ?? 0) + ms);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur) as Node);
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + ms);
  }
}
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title} (total ${Math.round(total)} ms)`);
  for (const [l, ms] of [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) console.log(`${ms.toFixed(0).padStart(8)} ms ${((ms / total) * 100).toFixed(1).padStart(5)}%  ${l}`);
};
show('self', self);
show('inclusive', inclusive);

// Self time by stage of the pipeline (line-level for the store, where one function does several things).
type Tick = { url: string; fn: string; line: number };
const STAGES: [string, (t: Tick) => boolean][] = [
  ['garbage collection', (t) => t.fn === '(garbage collector)'],
  ['state store: JSON.stringify + upsert of docs', (t) => t.url.endsWith('order-state-store.ts') && /put\.run\(/.test(lineText(t))],
  ['state store: COMMIT (WAL append, checkpoints)', (t) => t.url.endsWith('order-state-store.ts') && /COMMIT|BEGIN/.test(lineText(t))],
  ['state store: JSON.parse of docs', (t) => t.url.endsWith('order-state-store.ts') && /JSON\.parse/.test(lineText(t))],
  ['state store: doc and alias reads', (t) => t.url.endsWith('order-state-store.ts') || t.url.endsWith('staged-tx.ts')],
  ['event bus: pull, lease, ack (SQLite)', (t) => t.url.endsWith('event-bus.ts') || t.url.endsWith('sqlite/database.ts')],
  ['archive: scan (SQLite)', (t) => t.url.endsWith('sqlite/archive.ts')],
  ['event JSON.parse + zod validation', (t) => t.url.includes('/zod/') || t.url.endsWith('instant.ts') || t.url.endsWith('matcher/matcher.ts') || t.url.includes('/sources/')],
  ['checks (open flag)', (t) => t.url.endsWith('checks.ts') || t.url.endsWith('order-facts.ts')],
  ['replay: compare rebuilt with live (canonicalJson)', (t) => t.url.endsWith('order-state.ts') && (t.fn === 'canonicalJson' || /sorted/.test(lineText(t)))],
  ['fold: routing, merge, staging', (t) => /fold\.ts|routing\.ts|order-state\.ts|replay\.ts/.test(t.url)],
];
const sources = new Map<string, string[]>();
function lineText(t: Tick): string {
  if (!t.url.startsWith('file://')) return '';
  let lines = sources.get(t.url);
  if (lines === undefined) sources.set(t.url, (lines = readFileSync(new URL(t.url), 'utf8').split('\n')));
  return lines[t.line - 1] ?? '';
}
const stages = new Map<string, number>();
const msPerTick = total / profile.samples.length;
for (const [id, ms] of selfMs) {
  const n = byId.get(id) as Node & { positionTicks?: { line: number; ticks: number }[] };
  const ticks = n.positionTicks && n.positionTicks.length > 0 ? n.positionTicks.map((p) => ({ line: p.line, ms: p.ticks * msPerTick })) : [{ line: n.callFrame.lineNumber + 1, ms }];
  for (const p of ticks) {
    const t = { url: n.callFrame.url, fn: n.callFrame.functionName, line: p.line };
    const stage = STAGES.find(([, match]) => match(t))?.[0] ?? 'other';
    stages.set(stage, (stages.get(stage) ?? 0) + p.ms);
  }
}
show('by stage', stages);
