/**
 * Long computations cut into slices, with the event loop served between them. Generic: the
 * iterated legacy schemes (crypt.ts, des.ts, phpass.ts, yescrypt.ts) all run on it.
 */

/**
 * A computation cut into slices: the generator runs one slice per `next()`, yields between
 * slices, and returns the result. The iterated legacy schemes (sha256/512_crypt,
 * bsdi_crypt, phpass, drupal7, yescrypt) compute on the main thread and, at their verify caps, an
 * attacker-supplied hash costs up to about a second; run in one piece, that would hold up every
 * other request (health checks included) for as long. Slices of a few milliseconds, with the
 * event loop served between them, keep the service responsive while such a hash is verified.
 *
 * The same generator serves the synchronous checksum functions (runAtOnce) and the verify paths
 * (runCooperatively), so both compute with exactly the same code.
 */
export type Sliced<T> = Generator<void, T, void>;

/** Runs every slice of `steps` at once: for the synchronous checksum functions. */
export function runAtOnce<T>(steps: Sliced<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * Gives the event loop one turn: a macrotask, so pending I/O callbacks and timers run before the
 * computation goes on (a resolved promise, a microtask, would let nothing else run). setImmediate
 * where the runtime has it; setTimeout elsewhere.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

/**
 * Runs the slices of `steps` with one turn of the event loop between two slices. A computation
 * that fits in one slice (a hash at its scheme's usual cost) never yields, so it pays nothing.
 */
export async function runCooperatively<T>(steps: Sliced<T>): Promise<T> {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await yieldToEventLoop();
  }
}

/**
 * Rounds per slice of a node:crypto loop (the path of runtimes without WebAssembly; the
 * WebAssembly path sizes its own slices, see WasmIteration.sliceRounds). A call costs about
 * 1.2 µs whatever the input, about as much as four SHA-512 blocks, and each block about 0.3 µs on
 * the development machine, so a slice of 8192 such block-equivalents takes 2-3 ms.
 */
export function nodeSliceRounds(blocksPerRound: number): number {
  return Math.max(1, Math.floor(8192 / (blocksPerRound + 4)));
}
