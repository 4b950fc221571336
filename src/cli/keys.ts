/**
 * `hashd keys new TENANT [--admin]`: a fresh API key from the CSPRNG and the configuration entry that holds
 * only its SHA-256 digest. The key is printed once, here, and nowhere else.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface NewKey {
  key: string;
  entry: string;
}

export function newApiKey(tenant: string, options: { admin?: boolean } = {}): NewKey {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(tenant)) throw new Error('TENANT must be 1-64 characters of A-Z a-z 0-9 _ . -');
  const key = `hashd_${randomBytes(32).toString('base64url')}`;
  const digest = createHash('sha256').update(key, 'utf8').digest('hex');
  return { key, entry: `${tenant}${options.admin ? ':admin' : ''}=sha256:${digest}` };
}
