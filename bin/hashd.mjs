#!/usr/bin/env node
// The `hashd` command: loads the TypeScript CLI through tsx, the same way `npm start` runs the server.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
