/**
 * Known answers: RFC 4226 Appendix D (HOTP) and RFC 6238 Appendix B (TOTP) through hashd's TOTP
 * module, which computes the step from the injected time and uses @oslojs/otp for HOTP.
 *
 * RFC 6238 Appendix B also lists SHA-256 and SHA-512 rows. @oslojs/otp implements HMAC-SHA-1
 * only, and hashd issues SHA-1 secrets only (algorithm=SHA1 in every URI: the one algorithm all
 * authenticator apps honour; Google Authenticator ignores the parameter), so those rows have no
 * code path here to test; the SHA-1 rows below cover the TOTP time arithmetic they share.
 */
import { describe, expect, it } from 'vitest';
import { matchingStep, stepAt, totpCode } from '../../src/totp/totp';

const RFC_SECRET = new TextEncoder().encode('12345678901234567890');

describe('RFC 4226 Appendix D (HOTP, 6 digits)', () => {
  const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
  it.each(expected.map((code, counter) => ({ counter, code })))('counter $counter → $code', ({ counter, code }) => {
    expect(totpCode(RFC_SECRET, counter, 6)).toBe(code);
  });
});

describe('RFC 6238 Appendix B (TOTP, SHA-1, 8 digits, 30 s)', () => {
  const rows = [
    { time: 59, step: 1, code: '94287082' },
    { time: 1111111109, step: 0x23523ec, code: '07081804' },
    { time: 1111111111, step: 0x23523ed, code: '14050471' },
    { time: 1234567890, step: 0x273ef07, code: '89005924' },
    { time: 2000000000, step: 0x3f940aa, code: '69279037' },
    { time: 20000000000, step: 0x27bc86aa, code: '65353130' },
  ];
  it.each(rows)('T=$time → $code', ({ time, step, code }) => {
    expect(stepAt(time * 1000, 30)).toBe(step);
    expect(totpCode(RFC_SECRET, step, 8)).toBe(code);
    expect(matchingStep(RFC_SECRET, code, time * 1000, { digits: 8, period: 30 })).toBe(step);
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
