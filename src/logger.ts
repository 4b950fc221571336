/**
 * The logging seam. The app logs through this small interface so that the Node entry can plug in
 * pino and tests can capture every line. Log calls carry structured fields chosen by the caller:
 * request metadata and error codes, never a body, a header value or a password.
 */
export interface Logger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
