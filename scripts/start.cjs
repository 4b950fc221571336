// `npm start`: runs the built server (dist/entry/node.js), building it first when dist/ is
// missing or was built from other sources, so a fresh clone needs only `npm ci && npm start`.
'use strict';
const { resolve } = require('node:path');
// First: it sizes libuv's threadpool before anything uses it.
const { launch } = require('../src/entry/launch.cjs');

async function main() {
  const { build, isStale } = await import('./build.mjs');
  if (isStale()) {
    process.stderr.write('hashd: dist/ is missing or stale; building\n');
    await build();
  }
  await launch(resolve(__dirname, '../dist/entry/node.js'));
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
