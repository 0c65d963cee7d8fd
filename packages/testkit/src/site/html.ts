const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export interface SimplePage {
  title: string;
  /** Extra markup for `<head>` (meta tags, base, canonical), already escaped. */
  head?: string;
  /** Body markup, already escaped. */
  body: string;
  /** The `<meta charset>` to declare, if any. */
  charset?: string;
}

export function htmlDocument(page: SimplePage): string {
  const charset = page.charset ? `<meta charset="${escapeHtml(page.charset)}">\n` : '';
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n' +
    charset +
    `<title>${escapeHtml(page.title)}</title>\n` +
    (page.head ?? '') +
    '</head>\n<body>\n' +
    page.body +
    '\n</body>\n</html>\n'
  );
}

/** A small page of links, as the traps and special endpoints serve. */
export function linkPage(title: string, links: readonly { href: string; text: string }[], head = ''): string {
  const items = links
    .map((l) => `<li><a href="${escapeHtml(l.href)}">${escapeHtml(l.text)}</a></li>`)
    .join('\n');
  return htmlDocument({ title, head, body: `<h1>${escapeHtml(title)}</h1>\n<ul>\n${items}\n</ul>` });
}
