const DOT = 0x2e;

/**
 * `example.com.` and `example.com` name the same DNS host; one spelling keeps one queue and
 * one key per host. Returns '' for a host made only of dots, which names nothing.
 */
export function withoutTrailingDots(hostname: string): string {
  let end = hostname.length;
  while (end > 0 && hostname.charCodeAt(end - 1) === DOT) end--;
  return end === hostname.length ? hostname : hostname.slice(0, end);
}
