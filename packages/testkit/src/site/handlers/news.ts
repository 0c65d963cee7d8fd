import type { Handler } from '../context.ts';
import { escapeHtml } from '../html.ts';
import { sendHtml, sendNotFound } from '../respond.ts';

/** Articles of the news section, the same on every run. */
export const NEWS_ARTICLES = 6;

export interface NewsArticle {
  id: number;
  path: string;
  headline: string;
  author: string;
  /** ISO 8601, as in the article's <time datetime>. */
  publishedAt: string;
  paragraphs: string[];
}

export function newsArticle(id: number): NewsArticle {
  const day = String(id).padStart(2, '0');
  return {
    id,
    path: `/news/2026/01/${day}/story-${id}`,
    headline: `Story number ${id} makes the news`,
    author: ['Ada Lovelace', 'Grace Hopper', 'Alan Turing'][id % 3]!,
    publishedAt: `2026-01-${day}T08:30:00.000Z`,
    paragraphs: [`The first paragraph of story ${id}.`, `A second paragraph, with more of story ${id}.`],
  };
}

const ARTICLE_PATH = /^\/news\/2026\/01\/(\d{2})\/story-(\d{1,3})$/;

/**
 * `/news/`: a front page linking every article (and ads, tag pages, a login link) and
 * `/news/2026/01/<dd>/story-<n>`: an article with headline, byline, date and body, plus
 * links to related articles: for article-extraction examples.
 */
export const newsPage: Handler = (_ctx, url, _req, res) => {
  if (url.pathname === '/news/') {
    const links = Array.from({ length: NEWS_ARTICLES }, (_, i) => newsArticle(i + 1))
      .map((a) => `<li><a class="headline" href="${a.path}">${escapeHtml(a.headline)}</a></li>`)
      .join('\n');
    return sendHtml(
      res,
      200,
      `<!doctype html><title>The Daily Test</title><header><a href="/login">Log in</a></header>` +
        `<main><ul class="stories">${links}</ul></main><aside><a href="/ads/1">Buy now</a>` +
        `<a href="/news/tag/tea">tea</a></aside>`,
    );
  }
  const match = ARTICLE_PATH.exec(url.pathname);
  const id = match ? Number(match[2]) : 0;
  if (id < 1 || id > NEWS_ARTICLES || Number(match![1]) !== id) return sendNotFound(res);
  const article = newsArticle(id);
  const related = newsArticle((id % NEWS_ARTICLES) + 1);
  return sendHtml(
    res,
    200,
    `<!doctype html><title>${escapeHtml(article.headline)} | The Daily Test</title>` +
      `<nav><a href="/news/">Front page</a></nav><article><h1>${escapeHtml(article.headline)}</h1>` +
      `<p class="byline">By <span class="author">${escapeHtml(article.author)}</span></p>` +
      `<time datetime="${article.publishedAt}">January ${id}, 2026</time><div class="body">` +
      article.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('') +
      `</div></article><aside><a class="related" href="${related.path}">${escapeHtml(related.headline)}</a></aside>`,
  );
};
