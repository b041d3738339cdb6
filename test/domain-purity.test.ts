// The pure core stays pure: domain modules import no I/O, clock, randomness, environment or vendor SDK.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DOMAIN = fileURLToPath(new URL('../shared/domain/', import.meta.url));

/** Packages the domain may use: validation and calendar arithmetic, nothing that does I/O. */
const ALLOWED_PACKAGES = new Set(['zod', 'temporal-polyfill']);

const FORBIDDEN: [RegExp, string][] = [
  [/\bDate\.now\s*\(/, 'reads the clock (Date.now)'],
  [/\bnew Date\s*\(\s*\)/, 'reads the clock (new Date())'],
  [/\bTemporal\.Now\b/, 'reads the clock (Temporal.Now)'],
  [/\bperformance\.now\s*\(/, 'reads the clock (performance.now)'],
  [/\bMath\.random\s*\(/, 'uses randomness'],
  [/\bcrypto\.(randomUUID|getRandomValues)\b/, 'uses randomness'],
  [/\bprocess\./, 'reads the process (environment, argv, cwd)'],
  [/\b(setTimeout|setInterval|setImmediate)\s*\(/, 'schedules work'],
  [/\bfetch\s*\(/, 'does network I/O'],
  [/\bconsole\./, 'writes to the console'],
  [/\brequire\s*\(|\bimport\s*\(/, 'loads modules dynamically'],
];

/** Every rule a source file breaks, as messages. */
export function violations(source: string): string[] {
  const out: string[] = [];
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const m of code.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
    const spec = m[1] as string;
    if (spec.startsWith('./')) continue;
    const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string);
    if (!ALLOWED_PACKAGES.has(pkg)) out.push(`imports ${spec}`);
  }
  for (const [re, why] of FORBIDDEN) if (re.test(code)) out.push(why);
  return out;
}

const files = readdirSync(DOMAIN).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

describe('domain purity', () => {
  it('finds the domain modules', () => {
    expect(files).toEqual(expect.arrayContaining(['events.ts', 'money.ts', 'order-state.ts', 'checks.ts', 'classification.ts', 'rules.ts', 'routing.ts']));
  });

  it.each(files.map((f) => [f]))('%s imports no I/O, clock, randomness, environment or vendor SDK', (file) => {
    expect(violations(readFileSync(join(DOMAIN, file), 'utf8'))).toEqual([]);
  });

  it('the check itself catches each kind of violation', () => {
    expect(violations(`import { readFileSync } from 'node:fs';`)).toEqual(['imports node:fs']);
    expect(violations(`import { Firestore } from '@google-cloud/firestore';`)).toEqual(['imports @google-cloud/firestore']);
    expect(violations(`import x from '../../services/matcher/x.ts';`)).toEqual(['imports ../../services/matcher/x.ts']);
    expect(violations('const t = Date.now();')).toEqual(['reads the clock (Date.now)']);
    expect(violations('const t = new Date();')).toEqual(['reads the clock (new Date())']);
    expect(violations('const t = new Date(x);')).toEqual([]);
    expect(violations('const r = Math.random();')).toEqual(['uses randomness']);
    expect(violations('const k = process.env.SECRET;')).toEqual(['reads the process (environment, argv, cwd)']);
    expect(violations(`import { z } from 'zod';\n// Date.now() in a comment is fine`)).toEqual([]);
  });
});
