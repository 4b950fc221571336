/**
 * Markers that stand where a hash would be but lock the account: `!` and `*` (shadow files),
 * `!!` (a user created without a password on Red Hat systems), `!` before a hash (`passwd -l`),
 * `*LK*` and `*NP*` (Solaris), `*LOCKED*` before a hash (FreeBSD `pw lock`), the empty string,
 * and Django's `!` unusable passwords. They parse, so a login against them is an ordinary
 * `valid: false` and never an error, and they never match any password.
 *
 * This scheme is registered last: a `*` followed by 40 hex digits is a MySQL 4.1 hash, not a
 * marker, so only the exact `*` markers are claimed.
 */
import { malformed } from '../../errors';
import type { Scheme } from '../scheme';

const EXACT = new Set(['', '!', '!!', '*', '*LK*', '*NP*', '*LOCKED*']);

function isMarker(hash: string): boolean {
  return EXACT.has(hash) || hash.startsWith('!') || hash.startsWith('*LOCKED*');
}

export const disabled: Scheme = {
  name: 'disabled',
  // One family with django_disabled, which claims Django's `!` markers first.
  family: 'disabled',
  description: 'Locked or unusable account markers (!, *, !!, *LK*, *NP*, *LOCKED*…, !<hash>, empty): never match',
  costCaps: {},
  identify: isMarker,
  parse(hash) {
    if (!isMarker(hash)) throw malformed('disabled', 'not a locked-account marker');
    // Whether a real hash follows the marker (`!$6$…`, `*LOCKED*$2b$…`): the account was locked.
    return { scheme: 'disabled', params: { locked_hash: EXACT.has(hash) ? 0 : 1 }, cost: {}, data: null };
  },
  verify: () => Promise.resolve(false),
};
