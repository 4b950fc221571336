/**
 * The enrolment artefacts: the otpauth:// URI (Key Uri Format escaping), its QR code decoded back
 * from the SVG with a real QR decoder (jsQR on a rasterised copy), and recovery codes.
 */
import { describe, expect, it } from 'vitest';
import { cryptoRandomBytes } from '../../src/clock';
import { newRecoveryCodes, normalizeRecoveryCode, otpauthUri, qrSvg, recoveryDigest } from '../../src/totp/totp';
import { decodeQr } from './_qr';

describe('otpauth URI', () => {
  const secret = new Uint8Array(20).map((_, i) => i * 13);

  // The expected base32 is Python's base64.b32encode of the same bytes, padding stripped.
  it('follows the Key Uri Format with SHA1, digits and period', () => {
    expect(otpauthUri({ issuer: 'Acme', accountName: 'alice@example.com', secret, digits: 6, period: 30 })).toBe(
      'otpauth://totp/Acme:alice%40example.com?secret=AAGRUJZUIFHFW2DVQKHZZKNWYPIN32XX&issuer=Acme&algorithm=SHA1&digits=6&period=30',
    );
  });

  it('percent-encodes spaces, ampersands, slashes, question marks and non-ASCII in both places', () => {
    const uri = otpauthUri({ issuer: 'Acme & Co / Ünïcode?', accountName: 'bob smith+tag#1', secret, digits: 8, period: 60 });
    expect(uri).toContain('otpauth://totp/Acme%20%26%20Co%20%2F%20%C3%9Cn%C3%AFcode%3F:bob%20smith%2Btag%231?');
    const parsed = new URL(uri);
    expect(parsed.searchParams.get('issuer')).toBe('Acme & Co / Ünïcode?');
    expect(parsed.searchParams.get('digits')).toBe('8');
    expect(parsed.searchParams.get('period')).toBe('60');
    const [issuer, account] = decodeURIComponent(parsed.pathname.replace(/^\//, '')).split(':');
    expect([issuer, account]).toEqual(['Acme & Co / Ünïcode?', 'bob smith+tag#1']);
  });

  it('the QR SVG decodes back to exactly the URI', () => {
    for (const uri of [
      otpauthUri({ issuer: 'Acme', accountName: 'alice@example.com', secret, digits: 6, period: 30 }),
      otpauthUri({ issuer: 'Ärger & Söhne', accountName: 'x'.repeat(100), secret, digits: 8, period: 60 }),
    ]) {
      const svg = qrSvg(uri);
      expect(svg.startsWith('<svg')).toBe(true);
      expect(decodeQr(svg)).toBe(uri);
    }
  });
});

describe('recovery codes', () => {
  it('are 10 codes of the form xxxx-xxxx-xxxx, all different', () => {
    const codes = newRecoveryCodes(cryptoRandomBytes);
    expect(codes).toHaveLength(10);
    for (const c of codes) expect(c).toMatch(/^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/);
    expect(new Set(codes).size).toBe(10);
  });

  it('use all 32 symbols evenly (no modulo bias)', () => {
    const counts = new Map<string, number>();
    for (const c of newRecoveryCodes(cryptoRandomBytes, 2000)) for (const ch of c.replace(/-/g, '')) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(32);
    const expected = (2000 * 12) / 32;
    const chi2 = [...counts.values()].reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(70); // 31 degrees of freedom: p < 0.0002 of failing by chance
    for (const confusable of ['o', 'i', 'l', '1']) expect(counts.has(confusable)).toBe(false);
  });

  it('normalise case, dashes and spaces, and refuse anything else', async () => {
    expect(normalizeRecoveryCode('ABCD-EFGH-JK23')).toBe('abcdefghjk23');
    expect(normalizeRecoveryCode(' abcd efgh jk23 ')).toBe('abcdefghjk23');
    for (const bad of ['', 'abcd-efgh-jk2', 'abcd-efgh-jk234', 'abcd-efgh-jk2o', 'x'.repeat(100)]) expect(normalizeRecoveryCode(bad)).toBeUndefined();
    expect(await recoveryDigest('abcdefghjk23')).toMatch(/^[0-9a-f]{64}$/);
  });
});
