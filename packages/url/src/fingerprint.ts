import { hash } from 'node:crypto';

/**
 * A 64-bit fingerprint of a normalised URL: the first 8 bytes of the SHA-256 digest of its
 * UTF-8 bytes, as 16 lower-case hex characters.
 *
 * Stable across versions: fingerprints are stored (frontier state, `kraul.pages` keys), so
 * this function must never change its output. A different scheme would need a new name.
 *
 * SHA-256 rather than SHA-1: on CPUs with SHA extensions the one-shot `crypto.hash` SHA-256
 * measured as fast as or faster than SHA-1 for typical URLs (100-300 bytes), and 64 bits
 * give a collision chance of about n²/2⁶⁵ (~3e-6 at ten billion URLs).
 *
 * Pass the output of `normalizeUrl`; two spellings of one URL only share a fingerprint once normalised.
 */
export function fingerprint(normalizedUrl: string): string {
  return hash('sha256', normalizedUrl, 'hex').slice(0, 16);
}
