#!/usr/bin/env node
// The `hashd` command line: sizes the threadpool and loads the CLI (see src/entry/launch.cjs).
// In a development checkout (sources and tsx present) it runs the TypeScript sources, so a
// command never runs code older than the tree it is started from; where only the build is
// installed (the production image: dist/, no src/, no tsx) it runs dist/cli/main.js.
'use strict';
const { existsSync } = require('node:fs');
const { resolve } = require('node:path');

function hasTsx() {
  try {
    require.resolve('tsx/esm/api');
    return true;
  } catch {
    return false;
  }
}

const root = resolve(__dirname, '..');
const fromSource = existsSync(resolve(root, 'src/cli/main.ts')) && hasTsx();
const { launch } = require(fromSource ? '../src/entry/launch.cjs' : '../dist/entry/launch.cjs');

launch(resolve(root, fromSource ? 'src/cli/main.ts' : 'dist/cli/main.js')).catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
