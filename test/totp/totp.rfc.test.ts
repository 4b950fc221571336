/**
 * Known answers: RFC 4226 Appendix D (HOTP) and RFC 6238 Appendix B (TOTP, all 18 rows: SHA1,
 * SHA256 and SHA512 with their own seeds of 20, 32 and 64 bytes) through hashd's TOTP module,
 * which computes the step from the injected time and uses @otplib/hotp for HOTP. The tables are
 * copied from the RFCs into test/vectors/otp-rfc.json (not produced by any code).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { matchingStep, otpauthUri, stepAt, totpCode, type TotpAlgorithm } from '../../src/totp/totp';

interface RfcFixture {
  rfc4226AppendixD: { secretAscii: string; digits: number; rows: { count: number; hotp: string }[] };
  rfc6238AppendixB: { seedsAscii: Record<TotpAlgorithm, string>; digits: number; period: number; rows: { time: number; tHex: string; totp: string; mode: TotpAlgorithm }[] };
}
const fixture = JSON.parse(readFileSync(new URL('../vectors/otp-rfc.json', import.meta.url), 'utf8')) as RfcFixture;
const ascii = (s: string) => new TextEncoder().encode(s);
const RFC_SECRET = ascii(fixture.rfc4226AppendixD.secretAscii);

describe('RFC 4226 Appendix D (HOTP, 6 digits)', () => {
  it('has the ten rows', () => expect(fixture.rfc4226AppendixD.rows).toHaveLength(10));
  it.each(fixture.rfc4226AppendixD.rows)('counter $count → $hotp', ({ count, hotp }) => {
    expect(totpCode(RFC_SECRET, count, fixture.rfc4226AppendixD.digits)).toBe(hotp);
  });
});

describe('RFC 6238 Appendix B (TOTP, 8 digits, 30 s)', () => {
  const { seedsAscii, digits, period, rows } = fixture.rfc6238AppendixB;
  it('has all 18 rows, six per algorithm, with seeds of 20, 32 and 64 bytes', () => {
    expect(rows).toHaveLength(18);
    for (const mode of ['SHA1', 'SHA256', 'SHA512'] as const) expect(rows.filter((r) => r.mode === mode)).toHaveLength(6);
    expect([seedsAscii.SHA1.length, seedsAscii.SHA256.length, seedsAscii.SHA512.length]).toEqual([20, 32, 64]);
  });
  it.each(rows)('T=$time $mode → $totp', ({ time, tHex, totp, mode }) => {
    const seed = ascii(seedsAscii[mode]);
    const step = Number.parseInt(tHex, 16);
    expect(stepAt(time * 1000, period)).toBe(step);
    expect(totpCode(seed, step, digits, mode)).toBe(totp);
    expect(matchingStep(seed, totp, time * 1000, { digits, period, algorithm: mode })).toBe(step);
  });
  it('does not accept a code of one algorithm under another', () => {
    for (const row of rows) {
      for (const other of ['SHA1', 'SHA256', 'SHA512'] as const) {
        if (other === row.mode) continue;
        expect(matchingStep(ascii(seedsAscii[row.mode]), row.totp, row.time * 1000, { digits, period, algorithm: other })).toBeUndefined();
      }
    }
  });
});

describe('the otpauth URI', () => {
  const base = { issuer: 'Acme', accountName: 'a@example.com', secret: ascii(fixture.rfc6238AppendixB.seedsAscii.SHA256), digits: 8, period: 30 };
  it('names the algorithm', () => {
    expect(otpauthUri({ ...base, algorithm: 'SHA256' })).toContain('&algorithm=SHA256&');
    expect(otpauthUri({ ...base, algorithm: 'SHA512' })).toContain('&algorithm=SHA512&');
    expect(otpauthUri(base)).toContain('&algorithm=SHA1&');
  });
});

describe('the ±1 step window', () => {
  const params = { digits: 6, period: 30 };
  const now = 1_700_000_010_000; // inside step 56666667
  const step = stepAt(now, 30);

  it('accepts the previous, current and next step and nothing further', () => {
    for (const offset of [-1, 0, 1]) expect(matchingStep(RFC_SECRET, totpCode(RFC_SECRET, step + offset, 6), now, params)).toBe(step + offset);
    for (const offset of [-3, -2, 2, 3]) expect(matchingStep(RFC_SECRET, totpCode(RFC_SECRET, step + offset, 6), now, params)).toBeUndefined();
  });

  it('never matches malformed input', () => {
    const good = totpCode(RFC_SECRET, step, 6);
    for (const bad of ['', ' ', 'abcdef', `${good} `, ` ${good}`, good.slice(0, 5), `${good}0`, `${good}000`, '１２３４５６', `${good.slice(0, 5)}a`, '0'.repeat(10_000), '-12345', '+12345', '1e5', '123 45']) {
      expect(matchingStep(RFC_SECRET, bad, now, params)).toBeUndefined();
    }
  });
});
