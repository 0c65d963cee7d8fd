/** A regular expression that matches the URLs of exactly these origins: a crawl's scope on the site. */
export function scopePattern(origins: readonly string[]): string {
  const escaped = origins.map((origin) => origin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return `^(?:${escaped.join('|')})/`;
}
