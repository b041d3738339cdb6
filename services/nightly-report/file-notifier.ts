// The embedded notifier: the report on the terminal, plus a Markdown and a JSON file per night.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Notifier } from '#shared/ports/notifier.ts';
import { renderJson, renderMarkdown, renderText } from './render.ts';

/** Writes `<dir>/<businessDate>.md` and `.json` and prints the text report through `print`. */
export function createFileNotifier(options: { readonly dir: string; readonly print: (text: string) => void }): Notifier {
  return {
    kind: 'files',
    async post(report) {
      mkdirSync(options.dir, { recursive: true });
      const md = join(options.dir, `${report.businessDate}.md`);
      writeFileSync(md, renderMarkdown(report));
      writeFileSync(join(options.dir, `${report.businessDate}.json`), renderJson(report));
      options.print(renderText(report));
      return { postedTo: `file:${md}` };
    },
  };
}
