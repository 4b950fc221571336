import { afterAll, beforeAll } from 'vitest';
import { makeHarness, type Target } from './_harness';
import { statelessSuite } from './_stateless-suite';

const harness = makeHarness();
let targets: Target[] = [];
beforeAll(async () => {
  targets = await harness.targets();
});
afterAll(async () => {
  await Promise.all(targets.map((t) => t.close()));
});

async function each(fn: (t: Target) => Promise<void>): Promise<void> {
  for (const target of targets) {
    try {
      await fn(target);
    } catch (err) {
      (err as Error).message = `[${target.name}] ${(err as Error).message}`;
      throw err;
    }
  }
}

statelessSuite(each);
