#!/usr/bin/env node
// The `hashd` command line: sizes the threadpool and loads the TypeScript CLI (see src/entry/launch.cjs).
'use strict';
const { resolve } = require('node:path');
const { launch } = require('../src/entry/launch.cjs');

launch(resolve(__dirname, '../src/cli/main.ts')).catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
