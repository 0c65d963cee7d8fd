import { ALLOW_ALL, DISALLOW_ALL, parsedRules } from '@kraul/fetch/robots-rules';
import type { PageFetched } from '@kraul/protocol';
import { describe, expect, it } from 'vitest';
import { RobotsReports } from '../src/robots-reports.ts';

const page = (): PageFetched => ({ type: 'page.fetched' }) as PageFetched;
const ORIGIN = 'https://a.test';
const TEXT = 'User-agent: *\nDisallow: /private/\n';

describe('RobotsReports', () => {
  it('reports fetched rules once, with the next page of their origin', () => {
    const reports = new RobotsReports();
    reports.remember(ORIGIN, parsedRules(`${ORIGIN}/robots.txt`, TEXT, 'kraul'), 5_000);
    const other = page();
    reports.attachTo(other, 'https://b.test');
    expect(other.robots).toBeUndefined();
    const first = page();
    reports.attachTo(first, ORIGIN);
    expect(first.robots).toEqual({
      url: `${ORIGIN}/robots.txt`,
      token: 'kraul',
      text: TEXT,
      expiresAt: 5_000,
    });
    const second = page();
    reports.attachTo(second, ORIGIN);
    expect(second.robots).toBeUndefined();
  });

  it('reports neither missing nor unreachable files, nor one too long to report whole', () => {
    const reports = new RobotsReports();
    reports.remember('https://m.test', ALLOW_ALL, 5_000);
    reports.remember('https://u.test', DISALLOW_ALL, 5_000);
    const long = `User-agent: *\n${'Disallow: /x\n'.repeat(10_000)}`;
    reports.remember('https://l.test', parsedRules('https://l.test/robots.txt', long, 'kraul'), 5_000);
    for (const origin of ['https://m.test', 'https://u.test', 'https://l.test']) {
      const event = page();
      reports.attachTo(event, origin);
      expect(event.robots).toBeUndefined();
    }
  });

  it('keeps at most its bound of unreported origins, dropping the oldest', () => {
    const reports = new RobotsReports(2);
    for (const host of ['a', 'b', 'c']) {
      reports.remember(
        `https://${host}.test`,
        parsedRules(`https://${host}.test/robots.txt`, TEXT, 'kraul'),
        1,
      );
    }
    const events = ['a', 'b', 'c'].map((host) => {
      const event = page();
      reports.attachTo(event, `https://${host}.test`);
      return event.robots !== undefined;
    });
    expect(events).toEqual([false, true, true]);
  });
});
