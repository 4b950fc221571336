import { describe, expect, it } from 'vitest';
import { isoTime } from '../../src/clock';

// The reference is ECMAScript's own Date.prototype.toISOString: isoTime must print exactly it.
describe('isoTime', () => {
  it('prints what toISOString prints, at the edges of every field', () => {
    const edges = [
      '1000-01-01T00:00:00.000Z',
      '1970-01-01T00:00:00.000Z',
      '1999-12-31T23:59:59.999Z',
      '2000-02-29T12:00:00.001Z',
      '2024-02-29T23:59:59.010Z',
      '2026-12-04T09:05:07.100Z',
      '9999-12-31T23:59:59.999Z',
    ];
    for (const text of edges) expect(isoTime(new Date(text))).toBe(new Date(text).toISOString());
  });

  it('prints what toISOString prints for 100,000 random instants', () => {
    for (let i = 0; i < 100_000; i++) {
      const date = new Date(Math.floor(Math.random() * 253_402_300_800_000));
      expect(isoTime(date)).toBe(date.toISOString());
    }
  });

  it('falls back to toISOString outside years 1000-9999, and throws like it on an invalid date', () => {
    for (const ms of [-62_198_755_200_000, -1e15, 8.64e15, 253_402_300_800_000]) expect(isoTime(new Date(ms))).toBe(new Date(ms).toISOString());
    expect(() => isoTime(new Date(Number.NaN))).toThrow(RangeError);
  });
});
