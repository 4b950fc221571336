/**
 * Read batching for the hot lookups (a session verify is one read by primary key): the reads
 * asked for during one turn of the event loop go to the database as one statement, answered
 * after that turn's I/O callbacks have run (`setImmediate`). Under load a turn parses the
 * requests of many sockets, so N verifies cost one query, one round trip and one result parse
 * instead of N; alone, a read waits for nothing but the end of its own turn.
 *
 * A read is only sent after it was asked for, so it sees every write that had answered before
 * the request arrived: a revoke that answered 204 is never undone by a batched read. A failing
 * statement fails every read of its batch with the same error. Batches are bounded: a turn with
 * more reads than `maxBatch` sends several statements. With `maxInFlight`, reads asked for while
 * that many batches are out wait for one to settle: under load batches grow with the database's
 * round trip instead of the event loop's turns, and a read still leaves only after it was asked.
 */

export interface ReadBatcher<K, V> {
  load(key: K): Promise<V | undefined>;
}

export interface ReadBatcherOptions<K, V> {
  /** Loads a batch of distinct keys; the map is keyed by `keyOf`. Missing keys read as undefined. */
  loadMany(keys: K[]): Promise<Map<string, V>>;
  keyOf(key: K): string;
  maxBatch?: number;
  /**
   * Batches sent and not yet answered, at most (default: unbounded). Reads asked for while the
   * limit is reached wait for a batch to settle and leave together.
   */
  maxInFlight?: number;
}

interface Waiting<V> {
  resolve(value: V | undefined): void;
  reject(error: unknown): void;
}

const nextTurn: (fn: () => void) => void =
  typeof globalThis.setImmediate === 'function' ? (fn) => void globalThis.setImmediate(fn) : (fn) => void setTimeout(fn, 0);

export function createReadBatcher<K, V>(options: ReadBatcherOptions<K, V>): ReadBatcher<K, V> {
  const maxBatch = options.maxBatch ?? 64;
  const maxInFlight = options.maxInFlight ?? Number.POSITIVE_INFINITY;
  let pending = new Map<string, { key: K; waiting: Waiting<V>[] }>();
  let scheduled = false;
  let inFlight = 0;

  function settled(): void {
    inFlight--;
    if (!scheduled && pending.size > 0) flush();
  }

  function send(batch: Map<string, { key: K; waiting: Waiting<V>[] }>): void {
    const keys = [...batch.values()].map((entry) => entry.key);
    inFlight++;
    options.loadMany(keys).then(
      (found) => {
        settled();
        for (const [id, entry] of batch) for (const w of entry.waiting) w.resolve(found.get(id));
      },
      (error: unknown) => {
        settled();
        for (const entry of batch.values()) for (const w of entry.waiting) w.reject(error);
      },
    );
  }

  /** Sends what is pending, in batches of maxBatch, while fewer than maxInFlight are out. */
  function flush(): void {
    scheduled = false;
    while (pending.size > 0 && inFlight < maxInFlight) {
      let batch = pending;
      if (pending.size <= maxBatch) pending = new Map();
      else {
        batch = new Map();
        for (const [id, entry] of pending) {
          batch.set(id, entry);
          pending.delete(id);
          if (batch.size >= maxBatch) break;
        }
      }
      send(batch);
    }
  }

  return {
    load(key) {
      return new Promise<V | undefined>((resolve, reject) => {
        const id = options.keyOf(key);
        const entry = pending.get(id);
        if (entry) entry.waiting.push({ resolve, reject });
        else pending.set(id, { key, waiting: [{ resolve, reject }] });
        if (!scheduled) {
          scheduled = true;
          nextTurn(flush);
        }
      });
    },
  };
}
