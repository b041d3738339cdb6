// A small Result type: parse at the edges, return values instead of throwing in the domain.

/** Either a value or a list of human-readable problems; never both. */
export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly string[] };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const err = <T = never>(...errors: string[]): Result<T> => ({ ok: false, errors });

/** Unwraps a Result for callers that treat failure as a programming error (tests, trusted fixtures). */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new Error(result.errors.join('; '));
}
