import type { Job, OutcomeReason } from '@kraul/protocol';
import { tryNormalizeUrl } from '@kraul/url';
import { getDomain } from 'tldts';
import { trapReason } from './traps.ts';

/** `reason` says why in words; `code` is the shared reason code (out_of_scope, depth or trap). */
export type ScopeVerdict = { ok: true } | { ok: false; reason: string; code: OutcomeReason };

const OK: ScopeVerdict = { ok: true };

function registrableDomain(hostname: string): string {
  return getDomain(hostname, { allowPrivateDomains: false }) ?? hostname;
}

function compile(patterns: readonly string[], jobId: string, kind: string): RegExp[] {
  return patterns.map((pattern) => {
    try {
      return new RegExp(pattern);
    } catch (error) {
      throw new SyntaxError(
        `job ${jobId}: ${kind} pattern ${JSON.stringify(pattern)} is not a valid regular expression`,
        {
          cause: error,
        },
      );
    }
  });
}

/**
 * The scope of one job: which URLs belong to the crawl. Built once per job (patterns are
 * compiled once), then asked for every link.
 */
export class JobScope {
  readonly #job: Job;
  readonly #hosts: ReadonlySet<string>;
  readonly #domains: ReadonlySet<string>;
  readonly #allow: RegExp[];
  readonly #deny: RegExp[];

  constructor(job: Job) {
    this.#job = job;
    const hosts = new Set<string>();
    for (const seed of job.seeds) {
      // Normalised as the links it is compared with are (no trailing dot, punycode...); an
      // unparseable seed is reported when it is seeded and defines no scope.
      const normalized = tryNormalizeUrl(seed);
      if (normalized !== undefined) hosts.add(new URL(normalized).hostname);
    }
    this.#hosts = hosts;
    this.#domains = new Set([...hosts].map(registrableDomain));
    this.#allow = compile(job.settings.scope.allow, job.id, 'allow');
    this.#deny = compile(job.settings.scope.deny, job.id, 'deny');
  }

  /** Whether a (normalised) URL at a depth belongs to the crawl, and why not. */
  check(url: string, depth: number): ScopeVerdict {
    const scope = this.#job.settings.scope;
    if (url.length > scope.maxUrlLength)
      return { ok: false, reason: `url longer than ${scope.maxUrlLength}`, code: 'out_of_scope' };
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { ok: false, reason: 'not a url', code: 'out_of_scope' };
    }
    if (scope.mode === 'host' && !this.#hosts.has(parsed.hostname))
      return { ok: false, reason: 'other host', code: 'out_of_scope' };
    if (scope.mode === 'domain' && !this.#domains.has(registrableDomain(parsed.hostname))) {
      return { ok: false, reason: 'other domain', code: 'out_of_scope' };
    }
    if (this.#allow.length > 0 && !this.#allow.some((re) => re.test(url)))
      return { ok: false, reason: 'not allowed', code: 'out_of_scope' };
    if (this.#deny.some((re) => re.test(url))) return { ok: false, reason: 'denied', code: 'out_of_scope' };
    const trap = trapReason(parsed);
    if (trap !== undefined) return { ok: false, reason: `trap: ${trap}`, code: 'trap' };
    // Last: the one reason that depends on the way the URL was found, not on the URL.
    if (depth > scope.maxDepth)
      return { ok: false, reason: `depth ${depth} over ${scope.maxDepth}`, code: 'depth' };
    return OK;
  }
}
