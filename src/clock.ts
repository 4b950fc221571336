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
