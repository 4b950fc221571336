/** Swagger UI's files for /docs, read from the installed swagger-ui-dist package (routes/docs.ts). */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DocsAsset } from '../routes/docs';

const require = createRequire(import.meta.url);
const root = dirname(require.resolve('swagger-ui-dist/package.json'));
const cache = new Map<DocsAsset, Promise<Uint8Array | undefined>>();

export function swaggerUiAsset(name: DocsAsset): Promise<Uint8Array | undefined> {
  let bytes = cache.get(name);
  if (bytes === undefined) {
    bytes = readFile(join(root, name)).then(
      (b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
      () => undefined,
    );
    cache.set(name, bytes);
  }
  return bytes;
}
