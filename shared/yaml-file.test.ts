import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AT_KEY, parseYamlDocument, readYamlFile } from './yaml-file.ts';

const RulesSchema = z.strictObject({
  version: z.number().int().default(1),
  rules: z
    .array(
      z.strictObject({
        id: z.string(),
        code: z.string(),
        maxDifference: z.number().optional(),
      }),
    )
    .default([]),
  tags: z
    .record(z.string(), z.string())
    .optional()
    .superRefine((tags, ctx) => {
      for (const key of Object.keys(tags ?? {})) {
        if (key.startsWith('x-')) ctx.addIssue({ code: 'custom', path: [key], params: AT_KEY, message: 'reserved tag' });
      }
    }),
});

describe('parseYamlDocument', () => {
  it('returns the validated value, with the schema defaults applied', () => {
    const result = parseYamlDocument('rules:\n  - id: r1\n    code: not_booked\n', RulesSchema, 'tieout.rules.yaml');
    expect(result).toEqual({ ok: true, value: { version: 1, rules: [{ id: 'r1', code: 'not_booked' }] } });
  });

  it('validates an empty file as an empty object', () => {
    expect(parseYamlDocument('', RulesSchema, 'f.yaml')).toEqual({ ok: true, value: { version: 1, rules: [] } });
    expect(parseYamlDocument('# only a comment\n', RulesSchema, 'f.yaml')).toEqual({ ok: true, value: { version: 1, rules: [] } });
  });

  it('names the file, line and column of a syntax error', () => {
    const text = ['version: 1', 'rules:', '  - id: r1', '    code: not_booked: x', ''].join('\n');
    expect(parseYamlDocument(text, RulesSchema, 'tieout.rules.yaml')).toEqual({
      ok: false,
      errors: ['tieout.rules.yaml:4:11: Nested mappings are not allowed in compact mappings'],
    });
  });

  it('reports a syntax error on its line even when later lines are fine', () => {
    const text = ['version: 1', 'rules:', '\t- id: r1', '  - id: r2', '    code: x', ''].join('\n');
    const result = parseYamlDocument(text, RulesSchema, 'f.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]).toMatch(/^f\.yaml:3:1: .*[Tt]ab/);
    expect(result.errors.every((e) => !e.includes('\n'))).toBe(true);
  });

  it('reports duplicate keys at the line of the duplicate', () => {
    const result = parseYamlDocument('version: 1\nrules: []\nversion: 2\n', RulesSchema, 'f.yaml');
    expect(result).toEqual({ ok: false, errors: [expect.stringMatching(/^f\.yaml:3:1: .*unique/)] });
  });

  it('names the line of a wrong type inside a nested list item', () => {
    const text = [
      'rules:', //                          1
      '  - id: r1', //                      2
      '    code: not_booked', //            3
      '  - id: r2', //                      4
      '    code: unsettled', //             5
      '    maxDifference: "five"', //       6
      '',
    ].join('\n');
    const result = parseYamlDocument(text, RulesSchema, 'tieout.rules.yaml');
    expect(result).toEqual({
      ok: false,
      errors: [expect.stringMatching(/^tieout\.rules\.yaml:6:20: rules\[1\]\.maxDifference: .*expected number/)],
    });
  });

  it('lists every problem at once, sorted by line, each at its own line', () => {
    const text = [
      'version: one', //                    1  wrong type
      'rules:', //                          2
      '  - id: r1', //                      3  code missing -> located at the item
      '  - id: 7', //                       4  wrong type
      '    code: x', //                     5
      '    colour: blue', //                6  unknown key
      'tags:', //                           7
      '  team: a', //                       8
      '  x-internal: b', //                 9  custom issue located at the key
      'extra: true', //                     10 unknown key
      '',
    ].join('\n');
    const result = parseYamlDocument(text, RulesSchema, 'r.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      expect.stringMatching(/^r\.yaml:1:10: version: /),
      'r.yaml:3:5: rules[0].code: required',
      expect.stringMatching(/^r\.yaml:4:9: rules\[1\]\.id: .*expected string/),
      'r.yaml:6:5: rules[1].colour: unknown key',
      'r.yaml:9:3: tags.x-internal: reserved tag',
      'r.yaml:10:1: extra: unknown key',
    ]);
  });

  it('locates a wrong top-level type at the start of the document', () => {
    expect(parseYamlDocument('\n- a\n- b\n', RulesSchema, 'f.yaml')).toEqual({
      ok: false,
      errors: [expect.stringMatching(/^f\.yaml:2:1: .*expected object/)],
    });
  });
});

describe('readYamlFile', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('reads and validates a file, naming it in errors', () => {
    dir = mkdtempSync(join(tmpdir(), 'tieout-yaml-'));
    const path = join(dir, 'rules.yaml');
    writeFileSync(path, 'version: 2\n');
    expect(readYamlFile(path, RulesSchema)).toEqual({ ok: true, value: { version: 2, rules: [] } });
    writeFileSync(path, 'version: x\n');
    expect(readYamlFile(path, RulesSchema, 'rules.yaml')).toEqual({
      ok: false,
      errors: [expect.stringMatching(/^rules\.yaml:1:10: version: /)],
    });
  });

  it('reports a missing file by its path', () => {
    dir = mkdtempSync(join(tmpdir(), 'tieout-yaml-'));
    const path = join(dir, 'absent.yaml');
    expect(readYamlFile(path, RulesSchema)).toEqual({ ok: false, errors: [`${path}: file not found`] });
  });
});
