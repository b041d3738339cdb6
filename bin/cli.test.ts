import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildProgram } from './cli.ts';

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'tieout-cli-'));
});
afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
});

/** Runs the CLI in-process against a temporary working directory and captures its output. */
async function tieout(args: string[], env: Record<string, string | undefined> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await buildProgram({
    cwd,
    env,
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
  }).run(args);
  return { code, stdout, stderr };
}

const COMMANDS = ['demo', 'serve', 'import', 'pull', 'match', 'report', 'order', 'replay', 'accept', 'rules'];

describe('tieout CLI', () => {
  it('--help lists every command and the global options, and exits 0', async () => {
    const { code, stdout, stderr } = await tieout(['--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    for (const name of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    for (const option of ['--config <file>', '--rules <file>', '--data-dir <dir>', '--version']) expect(stdout).toContain(option);
  });

  it.each([
    [['demo'], ['--orders <n>', '--days <d>', '--seed <s>']],
    [['import'], ['<system>', '<file...>', '--verify']],
    [['report'], ['--date <date>', '--as-of <instant>', '--format <format>', 'markdown', 'slack', '--post', '--force']],
    [['order'], ['<key>', '--json']],
    [['replay'], ['--from <date>', '--to <date>', '--order <key>', '--into <target>', 'shadow', 'live']],
    [['accept'], ['<exception-id>', '--reason <text>', '--owner <owner>', '--expires <date>']],
    [['rules'], ['check']],
    [['rules', 'check'], ['rules file']],
    [['pull'], ['warehouse']],
    [['pull', 'warehouse'], ['--since <instant>', '--dry-run', 'watermark']],
  ])('%s --help documents its options', async (command, expected) => {
    const { code, stdout } = await tieout([...command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: tieout ${command.join(' ')}`);
    for (const text of expected) expect(stdout).toContain(text);
  });

  it('--version prints the version and exits 0', async () => {
    const { code, stdout } = await tieout(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('accepts the global options before or after the command', async () => {
    writeFileSync(join(cwd, 'r.yaml'), 'rules: []\n');
    const { code, stdout } = await tieout(['--data-dir', 'var/data', 'rules', 'check', '--rules', 'r.yaml']);
    expect(code).toBe(0);
    expect(stdout).toContain('r.yaml: valid, 0 rules');
  });

  it.each([
    [['report', '--colour', 'red'], /unknown option '--colour'/, "tieout report --help"],
    [['--nope'], /unknown option '--nope'/, 'tieout --help'],
    [['reconcile'], /unknown command 'reconcile'/, 'tieout --help'],
    [['report', '--format', 'pdf'], /Allowed choices are text, markdown, json, slack/, 'tieout report --help'],
    [['report', '--date', '2026-02-30'], /no such calendar day/, 'tieout report --help'],
    [['report', '--date', '2026-11-25', '--as-of', '2026-11-26T06:00:00Z'], /cannot be used with/, 'tieout report --help'],
    [['report', '--as-of', 'yesterday'], /ISO 8601 instant/, 'tieout report --help'],
    [['demo', '--orders', '0'], /at least 1/, 'tieout demo --help'],
    [['demo', '--seed', 'x'], /whole number/, 'tieout demo --help'],
    [['accept', '80213:not_booked'], /required option '--reason <text>' not specified/, 'tieout accept --help'],
    [['import', 'stripe'], /missing required argument 'file'/, 'tieout import --help'],
    [['order'], /missing required argument 'key'/, 'tieout order --help'],
    [['match', 'extra'], /too many arguments/, 'tieout match --help'],
    [['replay', '--into', 'prod'], /Allowed choices are shadow, live/, 'tieout replay --help'],
    [['pull', 'warehouse', '--since', 'last week'], /ISO 8601 instant/, 'tieout pull warehouse --help'],
  ])('%s is a usage error: exit 2 with a hint', async (args, message, hint) => {
    const { code, stdout, stderr } = await tieout(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).toContain(`(run '${hint}' for usage)`);
  });

  it('no command at all is a usage error that shows the help', async () => {
    const { code, stderr } = await tieout([]);
    expect(code).toBe(2);
    expect(stderr).toContain('Usage: tieout');
  });

  it('a bad config file exits 2 and lists every problem with its line, before any command runs', async () => {
    writeFileSync(join(cwd, 'tieout.config.yaml'), 'cutoff: "6 in the morning"\nwindows:\n  not_a_check: 6h\n');
    const { code, stdout, stderr } = await tieout(['report'], { PORT: 'none' });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('tieout: invalid configuration (3 problems):');
    expect(lines[1]).toMatch(/^ {2}tieout\.config\.yaml:1:9: cutoff: /);
    expect(lines[2]).toMatch(/^ {2}tieout\.config\.yaml:3:3: windows\.not_a_check: unknown check code/);
    expect(lines[3]).toMatch(/^ {2}PORT: /);
  });

  it('pull warehouse without a ledger table exits 2 saying how to configure one, before touching any store', async () => {
    const { code, stdout, stderr } = await tieout(['pull', 'warehouse']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('no ledger table is configured');
    expect(stderr).toContain('TIEOUT_WAREHOUSE_LEDGER_TABLE');
  });

  it('a ledger table with injection characters is a configuration error for every command (exit 2)', async () => {
    const { code, stderr } = await tieout(['pull', 'warehouse'], { TIEOUT_WAREHOUSE_LEDGER_TABLE: 'acme-finance.ledger.entries` WHERE TRUE; --' });
    expect(code).toBe(2);
    expect(stderr).toContain('TIEOUT_WAREHOUSE_LEDGER_TABLE:');
    expect(stderr).toContain('is not a BigQuery table named project.dataset.table');
  });

  it('a named config file that is missing exits 2 naming it', async () => {
    const { code, stderr } = await tieout(['--config', 'nope.yaml', 'rules', 'check']);
    expect(code).toBe(2);
    expect(stderr).toContain('nope.yaml: file not found');
  });

  it('the real entry runs under Node and exits 0 for --help', () => {
    const entry = fileURLToPath(new URL('./tieout.ts', import.meta.url));
    const result = spawnSync(process.execPath, [entry, '--help'], { cwd, encoding: 'utf8', env: { PATH: process.env['PATH'] } });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: tieout');
  });

});
