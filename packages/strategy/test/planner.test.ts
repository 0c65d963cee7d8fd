import type { CrawlSeeded, Decision, FetchFailed, Job, PageLink } from '@kraul/protocol';
import { fingerprint, hostKey, partitionForKey } from '@kraul/url';
import { describe, expect, it } from 'vitest';
import { breadthFirst, type CrawlStrategy, JobScope, RecentUrls, SequenceTraps } from '../src/index.ts';
import { type PartitionPlan, Planner } from '../src/planner.ts';
import { makeJob, pageFetched } from './worker-fixtures.ts';

const PARTITIONS = 4;

function plannerFor(job: Job, options: { recent?: RecentUrls; strategy?: CrawlStrategy } = {}): Planner {
  return new Planner({
    job,
    scope: new JobScope(job),
    strategy: options.strategy ?? breadthFirst,
    recent: options.recent ?? new RecentUrls(1_000),
    partitions: PARTITIONS,
  });
}

const partitionOf = (url: string): number => partitionForKey(hostKey(url, 'hostname'), PARTITIONS);

function decisionsOf<Op extends Decision['op']>(
  plans: PartitionPlan[],
  op: Op,
): Extract<Decision, { op: Op }>[] {
  return plans.flatMap((plan) =>
    plan.decisions.filter((decision): decision is Extract<Decision, { op: Op }> => decision.op === op),
  );
}

function scheduledUrls(plans: PartitionPlan[]): string[] {
  return decisionsOf(plans, 'schedule')
    .map((decision) => decision.url)
    .sort();
}

const links = (...urls: string[]): PageLink[] => urls.map((url) => ({ url }));

describe('Planner.fetched', () => {
  // Partitions of 4: a.test 3, b.test 1, c.test 1, d.test 0, e.test 0, g.test 2.
  const linkTargets = [
    'https://b.test/1',
    'https://c.test/1',
    'https://d.test/1',
    'https://e.test/1',
    'https://g.test/1',
    'https://b.test/2',
    'https://a.test/2',
  ];

  it('groups the decisions of one page into one plan per destination partition', () => {
    const planner = plannerFor(makeJob());
    planner.fetched(pageFetched('https://a.test/', { links: links(...linkTargets) }));
    const plans = planner.plans();

    const partitions = plans.map((plan) => plan.partition);
    expect(new Set(partitions).size).toBe(partitions.length);
    expect(partitions.sort()).toEqual([0, 1, 2, 3]);
    for (const plan of plans) {
      expect(partitionForKey(plan.key, PARTITIONS)).toBe(plan.partition);
      for (const decision of plan.decisions) expect(partitionOf(decision.url)).toBe(plan.partition);
    }
    expect(scheduledUrls(plans)).toEqual([...linkTargets].sort());
    expect(planner.stats).toMatchObject({ scheduled: linkTargets.length, outOfScope: 0, recent: 0 });
  });

  it("sends the page's done to the partition of the page's host", () => {
    const planner = plannerFor(makeJob());
    const page = pageFetched('https://a.test/', {
      links: links('https://b.test/x'),
      validators: { etag: '"v1"' },
    });
    planner.fetched(page);
    const plans = planner.plans();
    const home = plans.find((plan) => plan.partition === partitionOf(page.url));
    expect(home?.decisions).toEqual([
      {
        op: 'done',
        url: page.url,
        fp: page.fp,
        lease: 'lease-1',
        status: 200,
        fetchedAt: 1_000,
        validators: { etag: '"v1"' },
      },
    ]);
    expect(plans).toHaveLength(2);
  });

  it('gives links the depth below the page and the strategy score', () => {
    const planner = plannerFor(makeJob());
    planner.fetched(pageFetched('https://a.test/p', { depth: 2, links: links('https://b.test/x') }));
    expect(decisionsOf(planner.plans(), 'schedule')).toEqual([
      { op: 'schedule', url: 'https://b.test/x', fp: fingerprint('https://b.test/x'), score: -3, depth: 3 },
    ]);
  });

  it('skips rel=nofollow links unless the job follows them', () => {
    const page = pageFetched('https://a.test/', {
      links: [
        { url: 'https://b.test/followed' },
        { url: 'https://b.test/not', nofollow: true, rel: ['nofollow'] },
      ],
    });
    const strict = plannerFor(makeJob());
    strict.fetched(page);
    expect(scheduledUrls(strict.plans())).toEqual(['https://b.test/followed']);
    expect(strict.stats.nofollow).toBe(1);

    const follows = plannerFor(makeJob({ settings: { scope: { mode: 'any', followNofollow: true } } }));
    follows.fetched(page);
    expect(scheduledUrls(follows.plans())).toEqual(['https://b.test/followed', 'https://b.test/not']);
    expect(follows.stats.nofollow).toBe(0);
  });

  it('follows no link of a page marked nofollow, but still records the page done', () => {
    const page = pageFetched('https://a.test/', {
      nofollow: true,
      links: links('https://b.test/1', 'https://c.test/1'),
    });
    const strict = plannerFor(makeJob());
    strict.fetched(page);
    expect(decisionsOf(strict.plans(), 'schedule')).toEqual([]);
    expect(decisionsOf(strict.plans(), 'done')).toHaveLength(1);
    expect(strict.stats.nofollow).toBe(2);

    const follows = plannerFor(makeJob({ settings: { scope: { mode: 'any', followNofollow: true } } }));
    follows.fetched(page);
    expect(scheduledUrls(follows.plans())).toEqual(['https://b.test/1', 'https://c.test/1']);
  });

  it('counts links out of scope and leaves them out', () => {
    const job = makeJob({
      seeds: ['https://a.test/'],
      settings: { scope: { mode: 'host', deny: ['/private/'], maxDepth: 5 } },
    });
    const planner = plannerFor(job);
    planner.fetched(
      pageFetched('https://a.test/', {
        links: links(
          'https://a.test/ok',
          'https://b.test/other-host',
          'https://a.test/private/x',
          'mailto:me@a.test',
        ),
      }),
    );
    expect(scheduledUrls(planner.plans())).toEqual(['https://a.test/ok']);
    expect(planner.stats).toMatchObject({ scheduled: 1, outOfScope: 3 });

    const deep = plannerFor(job);
    deep.fetched(pageFetched('https://a.test/deep', { depth: 5, links: links('https://a.test/deeper') }));
    expect(deep.stats).toMatchObject({ scheduled: 0, outOfScope: 1 });
  });

  it('counts links without a crawlable host as out of scope rather than failing the page', () => {
    const planner = plannerFor(makeJob());
    planner.fetched(
      pageFetched('https://a.test/', {
        links: links('mailto:me@a.test', 'ftp://a.test/file', 'https://b.test/'),
      }),
    );
    expect(scheduledUrls(planner.plans())).toEqual(['https://b.test/']);
    expect(planner.stats.outOfScope).toBe(2);
  });

  it('drops links it sent lately, across pages', () => {
    const recent = new RecentUrls(1_000);
    const job = makeJob();
    const first = plannerFor(job, { recent });
    first.fetched(
      pageFetched('https://a.test/1', { links: links('https://b.test/nav', 'https://b.test/1') }),
    );
    expect(first.stats).toMatchObject({ scheduled: 2, recent: 0 });

    const second = plannerFor(job, { recent });
    second.fetched(
      pageFetched('https://a.test/2', { links: links('https://b.test/nav', 'https://b.test/2') }),
    );
    expect(scheduledUrls(second.plans())).toEqual(['https://b.test/2']);
    expect(second.stats).toMatchObject({ scheduled: 1, recent: 1 });
  });

  it('keeps the recent URLs of each job apart', () => {
    const recent = new RecentUrls(1_000);
    const first = plannerFor(makeJob({ id: 'job-1' }), { recent });
    first.fetched(pageFetched('https://a.test/', { links: links('https://b.test/shared') }));
    const second = plannerFor(makeJob({ id: 'job-2' }), { recent });
    second.fetched(pageFetched('https://a.test/', { job: 'job-2', links: links('https://b.test/shared') }));
    expect(scheduledUrls(second.plans())).toEqual(['https://b.test/shared']);
  });

  it('counts links the strategy leaves out', () => {
    const picky: CrawlStrategy = {
      name: 'picky',
      scoreLink: (link) => (link.url.includes('keep') ? 1 : undefined),
    };
    const planner = plannerFor(makeJob(), { strategy: picky });
    planner.fetched(
      pageFetched('https://a.test/', { links: links('https://b.test/keep', 'https://b.test/skip') }),
    );
    expect(scheduledUrls(planner.plans())).toEqual(['https://b.test/keep']);
    expect(planner.stats.rejectedByStrategy).toBe(1);
  });

  it("forwards a host's reported robots.txt to its partition ahead of the page's links", () => {
    const planner = plannerFor(makeJob());
    const robots = {
      url: 'https://a.test/robots.txt',
      token: 'kraul',
      text: 'User-agent: *\nDisallow: /x/\n',
      expiresAt: 9,
    };
    planner.fetched(
      pageFetched('https://a.test/', { links: links('https://a.test/x/1', 'https://a.test/y'), robots }),
    );
    const plan = planner.plans().find((one) => one.partition === partitionOf('https://a.test/'))!;
    expect(plan.decisions[0]).toEqual({ op: 'robots', ...robots });
    expect(plan.decisions.slice(1).map((decision) => decision.op)).toEqual(['done', 'schedule', 'schedule']);
  });

  it('records the final URL of a redirect as done, in its own partition', () => {
    const recent = new RecentUrls(1_000);
    const planner = plannerFor(makeJob(), { recent });
    const page = pageFetched('https://a.test/old', {
      finalUrl: 'https://b.test/new',
      redirects: [{ url: 'https://a.test/old', status: 301 }],
    });
    planner.fetched(page);
    const done = decisionsOf(planner.plans(), 'done');
    expect(done.map((decision) => [decision.url, decision.fp])).toEqual([
      ['https://a.test/old', page.fp],
      ['https://b.test/new', fingerprint('https://b.test/new')],
    ]);
    const finalPlan = planner.plans().find((plan) => plan.partition === partitionOf('https://b.test/new'));
    expect(finalPlan?.decisions.map((decision) => decision.url)).toContain('https://b.test/new');

    // A later link to the final URL is not sent again.
    const later = plannerFor(makeJob(), { recent });
    later.fetched(pageFetched('https://c.test/', { links: links('https://b.test/new') }));
    expect(later.stats).toMatchObject({ scheduled: 0, recent: 1 });
  });

  it('schedules sitemaps named by robots.txt, marked as sitemaps', () => {
    const planner = plannerFor(makeJob());
    planner.fetched(pageFetched('https://a.test/', { depth: 1, sitemaps: ['https://a.test/sitemap.xml'] }));
    expect(decisionsOf(planner.plans(), 'schedule')).toEqual([
      {
        op: 'schedule',
        url: 'https://a.test/sitemap.xml',
        fp: fingerprint('https://a.test/sitemap.xml'),
        score: 0,
        depth: 1,
        meta: { kind: 'sitemap' },
      },
    ]);
  });

  it('records the page of a stopped job but follows none of its links', () => {
    const planner = plannerFor(makeJob({ state: 'stopped' }));
    planner.fetched(pageFetched('https://a.test/', { links: links('https://b.test/1') }));
    expect(decisionsOf(planner.plans(), 'done')).toHaveLength(1);
    expect(decisionsOf(planner.plans(), 'schedule')).toEqual([]);
  });
});

describe('Planner.seeded', () => {
  const seeded = (urls: CrawlSeeded['urls']): CrawlSeeded => ({
    type: 'crawl.seeded',
    job: 'job-1',
    urls,
    source: 'cli',
  });

  it('normalises seeds, scores them and keeps their meta', () => {
    const seedScorer: CrawlStrategy = { ...breadthFirst, name: 'seed-scorer', scoreSeed: () => 7 };
    const planner = plannerFor(makeJob(), { strategy: seedScorer });
    planner.seeded(
      seeded([
        { url: 'HTTPS://A.test:443/x#top' },
        { url: 'https://b.test/given', score: 2, meta: { source: 'list' } },
        { url: 'not a url' },
      ]),
    );
    const decisions = decisionsOf(planner.plans(), 'schedule');
    expect(decisions).toEqual([
      { op: 'schedule', url: 'https://a.test/x', fp: fingerprint('https://a.test/x'), score: 7, depth: 0 },
      {
        op: 'schedule',
        url: 'https://b.test/given',
        fp: fingerprint('https://b.test/given'),
        score: 2,
        depth: 0,
        meta: { source: 'list' },
      },
    ]);
    expect(planner.stats.scheduled).toBe(2);
    for (const plan of planner.plans()) {
      for (const decision of plan.decisions) expect(partitionOf(decision.url)).toBe(plan.partition);
    }
  });

  it('scores a seed 0 when neither the seed nor the strategy says otherwise', () => {
    const planner = plannerFor(makeJob());
    planner.seeded(seeded([{ url: 'https://a.test/' }]));
    expect(decisionsOf(planner.plans(), 'schedule')).toMatchObject([{ score: 0 }]);
  });

  it('sends a drop for a seed out of scope, with the reason', () => {
    const job = makeJob({ settings: { scope: { mode: 'any', deny: ['blocked'] } } });
    const planner = plannerFor(job);
    planner.seeded(seeded([{ url: 'https://a.test/blocked' }]));
    expect(planner.plans()).toEqual([
      {
        partition: partitionOf('https://a.test/blocked'),
        key: 'a.test',
        decisions: [
          {
            op: 'drop',
            url: 'https://a.test/blocked',
            fp: fingerprint('https://a.test/blocked'),
            reason: 'denied',
            code: 'out_of_scope',
            depth: 0,
          },
        ],
      },
    ]);
  });
});

describe('Planner.failed', () => {
  it("turns a failed fetch into a failed decision for the URL's partition", () => {
    const url = 'https://g.test/slow';
    const failure: FetchFailed = {
      type: 'fetch.failed',
      job: 'job-1',
      url,
      fp: fingerprint(url),
      depth: 1,
      attempt: 2,
      lease: 'lease-7',
      errorClass: 'http_status',
      retryable: true,
      message: '503',
      status: 503,
      retryAfterMs: 5_000,
      failedAt: 2_000,
    };
    const planner = plannerFor(makeJob());
    planner.failed(failure);
    expect(planner.plans()).toEqual([
      {
        partition: partitionOf(url),
        key: 'g.test',
        decisions: [
          {
            op: 'failed',
            url,
            fp: fingerprint(url),
            lease: 'lease-7',
            errorClass: 'http_status',
            retryable: true,
            message: '503',
            status: 503,
            retryAfterMs: 5_000,
          },
        ],
      },
    ]);
  });
});

describe('Planner: links left out are dropped with a reason', () => {
  it('sends one drop per URL out of scope, too deep or a trap, with its code and depth', () => {
    const job = makeJob({ seeds: ['https://a.test/'], settings: { scope: { mode: 'host', maxDepth: 1 } } });
    const recent = new RecentUrls(1_000);
    const planner = plannerFor(job, { recent });
    planner.fetched(
      pageFetched('https://a.test/', {
        links: links(
          'https://b.test/x',
          'https://a.test/s/1?sid=abc',
          'https://a.test/ok',
          'mailto:me@a.test',
        ),
      }),
    );
    const drops = decisionsOf(planner.plans(), 'drop');
    expect(drops.map((d) => d.op === 'drop' && [d.url, d.code, d.depth]).sort()).toEqual([
      ['https://a.test/s/1?sid=abc', 'trap', 1],
      ['https://b.test/x', 'out_of_scope', 1],
    ]);
    expect(planner.stats).toMatchObject({ scheduled: 1, outOfScope: 3, trap: 1, dropped: 2 });

    const deep = plannerFor(job, { recent });
    deep.fetched(
      pageFetched('https://a.test/ok', {
        depth: 1,
        links: links('https://a.test/deeper', 'https://b.test/x'),
      }),
    );
    // b.test/x was sent lately: not again.
    expect(decisionsOf(deep.plans(), 'drop').map((d) => d.op === 'drop' && [d.url, d.code, d.depth])).toEqual(
      [['https://a.test/deeper', 'depth', 2]],
    );
    // Too deep is no verdict on the URL: found shallower, it is still scheduled.
    const shallow = plannerFor(job, { recent });
    shallow.fetched(pageFetched('https://a.test/', { links: links('https://a.test/deeper') }));
    expect(scheduledUrls(shallow.plans())).toEqual(['https://a.test/deeper']);
  });

  it('drops the step of a counting chain whose pages bring nothing new, not pagination with content', () => {
    const job = makeJob({ seeds: ['https://a.test/'], settings: { scope: { mode: 'host', maxDepth: 200 } } });
    const recent = new RecentUrls(10_000);
    const traps = new SequenceTraps({ maxBarrenSteps: 3 });
    const crawlChain = (urlOf: (n: number) => string, extra: (n: number) => string[]) => {
      let fetched = 0;
      for (let n = 0; n < 100; n++) {
        const planner = new Planner({
          job,
          scope: new JobScope(job),
          strategy: breadthFirst,
          recent,
          partitions: PARTITIONS,
          traps,
        });
        planner.fetched(pageFetched(urlOf(n), { depth: n, links: links(urlOf(n + 1), ...extra(n)) }));
        fetched += 1;
        const drops = decisionsOf(planner.plans(), 'drop');
        if (drops.length > 0) {
          expect(drops).toMatchObject([{ url: urlOf(n + 1), code: 'trap' }]);
          return fetched;
        }
        expect(scheduledUrls(planner.plans())).toContain(urlOf(n + 1));
      }
      return fetched;
    };
    expect(
      crawlChain(
        (n) => `https://a.test/cal?d=${n}`,
        () => [],
      ),
    ).toBe(4);
    expect(
      crawlChain(
        (n) => `https://a.test/list?page=${n}`,
        (n) => [`https://a.test/item/${n}`],
      ),
    ).toBe(100);
  });
});
