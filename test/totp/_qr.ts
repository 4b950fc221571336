/**
 * A QR decoder for the tests: rasterises the SVG hashd returns and reads it with jsQR, a QR
 * decoder independent of the encoder (uqr), so a test can check the picture holds the URI.
 */
import jsQR from 'jsqr';
import { expect } from 'vitest';

/** Rasterises uqr's SVG (one white rect, one path of `Mx,yh…v…h…z` squares) to RGBA pixels. */
export function rasterise(svg: string): { data: Uint8ClampedArray; width: number; height: number } {
  const view = /viewBox="0 0 (\d+) (\d+)"/.exec(svg);
  expect(view).not.toBeNull();
  const [width, height] = [Number(view![1]), Number(view![2])];
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  const path = /<path fill="black" d="([^"]+)"/.exec(svg)![1] as string;
  const cells = [...path.matchAll(/M(\d+),(\d+)h(\d+)v(\d+)h-\d+z/g)];
  expect(cells.length).toBeGreaterThan(100);
  for (const [, x, y, w, h] of cells) {
    for (let yy = Number(y); yy < Number(y) + Number(h); yy++) {
      for (let xx = Number(x); xx < Number(x) + Number(w); xx++) {
        const i = (yy * width + xx) * 4;
        data[i] = data[i + 1] = data[i + 2] = 0;
      }
    }
  }
  return { data, width, height };
}

export function decodeQr(svg: string): string | undefined {
  const { data, width, height } = rasterise(svg);
  return jsQR(data, width, height)?.data;
}

