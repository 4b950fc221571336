/**
 * Gates: the checks a route makes before its handler (a key ring, the database, capacity, the
 * body) and nothing after. A gate is still a Hono middleware, usable anywhere; the router
 * (openapi.ts createRouter) also finds what it checks (`gateCheck`) and runs a route's gates and
 * its handler as one step, instead of one async middleware level per gate: on a small request
 * each level (an async frame, its promise and the dispatch's) was a visible share of the CPU.
 */
import type { Context, MiddlewareHandler } from 'hono';

/** What a gate checks: throws (typically a HashdError) to refuse, returns or resolves to pass. */
export type GateCheck = (c: Context) => void | Promise<void>;

const CHECK = Symbol('hashd.gate');

/** A middleware that runs `check`, then the rest of the route. */
export function gate(check: GateCheck): MiddlewareHandler {
  const middleware: MiddlewareHandler = async function gateMiddleware(c, next) {
    await check(c);
    await next();
  };
  return Object.assign(middleware, { [CHECK]: check });
}

/** The check of a middleware made by `gate`, else undefined. */
export function gateCheck(middleware: unknown): GateCheck | undefined {
  return (middleware as { [CHECK]?: GateCheck } | null)?.[CHECK];
}

/** Runs checks from `from` on, in order; undefined when every one passed synchronously. */
export function runChecks(checks: readonly GateCheck[], c: Context, from = 0): Promise<void> | undefined {
  for (let i = from; i < checks.length; i++) {
    const pending = (checks[i] as GateCheck)(c);
    if (pending !== undefined) return pending.then(() => runChecks(checks, c, i + 1));
  }
  return undefined;
}
