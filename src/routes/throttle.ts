/**
 * The throttle's admin endpoints: what the limiter holds on an account, and the support desk's
 * unlock. Mounted under /v1/admin/*, so only an admin-scoped key reaches them. The user id is
 * only ever a lookup key here: the store holds digests, and no log line names it.
 */
import { z } from 'zod';
import type { Throttle } from '../throttle/throttle';
import { createRouter, defineRoute } from './openapi';
import { throttleStatusResponse, userIdField } from './schemas';

export interface ThrottleRoutesDeps {
  throttle: Throttle;
}

const params = z.object({ userId: userIdField });

export const throttleStatusRoute = defineRoute({
  method: 'get',
  path: '/admin/throttle/{userId}',
  tags: ['admin'],
  summary: "An account's failed-attempt counters (per purpose: password, otp, totp, recovery, enrolment)",
  description: 'An account without counters answers an empty list.',
  request: { params },
  responses: { 200: { description: 'Counters', content: { 'application/json': { schema: throttleStatusResponse } } } },
  errors: ['unauthorized', 'forbidden', 'invalid_request', 'throttle_unavailable'],
});

export const throttleClearRoute = defineRoute({
  method: 'delete',
  path: '/admin/throttle/{userId}',
  tags: ['admin'],
  summary: "Clear an account's failed-attempt counters (unlock it)",
  description: "Per-address counters are not touched: an address that sprayed many accounts stays limited.",
  request: { params },
  responses: { 204: { description: 'Cleared (also when there was nothing to clear)' } },
  errors: ['unauthorized', 'forbidden', 'invalid_request', 'throttle_unavailable'],
});

export function throttleRoutes(deps: ThrottleRoutesDeps) {
  const { throttle } = deps;
  return createRouter()
    .openapi(throttleStatusRoute, async (c) => {
      const { userId } = c.req.valid('param');
      return c.json({ userId, counters: await throttle.status(c.get('tenant'), userId) }, 200);
    })
    .openapi(throttleClearRoute, async (c) => {
      await throttle.clear(c.get('tenant'), c.req.valid('param').userId);
      return c.body(null, 204);
    });
}
