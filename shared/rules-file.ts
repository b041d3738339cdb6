// The rules file (`tieout.rules.yaml`): read and validated, every problem named with its line.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isSeq, parseDocument } from 'yaml';
import { RulesFileSchema, type Rule } from './domain/rules.ts';
import { err, ok, type Result } from './domain/result.ts';
import { parseYamlDocument, readYamlFile } from './yaml-file.ts';

/**
 * Loads the rules at `path`. A missing file means no rules (a new install has none yet); a file
 * that does not parse or validate fails with every problem and its line.
 */
export function loadRules(path: string): Result<readonly Rule[]> {
  if (!existsSync(path)) return ok([]);
  const file = readYamlFile(path, RulesFileSchema);
  return file.ok ? ok(file.value.rules) : file;
}

const HEADER = `# tieout rules: accepted edge cases, reviewed like code.
# Each rule names a check code and/or an exact exception id (<orderKey>:<code>), optional
# conditions (system, gateway, sku, carrier, currency, maxAmount), a reason, an owner, when it
# was added and when it expires. Validate with: tieout rules check
rules: []
`;

/**
 * Appends a rule to the rules file (creating it if needed), keeping its comments and order, and
 * writes it only if the result validates; the write is atomic (temp file, then rename).
 */
export function appendRule(path: string, rule: Rule): Result<void> {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : HEADER;
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return err(`${path}: cannot edit a file that does not parse; run 'tieout rules check'`);
  let seq = doc.get('rules', true);
  if (!isSeq(seq)) {
    doc.set('rules', doc.createNode([]));
    seq = doc.get('rules', true);
  }
  if (!isSeq(seq)) return err(`${path}: 'rules' is not a list`);
  seq.flow = false;
  const node = doc.createNode(Object.fromEntries(Object.entries(rule).filter(([, v]) => v !== undefined)));
  seq.add(node);
  const out = doc.toString({ lineWidth: 0 });
  const check = parseYamlDocument(out, RulesFileSchema, path);
  if (!check.ok) return err(...check.errors);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, out);
  renameSync(tmp, path);
  return ok(undefined);
}
