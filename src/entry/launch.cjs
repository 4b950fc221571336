// Starts a TypeScript entry point of hashd: `node src/entry/launch.cjs <file.ts> [args...]`.
//
// libuv's threadpool runs the native argon2/bcrypt hashing and node:crypto's pbkdf2/scrypt, and it
// reads UV_THREADPOOL_SIZE once, on first use. An ES module entry is too late to set it (the ESM
// loader has used the pool by the time user code runs), so this CommonJS file sets it first:
// HASHD_HASH_CONCURRENCY hashes (default: the number of cores) plus one thread, so file and DNS
// work never queue behind hashes, and no more threads than that, which would only add memory and
// contention. Then it loads the entry: built JavaScript (dist/) directly, TypeScript through tsx
// (a development dependency: the production image runs the built files only).
'use strict';
const { availableParallelism } = require('node:os');
const { pathToFileURL } = require('node:url');
const { resolve } = require('node:path');

if (process.env.UV_THREADPOOL_SIZE === undefined) {
  const configured = Number(process.env.HASHD_HASH_CONCURRENCY);
  const hashing = Number.isInteger(configured) && configured > 0 ? configured : availableParallelism();
  process.env.UV_THREADPOOL_SIZE = String(Math.min(1024, hashing + 1));
}

async function launch(entry) {
  if (/\.[cm]?ts$/.test(entry)) {
    const { register } = await import('tsx/esm/api');
    register();
  }
  await import(pathToFileURL(resolve(entry)).href);
}

module.exports = { launch };

if (require.main === module) {
  const entry = process.argv[2];
  if (!entry) {
    process.stderr.write('usage: node launch.cjs <entry.ts|entry.js> [args...]\n');
    process.exit(2);
  }
  // The entry sees its own arguments at process.argv.slice(2), as if it were started directly.
  process.argv.splice(2, 1);
  launch(entry).catch((err) => {
    process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  });
}
