// The entry piscina loads in each thread of the legacy-verify pool when hashd runs from its
// TypeScript sources (npm start, the bench, vitest): a new thread does not inherit the main
// thread's tsx loader, so it registers its own before importing the task module.
import { register } from 'tsx/esm/api';

register();
const { default: run } = await import('./pool-task.ts');

export default run;
