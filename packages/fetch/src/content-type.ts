import { parseMIMEType } from 'undici';

export interface ParsedContentType {
  /** `type/subtype`, lower-case, without parameters. */
  mediaType: string | undefined;
  /** The charset parameter as sent (lower-cased), if any. */
  charset: string | undefined;
}

/** Reads a Content-Type header with the WHATWG MIME sniffing parser (quoted parameters and all). */
export function parseContentType(value: string | undefined): ParsedContentType {
  if (value === undefined) return { mediaType: undefined, charset: undefined };
  const parsed = parseMIMEType(value);
  if (parsed === 'failure') return { mediaType: undefined, charset: undefined };
  const charset = parsed.parameters.get('charset');
  return { mediaType: parsed.essence, charset: charset ? charset.toLowerCase() : undefined };
}

/**
 * A test for media types against a list such as `['text/html', 'application/*+xml', 'text/*']`,
 * where `*` stands for any run of characters within the type or subtype. A response without a
 * Content-Type matches only the any-type pattern `*` + `/` + `*`.
 */
export function mediaTypeMatcher(patterns: readonly string[]): (mediaType: string | undefined) => boolean {
  if (patterns.includes('*/*')) return () => true;
  const regexes = patterns.map(
    (pattern) =>
      new RegExp(
        `^${pattern
          .trim()
          .toLowerCase()
          .split('*')
          .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('[^/]*')}$`,
      ),
  );
  return (mediaType) => mediaType !== undefined && regexes.some((regex) => regex.test(mediaType));
}
