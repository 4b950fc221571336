/**
 * The Node entry's pino logger. hashd never puts a secret into a log call (the app logs request
 * metadata and error codes only); redaction is the second line of defence, for a field that a
 * future log call might carry by mistake: any field named like a secret, at the top level or one
 * level down, is replaced by "[redacted]".
 */
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';

/** Field names that hold secrets somewhere in hashd: passwords, tokens, codes, keys, headers. */
const SECRET_FIELDS = [
  'password',
  'newPassword',
  'oldPassword',
  'currentPassword',
  'token',
  'sessionToken',
  'secret',
  'otp',
  'totp',
  'recoveryCode',
  'apiKey',
  'key',
  'keys',
  'masterKey',
  'plaintext',
  'authorization',
  'cookie',
  'hash',
  'newHash',
];

export const REDACT_PATHS: readonly string[] = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
];

export function createNodeLogger(options: { level: string }, destination?: DestinationStream): PinoLogger {
  return pino(
    {
      level: options.level,
      base: { service: 'hashd' },
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    },
    destination,
  );
}
