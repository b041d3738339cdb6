import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildProgram } from '../cli.ts';

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'tieout-rules-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

async function tieout(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await buildProgram({ cwd, env: {}, stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), now: () => '2026-12-02T12:00:00.000Z' }).run(args);
  return { code, stdout, stderr };
}

const VALID = `# Accepted edge cases, reviewed like code.
rules:
  - id: preorder-80213
    exception: "80213:captured_not_shipped"
    reason: Pre-order, ships in January
    owner: fulfilment
    added: 2026-11-20
    expires: 2027-01-31
  - id: amazon-pay-pennies
    code: capture_mismatch
    match: { gateway: amazon_pay, maxAmount: 2 }
    reason: Amazon Pay rounds presentment conversions
    owner: finance
    added: 2026-11-01
    expires: 2026-11-30
`;

describe('tieout rules check', () => {
  it('lists every rule with its scope, owner and whether it is still active', async () => {
    writeFileSync(join(cwd, 'tieout.rules.yaml'), VALID);
    const { code, stdout } = await tieout(['rules', 'check']);
    expect(code).toBe(0);
    expect(stdout).toContain('tieout.rules.yaml: valid, 2 rules (1 active, 1 expired as of 2026-12-01)');
    expect(stdout).toContain('preorder-80213: 80213:captured_not_shipped');
    expect(stdout).toContain('active until 2027-01-31; owner fulfilment');
    expect(stdout).toContain('amazon-pay-pennies: capture_mismatch where gateway=amazon_pay, maxAmount=2');
    expect(stdout).toContain('EXPIRED 2026-11-30');
  });

  it('a bad file fails with exit 2, naming every line at fault', async () => {
    const bad = VALID.replace('code: capture_mismatch', 'code: capture_mismatchh').replace('added: 2026-11-20', 'added: 20-11-2026');
    writeFileSync(join(cwd, 'tieout.rules.yaml'), bad);
    const { code, stderr } = await tieout(['rules', 'check']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/tieout\.rules\.yaml:7:\d+: rules\[0\]\.added: expected a date written YYYY-MM-DD/);
    expect(stderr).toMatch(/tieout\.rules\.yaml:10:\d+: rules\[1\]\.code:/);
  });

  it('a YAML syntax error names its line', async () => {
    writeFileSync(join(cwd, 'tieout.rules.yaml'), 'rules:\n  - id: x\n    reason: [unclosed\n');
    const { code, stderr } = await tieout(['rules', 'check']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/tieout\.rules\.yaml:\d+:\d+:/);
  });

  it('no rules file is not an error: a new install has none', async () => {
    const { code, stdout } = await tieout(['rules', 'check']);
    expect(code).toBe(0);
    expect(stdout).toContain('no rules file yet');
  });

  it('--rules names another file, resolved against the working directory', async () => {
    writeFileSync(join(cwd, 'other.yaml'), 'rules: []\n');
    const { code, stdout } = await tieout(['--rules', 'other.yaml', 'rules', 'check']);
    expect(code).toBe(0);
    expect(stdout).toContain('other.yaml: valid, 0 rules');
  });
});
