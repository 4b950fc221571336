/**
 * Event-loop responsiveness while an expensive legacy hash is verified. sha512_crypt and phpass
 * (like sha256_crypt, bsdi_crypt, drupal7 and yescrypt) compute on the main thread, and a hash at
 * their verify caps costs a large part of a second; the schemes run those computations in slices
 * of a few milliseconds and give the event loop a turn between slices, so health checks and other
 * requests are served meanwhile. These tests tick a 5 ms interval timer during such a verify and
 * check that it keeps ticking: run in one piece, the verify would hold the timer for its whole
 * duration, with no tick at all until it is done.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Vector } from '../../helpers';
import { only, vectorFile } from './_unix';

/**
 * The longest stretch the loop may go without serving a timer. A slice takes a few milliseconds;
 * the bound is generous so that a loaded machine (or a garbage collection) does not fail the test,
 * and still far below the hundreds of milliseconds an unsliced verify blocks for.
 */
const MAX_DELAY_MS = 100;

interface Ticked<T> {
  result: T;
  /** The longest time between two ticks of the 5 ms timer, or from the last tick to the end. */
  maxDelayMs: number;
  /** Ticks while the task ran: none at all when the task blocked the loop throughout. */
  ticks: number;
  elapsedMs: number;
}

/** Runs `task` while a 5 ms interval timer ticks, and reports how regularly it ticked. */
async function whileTicking<T>(task: () => Promise<T>): Promise<Ticked<T>> {
  const start = performance.now();
  let last = start;
  let maxDelayMs = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxDelayMs = Math.max(maxDelayMs, now - last);
    last = now;
    ticks++;
  }, 5);
  try {
    const result = await task();
    const end = performance.now();
    // The stretch after the last tick counts too: the final slice ran in it.
    maxDelayMs = Math.max(maxDelayMs, end - last);
    return { result, maxDelayMs, ticks, elapsedMs: end - start };
  } finally {
    clearInterval(timer);
  }
}

const crypt = vectorFile('crypt').vectors;
const beyond = vectorFile('beyond').vectors;
const phpassVectors = vectorFile('phpass').vectors;

function find(vectors: readonly Vector[], predicate: (v: Vector) => boolean, what: string): Vector {
  const found = vectors.find(predicate);
  if (!found) throw new Error(`no fixture vector: ${what}`);
  return found;
}

/** passlib's default-cost SHA512-crypt, 656,000 rounds, in Ory Kratos' import format. */
const kratos656k = find(beyond, (v) => v.scheme === 'kratos_sha512_crypt' && v.hash.includes('$rounds=656000$'), 'kratos_sha512_crypt at 656000 rounds');
/** passlib's default-cost SHA256-crypt, 535,000 rounds, in Ory Kratos' import format. */
const kratos535k = find(beyond, (v) => v.scheme === 'kratos_sha256_crypt' && v.hash.includes('$rounds=535000$'), 'kratos_sha256_crypt at 535000 rounds');
const sha512 = find(crypt, (v) => v.scheme === 'sha512_crypt' && v.hash.startsWith('$6$rounds=1000$'), 'sha512_crypt at 1000 rounds');
const phpass = find(phpassVectors, (v) => v.scheme === 'phpass' && v.hash.startsWith('$P$'), 'phpass $P$');
const drupal = find(beyond, (v) => v.scheme === 'drupal7' && v.hash.startsWith('$S$D'), 'drupal7 at 2^15');

/** The sha512_crypt fixture with its rounds raised to the cap: the checksum no longer matches. */
const sha512AtCap = sha512.hash.replace('$rounds=1000$', '$rounds=1000000$');
/** The phpass fixture with its log2 count raised to the cap of 20 ("I"): the checksum no longer matches. */
const phpassAtCap = `$P$I${phpass.hash.slice(4)}`;

describe('event-loop responsiveness during expensive legacy verifies', () => {
  beforeAll(async () => {
    // Compile the WebAssembly digest module and warm the code paths outside the measurements.
    await only('sha512_crypt').verify(sha512.password, sha512.hash, { rehash: false });
    await only('phpass').verify(phpass.password, phpass.hash, { rehash: false });
  });

  it('keeps the event loop responsive while sha512_crypt verifies 1,000,000 rounds', async () => {
    const run = await whileTicking(() => only('sha512_crypt').verify(sha512.password, sha512AtCap, { rehash: false }));
    expect(run.result).toMatchObject({ scheme: 'sha512_crypt', valid: false });
    expect(run.ticks).toBeGreaterThanOrEqual(3);
    expect(run.maxDelayMs).toBeLessThan(MAX_DELAY_MS);
  });

  it('keeps the event loop responsive while a real 656,000-round SHA512-crypt hash verifies', async () => {
    const run = await whileTicking(() => only('kratos_sha512_crypt').verify(kratos656k.password, kratos656k.hash, { rehash: false }));
    expect(run.result).toMatchObject({ scheme: 'kratos_sha512_crypt', valid: true });
    expect(run.ticks).toBeGreaterThanOrEqual(3);
    expect(run.maxDelayMs).toBeLessThan(MAX_DELAY_MS);
  });

  it('keeps the event loop responsive while phpass verifies 2^20 iterations', async () => {
    const run = await whileTicking(() => only('phpass').verify(phpass.password, phpassAtCap, { rehash: false }));
    expect(run.result).toMatchObject({ scheme: 'phpass', valid: false });
    expect(run.ticks).toBeGreaterThanOrEqual(3);
    expect(run.maxDelayMs).toBeLessThan(MAX_DELAY_MS);
  });

  it('gives the right results when sliced verifies interleave on the shared WebAssembly memory', async () => {
    // Between two slices of one computation others use the same module memory and state; each
    // must restore its own before its next slice.
    const run = await whileTicking(() =>
      Promise.all([
        only('kratos_sha512_crypt').verify(kratos656k.password, kratos656k.hash, { rehash: false }),
        only('kratos_sha256_crypt').verify(kratos535k.password, kratos535k.hash, { rehash: false }),
        only('drupal7').verify(drupal.password, drupal.hash, { rehash: false }),
        only('phpass').verify(phpass.password, phpass.hash, { rehash: false }),
      ]),
    );
    expect(run.result.map((r) => r.valid)).toEqual([true, true, true, true]);
    expect(run.maxDelayMs).toBeLessThan(MAX_DELAY_MS);
  });
});
