/** Names `h0.kraul.test`, `h1.kraul.test`, ... resolve to the hosts through `site.lookup`. */
export const SITE_DOMAIN = 'kraul.test';

/** Host 0 listens on 127.0.0.2: 127.0.0.1 stays free for whatever else a test runs. */
const FIRST_ADDRESS = 0x7f000002;

/** The loopback address of host `index` (Linux routes all of 127.0.0.0/8 to lo). */
export function hostAddress(index: number): string {
  const n = FIRST_ADDRESS + index;
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

export function hostName(index: number): string {
  return `h${index}.${SITE_DOMAIN}`;
}

/** The host index a `h<i>.kraul.test` name stands for, or undefined. */
export function hostIndexOfName(name: string): number | undefined {
  const match = /^h(\d+)\.kraul\.test\.?$/i.exec(name);
  return match ? Number(match[1]) : undefined;
}
