// A deterministic, realistic article page (~15 KB, ~150 links) for the benchmark and the parity test.

const SECTIONS = [
  'news',
  'world',
  'business',
  'technology',
  'science',
  'health',
  'sport',
  'culture',
  'travel',
];
const WORDS = [
  'kafka',
  'crawler',
  'frontier',
  'partition',
  'politeness',
  'robots',
  'sitemap',
  'anchor',
  'redirect',
  'fetch',
  'queue',
  'latency',
];

function word(index: number): string {
  return WORDS[index % WORDS.length]!;
}

function navigation(): string {
  let html = '<nav class="site-nav"><ul>';
  for (let index = 0; index < 36; index++) {
    const section = SECTIONS[index % SECTIONS.length]!;
    html += `<li class="nav-item"><a class="nav-link" href="/${section}/${word(index)}/">${section} &amp; ${word(index + 3)}</a></li>`;
  }
  return html + '</ul></nav>';
}

function paragraph(index: number): string {
  let html = `<p class="body-text">The ${word(index)} team wrote about ${word(index + 1)} and `;
  html += `<a href="../${word(index)}/story-${index}.html?ref=body&amp;page=${index % 4}">the ${word(index + 2)} story</a>, `;
  html += `then about <a href="https://partner${index % 5}.example.org/${word(index + 4)}#top" rel="nofollow noopener">a partner's ${word(index + 5)}</a> `;
  html += `and <a href="/tag/${word(index + 6)}"><em>${word(index + 6)}</em> tag</a>. `;
  html += `Readers who follow <a href="//cdn.example.net/${word(index)}/${index}">the ${word(index + 7)} feed</a> know why.</p>\n`;
  return html;
}

function footer(): string {
  let html = '<footer><div class="footer-links">';
  for (let index = 0; index < 40; index++) {
    const rel = index % 7 === 0 ? ' rel="sponsored"' : '';
    html += `<a href="/about/${word(index)}-${index}"${rel}>About ${word(index)}</a> `;
  }
  html += '<a href="javascript:void(0)">Cookie settings</a> <a href="mailto:desk@example.com">Contact</a>';
  return html + '</div></footer>';
}

export function buildRealisticPage(): string {
  let html = '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">';
  html += '<title>Kafka crawlers in practice | Example News</title>';
  html += '<meta name="viewport" content="width=device-width, initial-scale=1">';
  html += '<meta name="robots" content="index, follow, max-image-preview:large">';
  html += '<base href="https://www.example.com/news/2024/">';
  html += '<link rel="stylesheet" href="/static/site.css"><link rel="icon" href="/favicon.ico">';
  html += '<link rel="canonical" href="https://www.example.com/news/2024/kafka-crawlers">';
  html += '<link rel="alternate" hreflang="de" href="https://www.example.de/nachrichten/2024/kafka-crawler">';
  html += '<link rel="next" href="kafka-crawlers?page=2">';
  html += `<script type="application/ld+json">${JSON.stringify({
    '@context': 'https://schema.org',
    '@type': 'NewsArticle',
    headline: 'Kafka crawlers in practice',
    url: 'https://www.example.com/news/2024/kafka-crawlers',
    author: { '@type': 'Person', name: 'A. Writer', url: '/authors/a-writer' },
  })}</script>`;
  html += `<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}gtag('js',new Date());var links='<a href="/not-a-link">';</script>`;
  html += '<style>.nav-link{color:#333}.body-text a{text-decoration:underline}</style></head>\n<body>';
  html += `<header><a href="/" class="logo"><img src="/logo.svg" alt="Example News"></a>${navigation()}</header>\n`;
  html += '<main><article><h1>Kafka crawlers in practice</h1>';
  for (let index = 0; index < 16; index++) html += paragraph(index);
  html += '<aside><h2>Related</h2><ul>';
  for (let index = 0; index < 12; index++) {
    html += `<li><a href="/news/2024/related-${index}" title="Related story ${index}">Related: ${word(index)} in ${word(index + 2)}</a></li>`;
  }
  html += '</ul></aside></article></main>\n';
  html += footer();
  html += '<script src="/static/app.js" async></script></body></html>';
  return html;
}
