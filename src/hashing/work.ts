/**
 * Work units: what a verify of an iterated legacy scheme costs, counting the password. The cost
 * of sha-crypt, md5-crypt, phpass and Drupal 7 grows with the password's length as well as with
 * the rounds (each round hashes the password once or twice), so a cap on rounds alone lets a
 * long password buy several seconds of CPU (sha512_crypt at a million rounds with a 1,000-byte
 * password: 3.5 s). The policy caps the work (`verify_caps.<scheme>.work`) as well as the rounds,
 * and a verify over either cap is refused before any work starts.
 *
 * One unit is one compression-function block of the scheme's digest; every round also costs a
 * fixed call overhead, counted in blocks. Measured on the development machine (AMD EPYC, the
 * WebAssembly digest path, CPU time of one thread), with passwords of 8 and 1,000 bytes:
 * SHA-512 0.17-0.18 µs per unit, SHA-256 0.14 µs, MD5 0.09-0.12 µs, with per-round overheads of
 * about 3, 3 and 1 blocks. The built-in caps allow about one second of one core.
 */
import { blockCount } from './digest-wasm';

export type WorkDigest = 'md5' | 'sha256' | 'sha512';

/** The fixed cost of one round (one digest call) in blocks of its digest. */
const ROUND_OVERHEAD_BLOCKS: Record<WorkDigest, number> = { md5: 1, sha256: 3, sha512: 3 };

/** Built-in work caps: about one second of one core each (see above). */
export const WORK_CAPS: Record<WorkDigest, number> = { md5: 8_000_000, sha256: 7_000_000, sha512: 6_000_000 };

/** Work of `rounds` digest calls over messages of at most `messageBytes` bytes. */
export function iteratedWork(digest: WorkDigest, rounds: number, messageBytes: number): number {
  return rounds * (blockCount(digest, messageBytes) + ROUND_OVERHEAD_BLOCKS[digest]);
}
