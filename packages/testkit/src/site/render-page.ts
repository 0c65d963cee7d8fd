import type { GraphDocument, SiteLocation } from './graph.ts';
import { writeHref } from './href.ts';
import { escapeHtml, htmlDocument } from './html.ts';
import { hashString, paragraphs } from './text.ts';

/** A one-pixel GIF: the image map needs an image, and a data URL is nothing to fetch. */
const MAP_IMAGE = 'data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==';

export type OriginOf = (host: number) => string;

export function locationUrl(origin: OriginOf, location: SiteLocation, fragment?: string): URL {
  const url = new URL(location.path, origin(location.host));
  if (fragment) url.hash = fragment;
  return url;
}

/** The URL relative links of a document resolve against: its `<base href>` or itself. */
export function documentBase(origin: OriginOf, doc: GraphDocument): URL {
  return locationUrl(origin, doc.base ?? doc.location);
}

/**
 * Renders a graph document as HTML whose links resolve exactly to the graph's targets: a few
 * KB with the default 5 paragraphs of prose, about 600 bytes more per paragraph.
 */
export function renderGraphDocument(origin: OriginOf, doc: GraphDocument, paragraphCount = 5): string {
  const base = documentBase(origin, doc);
  const href = (link: GraphDocument['links'][number]) =>
    escapeHtml(writeHref(base, locationUrl(origin, link.target, link.fragment), link.form));

  let head = '<meta name="viewport" content="width=device-width">\n';
  if (doc.base) head += `<base href="${escapeHtml(base.href)}">\n`;
  const anchors: string[] = [];
  const areas: string[] = [];
  for (const link of doc.links) {
    if (link.element === 'canonical') head += `<link rel="canonical" href="${href(link)}">\n`;
    else if (link.element === 'area') {
      areas.push(
        `<area shape="rect" coords="0,0,10,10" href="${href(link)}" alt="${escapeHtml(link.text)}">`,
      );
    } else {
      const rel = link.nofollow ? ' rel="nofollow"' : '';
      anchors.push(`<a href="${href(link)}"${rel}>${escapeHtml(link.text)}</a>`);
    }
  }
  for (const link of doc.foreignLinks)
    anchors.push(`<a href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a>`);

  const text = paragraphs(hashString(`${doc.location.host}${doc.location.path}`), paragraphCount);
  // Links sit inside the prose, one after each paragraph, the rest in a list at the end.
  const body: string[] = [`<h1 id="top">${escapeHtml(doc.title)}</h1>`];
  text.forEach((p, i) => {
    const inline = anchors[i] ? ` See ${anchors[i]}.` : '';
    body.push(`<p${i === 2 ? ' id="section-2"' : ''}>${escapeHtml(p)}${inline}</p>`);
  });
  const rest = anchors.slice(text.length);
  if (rest.length > 0) body.push(`<ul>\n${rest.map((a) => `<li>${a}</li>`).join('\n')}\n</ul>`);
  if (areas.length > 0) {
    body.push(`<img src="${MAP_IMAGE}" usemap="#site-map" alt="Site map" width="10" height="10">`);
    body.push(`<map name="site-map">\n${areas.join('\n')}\n</map>`);
  }
  body.push('<p id="x">The end.</p>');
  return htmlDocument({ title: doc.title, head, body: body.join('\n'), charset: 'utf-8' });
}
