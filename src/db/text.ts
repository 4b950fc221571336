/**
 * What PostgreSQL stores exactly as given. A `text` value cannot hold U+0000 (the server refuses
 * it, which surfaced as a 500), and a lone UTF-16 surrogate cannot be encoded as UTF-8: the
 * drivers write U+FFFD instead, so two different user ids would share one row. Every string that
 * reaches the database from a caller (user ids, hashes, salts, login names) is checked with this
 * first, and refused with a typed error where it is not storable.
 */

/** True when `value` reaches the database unchanged: no U+0000 and well-formed UTF-16. */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && value.isWellFormed();
}

/** Why a string was refused; names no part of it. */
export const UNSTORABLE_TEXT = 'must not contain U+0000 or an unpaired surrogate';

/**
 * A PostgreSQL array literal of text values. The columns of a multi-row statement (the import,
 * the batched login times, the wrap job's swaps) travel as one text parameter each and are cast
 * to text[] by the server, which keeps a statement at a few parameters whatever its row count and
 * spares both drivers their own (different) array encodings. Every element is quoted, with
 * backslash and double quote escaped, which is the whole of the quoting rule for quoted array
 * elements; a null becomes the unquoted NULL.
 */
export function textArrayLiteral(values: readonly (string | null)[]): string {
  const parts = values.map((v) => (v === null ? 'NULL' : `"${v.replace(/[\\"]/g, '\\$&')}"`));
  return `{${parts.join(',')}}`;
}
