/**
 * The page graph of the test site, defined once: the server renders these documents and
 * `expectedPages` walks the same links, so the expected crawl can never drift from what
 * is served.
 */

export interface SiteShape {
  hosts: number;
  pagesPerHost: number;
}

/** A path on one of the site's hosts (no query, no fragment). */
export interface SiteLocation {
  host: number;
  path: string;
}

/**
 * How a link's href is written. The renderer falls back to an absolute URL whenever the
 * chosen form cannot reach the target from the document's base (another origin).
 * - `absolute`: `http://host:port/p/3`
 * - `root`: `/p/3`
 * - `relative`: `3`, or `p/3` under `<base href="/">`
 * - `dot`: `./3`
 * - `parent`: `../p/3`
 * - `fragment`: `#x` when the target is the document itself
 */
export type HrefForm = 'absolute' | 'root' | 'relative' | 'dot' | 'parent' | 'fragment';

export interface GraphLink {
  /** `a` and `area` are followable links; `canonical` is a `<link rel="canonical">` in the head. */
  element: 'a' | 'area' | 'canonical';
  target: SiteLocation;
  form: HrefForm;
  fragment?: string;
  nofollow?: boolean;
  text: string;
}

/** A link no crawl of the site should fetch (another scheme, or a host outside the site). */
export interface ForeignLink {
  href: string;
  text: string;
}

export interface GraphDocument {
  location: SiteLocation;
  title: string;
  /** Where `<base href>` points, when the document has one. */
  base?: SiteLocation;
  links: GraphLink[];
  foreignLinks: ForeignLink[];
}

const PAGE = /^\/p\/(\d+)$/;
const NOFOLLOW = /^\/nofollow\/(\d+)$/;
const PRIVATE = /^\/private\/(\d+)$/;

export function pagePath(n: number): string {
  return `/p/${n}`;
}

/** The document served at `path` on `host`, or undefined when the graph has none there. */
export function graphDocument(shape: SiteShape, host: number, path: string): GraphDocument | undefined {
  if (!Number.isInteger(host) || host < 0 || host >= shape.hosts) return undefined;
  const page = indexIn(PAGE, path, shape.pagesPerHost);
  if (page !== undefined) return pageDocument(shape, host, page);
  const nofollow = indexIn(NOFOLLOW, path, shape.pagesPerHost);
  if (nofollow !== undefined) return leafDocument(host, path, `Nofollow target ${nofollow}`, nofollow);
  const hidden = indexIn(PRIVATE, path, shape.pagesPerHost);
  if (hidden !== undefined) return leafDocument(host, path, `Private page ${hidden}`, hidden);
  return undefined;
}

function indexIn(pattern: RegExp, path: string, limit: number): number | undefined {
  const match = pattern.exec(path);
  if (!match) return undefined;
  const n = Number(match[1]);
  return n < limit && String(n) === match[1] ? n : undefined;
}

/** Pages reached only through nofollow or disallowed links point back into the graph. */
function leafDocument(host: number, path: string, title: string, n: number): GraphDocument {
  return {
    location: { host, path },
    title,
    links: [{ element: 'a', target: { host, path: pagePath(n) }, form: 'root', text: `Back to page ${n}` }],
    foreignLinks: [],
  };
}

function pageDocument(shape: SiteShape, host: number, n: number): GraphDocument {
  const { hosts, pagesPerHost: pages } = shape;
  const here = (k: number): SiteLocation => ({ host, path: pagePath(((k % pages) + pages) % pages) });
  const there = (offset: number, k: number): SiteLocation => ({
    host: (host + offset) % hosts,
    path: pagePath(((k % pages) + pages) % pages),
  });
  const self: SiteLocation = { host, path: pagePath(n) };

  const links: GraphLink[] = [
    { element: 'canonical', target: self, form: 'absolute', text: 'canonical' },
    // The n → n+1 chain alone reaches every page of a host; the rest adds shape.
    { element: 'a', target: here(n + 1), form: 'root', text: 'Next page' },
    { element: 'a', target: here(n + 1), form: 'root', text: 'Next page, again' },
    { element: 'a', target: here(n + 1), form: 'root', fragment: 'top', text: 'Top of the next page' },
    { element: 'a', target: here(n + 2), form: 'relative', text: 'Two ahead' },
    {
      element: 'a',
      target: here(n + 5),
      form: 'dot',
      fragment: 'section-2',
      text: 'Section two, five ahead',
    },
    { element: 'a', target: here(3 * n + 1), form: 'parent', text: 'Up and over' },
    { element: 'a', target: self, form: 'fragment', fragment: 'x', text: 'This page, further down' },
    { element: 'a', target: { host, path: `/private/${n}` }, form: 'root', text: 'Members only' },
  ];
  if (hosts > 1) {
    // Page 0 of host h links to host h+1, so the whole site hangs off /p/0 of host 0.
    links.push({
      element: 'a',
      target: there(1, n === 0 ? 0 : 7 * n + 3),
      form: 'absolute',
      text: 'Elsewhere',
    });
  }
  if (hosts > 2)
    links.push({ element: 'a', target: there(hosts - 1, n), form: 'absolute', text: 'Back a host' });
  if (n % 3 === 0) {
    links.push({
      element: 'a',
      target: { host, path: `/nofollow/${n}` },
      form: 'root',
      nofollow: true,
      text: 'Sponsored',
    });
  }
  if (n % 4 === 1) {
    links.push({ element: 'area', target: here(n + 11), form: 'root', text: 'Map region' });
    if (hosts > 1)
      links.push({ element: 'area', target: there(1, n + 1), form: 'absolute', text: 'Map region abroad' });
  }

  const document: GraphDocument = {
    location: self,
    title: `Host ${host} page ${n}`,
    links,
    foreignLinks: [
      { href: 'mailto:webmaster@kraul.test', text: 'Write to us' },
      { href: 'javascript:void(0)', text: 'Do nothing' },
      { href: `http://outside.invalid/x/${n}`, text: 'Outside the site' },
    ],
  };
  // Bases that change how relative links resolve: ignoring them lands on missing pages.
  if (n % 5 === 2) document.base = { host, path: '/' };
  else if (n % 5 === 4 && hosts > 1) document.base = { host: (host + 1) % hosts, path: '/p/' };
  return document;
}

/** Every document of the graph (pages, nofollow targets, private pages), host by host. */
export function* allGraphDocuments(shape: SiteShape): Generator<GraphDocument> {
  for (let host = 0; host < shape.hosts; host++) {
    for (const prefix of ['/p/', '/nofollow/', '/private/']) {
      for (let n = 0; n < shape.pagesPerHost; n++) {
        const doc = graphDocument(shape, host, prefix + n);
        if (doc) yield doc;
      }
    }
  }
}
