// The notifier port: where a finished report goes.
import type { Report } from '../domain/report.ts';

/** Where the report went: `slack:<channel>:<ts>` or `file:<path>`. */
export type PostResult = { readonly postedTo: string };

/**
 * Posts one night's report once. Implementations never retry a post blindly (a post whose
 * outcome is unknown is reported as an error, not sent again).
 */
export interface Notifier {
  readonly kind: 'slack' | 'files';
  post(report: Report): Promise<PostResult>;
}
