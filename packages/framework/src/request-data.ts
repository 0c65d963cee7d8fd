import type { UserData } from './define.ts';

/** The meta keys a crawl definition's requests carry; `kind` is kraul's own (sitemaps). */
const LABEL_KEY = 'label';
const DATA_KEY = 'data';
/** The protocol's cap on one meta value. */
const MAX_DATA_CHARS = 2_000;

export type RequestMeta = Record<string, string | number | boolean>;

/** The fetch request meta that carries a label and user data with a URL. Throws when the data does not fit. */
export function requestMeta(
  label: string | undefined,
  userData: UserData | undefined,
): RequestMeta | undefined {
  const meta: RequestMeta = {};
  if (label !== undefined) {
    if (typeof label !== 'string' || label.length === 0 || label.length > 128)
      throw new RangeError(`label ${JSON.stringify(label)}: expected 1 to 128 characters`);
    meta[LABEL_KEY] = label;
  }
  if (userData !== undefined && Object.keys(userData).length > 0) {
    const json = JSON.stringify(userData);
    if (json.length > MAX_DATA_CHARS)
      throw new RangeError(
        `userData is ${json.length} characters as JSON; at most ${MAX_DATA_CHARS} travel with a request`,
      );
    meta[DATA_KEY] = json;
  }
  return Object.keys(meta).length > 0 ? meta : undefined;
}

/** The label and user data a request's meta carries back. */
export function readRequestMeta(meta: RequestMeta | undefined): {
  label: string | undefined;
  userData: UserData;
} {
  const label = typeof meta?.[LABEL_KEY] === 'string' ? meta[LABEL_KEY] : undefined;
  let userData: UserData = {};
  const data = meta?.[DATA_KEY];
  if (typeof data === 'string') {
    try {
      const parsed: unknown = JSON.parse(data);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
        userData = parsed as UserData;
    } catch {
      // Data another producer wrote differently: the handler gets none rather than a crash.
    }
  }
  return { label, userData };
}
