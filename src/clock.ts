/**
 * Time and randomness as injected dependencies. Sessions, one-time codes, TOTP and throttling all
 * decide on "now", so they take a Clock instead of calling Date themselves: tests pin it, and a
 * Worker uses the same code. Randomness comes from the platform CSPRNG only (WebCrypto's
 * getRandomValues exists on Node 20 and in workerd alike).
 */

/** Returns the current time; the only source of "now" for code that expires or counts things. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** Fills n fresh bytes from a CSPRNG. */
export type RandomBytes = (n: number) => Uint8Array;

/** WebCrypto's CSPRNG, in chunks of 65,536 bytes (getRandomValues' limit per call). */
export const cryptoRandomBytes: RandomBytes = (n) => {
  const out = new Uint8Array(n);
  for (let offset = 0; offset < n; offset += 65_536) {
    crypto.getRandomValues(out.subarray(offset, Math.min(n, offset + 65_536)));
  }
  return out;
};

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * `date.toISOString()`, built from the date's UTC fields. V8 formats toISOString through a
 * printf-style formatter that costs about as much as the rest of a session verify's response;
 * this is a few string joins. Years outside 1000–9999 (never a session's) fall back to it.
 */
export function isoTime(date: Date): string {
  const year = date.getUTCFullYear();
  if (!(year >= 1000 && year <= 9999)) return date.toISOString();
  return `${year}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}T${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}:${pad2(date.getUTCSeconds())}.${pad3(date.getUTCMilliseconds())}Z`;
}
