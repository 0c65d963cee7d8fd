/** Query parameter names to drop: exact names, or patterns tested against the decoded name. */
export type ParamMatchers = readonly (string | RegExp)[];

interface CompiledMatchers {
  readonly names: ReadonlySet<string>;
  readonly patterns: readonly RegExp[];
}

// Options objects are typically built once per job and reused for every link, so the
// split into a Set and a pattern list is done once per matcher list, not once per URL.
const compiled = new WeakMap<ParamMatchers, CompiledMatchers>();

function compile(matchers: ParamMatchers): CompiledMatchers {
  let entry = compiled.get(matchers);
  if (entry === undefined) {
    const names = new Set<string>();
    const patterns: RegExp[] = [];
    for (const matcher of matchers) {
      if (typeof matcher === 'string') names.add(matcher);
      else patterns.push(matcher);
    }
    entry = { names, patterns };
    compiled.set(matchers, entry);
  }
  return entry;
}

/** The parameter name as a form decoder would read it (`+` is a space), or the raw name if it is malformed. */
function decodeName(rawName: string): string {
  if (rawName.indexOf('%') === -1 && rawName.indexOf('+') === -1) return rawName;
  try {
    return decodeURIComponent(rawName.replaceAll('+', ' '));
  } catch {
    return rawName;
  }
}

function nameOf(pair: string): string {
  const equals = pair.indexOf('=');
  return equals === -1 ? pair : pair.slice(0, equals);
}

function isStripped(rawName: string, matchers: CompiledMatchers): boolean {
  const name = decodeName(rawName);
  if (matchers.names.has(name)) return true;
  for (const pattern of matchers.patterns) {
    // A global or sticky RegExp keeps state between test() calls; start each test afresh.
    pattern.lastIndex = 0;
    if (pattern.test(name)) return true;
  }
  return false;
}

function byName(a: readonly [string, string], b: readonly [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/**
 * Drops matching parameters and/or stably sorts the rest by raw (already normalised) name.
 * `query` is without the leading `?`; the result is `''` or `?` followed by the pairs.
 * Empty pairs (`a=1&&b=2`) are dropped since the query is being rebuilt anyway.
 */
export function rewriteQuery(query: string, sort: boolean, strip: ParamMatchers | undefined): string {
  const matchers = strip === undefined || strip.length === 0 ? undefined : compile(strip);
  const kept: [string, string][] = [];
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const name = nameOf(pair);
    if (matchers !== undefined && isStripped(name, matchers)) continue;
    kept.push([name, pair]);
  }
  if (kept.length === 0) return '';
  // Array.prototype.sort is stable, so repeated names keep their relative order.
  if (sort) kept.sort(byName);
  let out = '?' + kept[0]![1];
  for (let i = 1; i < kept.length; i++) out += '&' + kept[i]![1];
  return out;
}
