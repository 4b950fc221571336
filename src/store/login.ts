/**
 * Login against stored credentials with upgrade on login. A valid password on an outdated hash
 * replaces it with a fresh default hash through a compare-and-swap on the exact hash that was
 * verified, so a password change that landed in between is never overwritten. An unknown user
 * costs a dummy verify of the default scheme and answers like a wrong password.
 */
import type { Repositories } from '../db/index';
import type { CryptContext } from '../hashing/crypt-context';

export interface LoginDeps extends Pick<Repositories, 'credentials' | 'inventory'> {
  crypt: CryptContext;
}

export interface LoginResult {
  valid: boolean;
  upgraded: boolean;
}

export async function login(deps: LoginDeps, tenant: string, userId: string, password: string, signal?: AbortSignal): Promise<LoginResult> {
  const { credentials, inventory, crypt } = deps;
  const row = await credentials.get(tenant, userId);
  if (!row) {
    await crypt.dummyVerify(password, signal ? { signal } : {});
    return { valid: false, upgraded: false };
  }
  const result = await crypt.verify(password, row.hash, {
    ...(signal && { signal }),
    ...(row.salt !== null && { salt: row.salt }),
    ...(row.pgUser !== null && { user: row.pgUser }),
  });
  if (!result.valid) return { valid: false, upgraded: false };
  let upgraded = false;
  if (result.newHash !== undefined) {
    upgraded = await credentials.compareAndSwap(tenant, userId, row.hash, {
      hash: result.newHash,
      scheme: crypt.policy.default,
      wrapped: false,
      source: 'login_upgrade',
      salt: null,
      pgUser: null,
    });
    if (upgraded) await inventory.recordUpgrade(tenant, 'login');
  }
  await credentials.touchLogin(tenant, userId);
  return { valid: true, upgraded };
}
