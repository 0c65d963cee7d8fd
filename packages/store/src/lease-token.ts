import { randomInt } from 'node:crypto';

const TOKEN_SPACE = 36 ** 8;

/**
 * A fresh lease: 8 base-36 characters (about 41 bits) from the system's secure random source,
 * so a report carrying an old lease never matches a newer one by chance.
 */
export function newLeaseToken(): string {
  return randomInt(TOKEN_SPACE).toString(36).padStart(8, '0');
}
