/**
 * Request and response bodies of the password endpoints. The same zod schemas validate requests
 * and describe the API in /openapi.json, so the document cannot drift from the code.
 */
import { z } from 'zod';
import { isStorableText, UNSTORABLE_TEXT } from '../db/text';

/**
 * A string that may reach the database: no U+0000 (PostgreSQL refuses it) and no lone surrogate
 * (it would be stored as U+FFFD, so two ids would share a row). 400 invalid_request otherwise.
 */
const storable = (schema: z.ZodString) => schema.refine(isStorableText, { message: UNSTORABLE_TEXT });

const password = z.string().meta({ description: 'The password, as given by the user. Hashed as its UTF-8 bytes.' });
const hash = storable(z.string().max(4096)).meta({ description: 'A stored hash string in any supported format. Disabled-account markers ("", "!", "*"...) verify as false.' });
const paramValue = z.union([z.number(), z.string()]);

export const hashRequest = z
  .strictObject({
    password,
    scheme: z.string().min(1).max(64).optional().meta({ description: 'A scheme accepted by the policy; the default when omitted.' }),
  })
  .meta({ id: 'HashRequest' });

export const hashResponse = z.object({ hash: z.string(), scheme: z.string() }).meta({ id: 'HashResponse' });

export const verifyRequest = z
  .strictObject({
    password,
    hash,
    salt: storable(z.string().max(1024)).optional().meta({ description: 'External salt, for salted_digest hashes whose salt sits in another column.' }),
    user: storable(z.string().max(1024)).optional().meta({ description: 'Login name, for postgres_md5 hashes (md5 of password + user).' }),
  })
  .meta({ id: 'VerifyRequest' });

export const verifyResponse = z
  .object({
    valid: z.boolean(),
    scheme: z.string(),
    needsRehash: z.boolean(),
    reasons: z.array(z.string()),
    newHash: z.string().optional().meta({ description: 'Present only when the password is valid and the hash needs a rehash: store it.' }),
  })
  .meta({ id: 'VerifyResponse' });

export const hashOnlyRequest = z.strictObject({ hash }).meta({ id: 'HashOnlyRequest' });

export const needsRehashResponse = z
  .object({
    needsRehash: z.boolean(),
    scheme: z.string(),
    reasons: z.array(z.string()).meta({
      description:
        'Why a rehash is needed: deprecated_scheme, outdated_variant, param_below_min:<p>, param_above_max:<p>, salt_too_short, cost_exceeds_cap (hashd refuses to verify it), unusable.',
    }),
    unusable: z.literal(true).optional().meta({ description: 'Present when no password can match (a locked-account marker, the empty string): the user needs a new password.' }),
  })
  .meta({ id: 'NeedsRehashResponse' });

export const identifyResponse = z
  .object({
    scheme: z.string(),
    params: z.record(z.string(), paramValue),
    candidates: z.array(z.string()).optional().meta({ description: 'Every scheme the string could be, when ambiguous; `scheme` is the one the policy chose.' }),
  })
  .meta({ id: 'IdentifyResponse' });

export const errorResponse = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Stable machine-readable code.' }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: 'Error' });

export const policyResponse = z.record(z.string(), z.unknown()).meta({ id: 'Policy' });

export const userIdField = storable(z.string().min(1).max(256)).meta({
  description: "The caller's user id: any string of 1 to 256 characters without U+0000 or an unpaired surrogate.",
});

export const setPasswordRequest = z.strictObject({ password }).meta({ id: 'SetPasswordRequest' });

/**
 * The end user's address, passed by the login backend so the per-address limit counts the user
 * rather than the backend. Optional: without it, the TCP peer's address (see README, throttling).
 */
export const clientIpField = z
  .union([z.ipv4(), z.ipv6()])
  .meta({ description: "The end user's IP address (IPv4 dotted quad or IPv6), for the per-address attempt limit." });

export const loginRequest = z.strictObject({ userId: userIdField, password, clientIp: clientIpField.optional() }).meta({ id: 'LoginRequest' });

export const throttleStatusResponse = z
  .object({
    userId: z.string(),
    counters: z.array(
      z.object({
        purpose: z.string().meta({ description: 'What is checked: password, otp, totp, recovery.' }),
        failures: z.number().int().meta({ description: 'Consecutive failures counted.' }),
        locked: z.boolean().meta({ description: 'The failures reached the maximum: every attempt is refused until cleared or forgotten.' }),
        retryAfter: z.number().int().meta({ description: 'Seconds until the next attempt is allowed (0: now).' }),
      }),
    ),
  })
  .meta({ id: 'ThrottleStatus' });

export const loginResponse = z
  .object({
    valid: z.boolean(),
    upgraded: z.boolean().meta({ description: 'The stored hash was replaced by a fresh default hash during this login.' }),
  })
  .meta({ id: 'LoginResponse' });

export const importResponse = z
  .object({
    imported: z.number().int(),
    skipped: z.number().int(),
    rejected: z.number().int(),
    errors: z.array(z.object({ line: z.number().int(), code: z.string() })).meta({ description: 'The first 100 rejected lines.' }),
  })
  .meta({ id: 'ImportResponse' });

export const wrapRequest = z
  .strictObject({ schemes: z.array(z.string().min(1)).min(1).optional().meta({ description: 'Weak schemes to wrap; default: every accepted scheme that can be wrapped.' }) })
  .meta({ id: 'WrapRequest' });

export const wrapStatusResponse = z
  .object({
    state: z.enum(['running', 'done', 'failed']),
    processed: z.number().int(),
    total: z.number().int(),
    wrapped: z.number().int(),
    rowsPerSecond: z.number(),
  })
  .meta({ id: 'WrapStatus' });

export const inventoryResponse = z.record(z.string(), z.unknown()).meta({ id: 'Inventory' });
