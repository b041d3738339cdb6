// YAML files validated by a zod schema, with every problem reported as `file:line:col: path: message`.
import { readFileSync } from 'node:fs';
import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { err, ok, type Result } from './domain/result.ts';

/**
 * Pass as `params` of a custom zod issue whose fault is the map key itself (an unknown name),
 * so the issue is located at the key rather than at its value.
 */
export const AT_KEY = { at: 'key' } as const;

type Located = { readonly line: number; readonly col: number; readonly text: string };

/**
 * Parses YAML text and validates it with `schema`. Syntax errors and schema issues come back as
 * Result errors, all of them at once, sorted by line, each naming the file, line and column at
 * fault (and the dotted path for schema issues). An empty document is validated as `{}`.
 */
export function parseYamlDocument<T>(text: string, schema: z.ZodType<T>, fileName: string): Result<T> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number | undefined): { line: number; col: number } => {
    if (offset === undefined) return { line: 1, col: 1 };
    const pos = lineCounter.linePos(offset);
    return { line: Math.max(1, pos.line), col: Math.max(1, pos.col) };
  };

  if (doc.errors.length > 0) {
    const found = doc.errors.map((e): Located => {
      const { line, col } = at(e.pos[0]);
      return { line, col, text: firstLine(e.message) };
    });
    return err(...render(fileName, found));
  }

  const parsed = schema.safeParse(doc.toJS() ?? {}, { error: requiredMessage });
  if (parsed.success) return ok(parsed.data);

  const found: Located[] = [];
  for (const issue of parsed.error.issues) {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    if (issue.code === 'unrecognized_keys') {
      // Point at each unknown key itself rather than at the map that holds it.
      for (const key of issue.keys) {
        const { line, col } = at(keyOffset(doc, path, key) ?? nodeOffset(doc, path));
        found.push({ line, col, text: `${dotted([...path, key])}: unknown key` });
      }
      continue;
    }
    const last = path.at(-1);
    const onKey = issue.code === 'custom' && issue.params?.['at'] === 'key' && typeof last === 'string';
    const offset = onKey ? keyOffset(doc, path.slice(0, -1), last) : undefined;
    const { line, col } = at(offset ?? nodeOffset(doc, path));
    const where = dotted(path);
    found.push({ line, col, text: where === '' ? issue.message : `${where}: ${issue.message}` });
  }
  return err(...render(fileName, found));
}

/** Reads a YAML file and validates it as `parseYamlDocument` does; a missing file is an error naming the path. */
export function readYamlFile<T>(path: string, schema: z.ZodType<T>, fileName: string = path): Result<T> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return err(`${fileName}: file not found`);
    return err(`${fileName}: cannot read file: ${(e as Error).message}`);
  }
  return parseYamlDocument(text, schema, fileName);
}

/** Says `required` for a missing value instead of zod's `expected string, received undefined`. */
function requiredMessage(issue: z.core.$ZodRawIssue): string | undefined {
  return issue.code === 'invalid_type' && issue.input === undefined ? 'required' : undefined;
}

function render(fileName: string, found: Located[]): string[] {
  return found
    .map((f, i) => ({ ...f, i }))
    .sort((a, b) => a.line - b.line || a.col - b.col || a.i - b.i)
    .map((f) => `${fileName}:${f.line}:${f.col}: ${f.text}`);
}

/** The start offset of the node at `path`, or of its nearest existing ancestor. */
function nodeOffset(doc: Document, path: readonly (string | number)[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(yamlPath(doc, path.slice(0, n)), true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return undefined;
}

/** The start offset of key `key` in the map at `path`, when that map exists. */
function keyOffset(doc: Document, path: readonly (string | number)[], key: string): number | undefined {
  const map: unknown = path.length === 0 ? doc.contents : doc.getIn(yamlPath(doc, path), true);
  if (!isMap(map)) return undefined;
  for (const pair of map.items) {
    if (isPair(pair) && isScalar(pair.key) && String(pair.key.value) === key) return pair.key.range?.[0];
  }
  return undefined;
}

/**
 * Maps a JavaScript path (record keys are always strings there) back to the YAML node keys,
 * which may be numbers or booleans, so `getIn` finds e.g. `7:` under a map.
 */
function yamlPath(doc: Document, path: readonly (string | number)[]): unknown[] {
  const out: unknown[] = [];
  let node: unknown = doc.contents;
  for (const step of path) {
    let key: unknown = step;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(step));
      if (pair && isScalar(pair.key)) key = pair.key.value;
    }
    out.push(key);
    node = doc.getIn(out, true);
  }
  return out;
}

/** `owners.payments.slack`, `rules[2].code`: the path as a reader of the file would write it. */
function dotted(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? p : `.${p}`;
  }
  return out;
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0] ?? message;
}
