import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteShardStore, SCHEMA_VERSION, StoreError } from '../src/index.ts';
import { fpOf, leaseAll, newUrl, readFile, type TempStores, tempStores } from './temp-stores.ts';

let stores: TempStores;
beforeEach(() => {
  stores = tempStores();
});
afterEach(() => stores.cleanup());

describe('transaction', () => {
  it('leaves nothing behind when its function throws', () => {
    const store = stores.open();
    expect(() =>
      store.transaction(() => {
        store.add(newUrl(1, { job: 'new-job', hostKey: 'new.example' }));
        store.add(newUrl(2, { job: 'new-job' }));
        store.leaseDue({ ...leaseAll, jobs: ['new-job'] });
        throw new Error('half a batch');
      }),
    ).toThrow('half a batch');
    expect(store.get(fpOf(1))).toBeUndefined();
    expect(store.counts()).toEqual({ queued: 0, inflight: 0, done: 0, failed: 0, dropped: 0 });
    expect(store.jobTotal('new-job')).toBe(0);
    expect(store.hostTotal('new-job', 'new.example')).toBe(0);
    expect(readFile(store.path, 'SELECT * FROM jobs')).toEqual([]);

    // The store is whole afterwards: the same job can be created for real.
    expect(store.add(newUrl(1, { job: 'new-job', hostKey: 'new.example' }))).toBe(true);
    expect(store.jobTotal('new-job')).toBe(1);
    expect(store.leaseDue({ ...leaseAll, jobs: ['new-job'] })).toHaveLength(1);
  });

  it('returns the function result and commits', () => {
    const store = stores.open();
    expect(store.transaction(() => store.add(newUrl(1)))).toBe(true);
    expect(readFile(store.path, 'SELECT lower(hex(fp)) AS fp FROM urls')).toEqual([{ fp: fpOf(1) }]);
  });

  it('undoes only a nested call that throws, when the outer call goes on', () => {
    const store = stores.open();
    store.transaction(() => {
      store.add(newUrl(1));
      try {
        store.transaction(() => {
          store.add(newUrl(2, { job: 'job-b' }));
          throw new Error('inner');
        });
      } catch {
        // the outer batch carries on without the inner one
      }
      store.add(newUrl(3));
    });
    expect(store.get(fpOf(1))).toBeDefined();
    expect(store.get(fpOf(2))).toBeUndefined();
    expect(store.get(fpOf(3))).toBeDefined();
    expect(store.jobTotal('job-a')).toBe(2);
    expect(store.jobTotal('job-b')).toBe(0);
  });

  it('refuses a function that returns a promise, and rolls it back', () => {
    const store = stores.open();
    const run = () =>
      store.transaction(() => {
        store.add(newUrl(1));
        return Promise.resolve();
      });
    expect(run).toThrow(StoreError);
    expect(run).toThrow(expect.objectContaining({ code: 'store.async_transaction' }));
    expect(store.get(fpOf(1))).toBeUndefined();
  });
});

describe('the store file', () => {
  it('keeps its state across close and reopen', () => {
    const path = stores.path('nested/dirs/shard-3.db');
    const first = stores.open({ path, partition: 3 });
    first.transaction(() => {
      for (let n = 0; n < 10; n++) first.add(newUrl(n, { hostKey: `h${n % 5}` }));
    });
    const leased = first.leaseDue({ ...leaseAll, limit: 3, perHost: 1 });
    first.markDone(leased[0]!.fp, { status: 200, fetchedAt: 1_500, validators: { etag: 'x' } });
    const before = { counts: first.counts(), entry: first.get(leased[1]!.fp) };
    first.close();

    const second = stores.open({ path, partition: 3 });
    expect(second.counts()).toEqual(before.counts);
    expect(second.get(leased[1]!.fp)).toEqual(before.entry);
    expect(second.get(leased[0]!.fp)).toMatchObject({ state: 'done', validators: { etag: 'x' } });
    expect(second.hostTotal('job-a', 'h0')).toBe(2);
    expect(second.expiredLeases(61_000, 10)).toHaveLength(2);
    // The round-robin carries on where it stopped: the two hosts not served go first.
    const next = second.leaseDue({ ...leaseAll, limit: 2, perHost: 1 });
    const servedBefore = new Set(leased.map((entry) => entry.hostKey));
    for (const entry of next) expect(servedBefore.has(entry.hostKey)).toBe(false);
    const after = second.leaseDue({ ...leaseAll, limit: 3, perHost: 1 });
    expect(new Set(after.map((entry) => entry.hostKey))).toEqual(servedBefore);
  });

  it('records the schema version and runs in WAL mode', () => {
    const store = stores.open();
    expect(SCHEMA_VERSION).toBe(5);
    expect(readFile(store.path, 'SELECT version FROM schema_version')).toEqual([
      { version: 1 },
      { version: 2 },
      { version: 3 },
      { version: 4 },
      { version: 5 },
    ]);
    expect(readFile(store.path, 'PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    store.close();
    stores.open();
    expect(readFile(store.path, 'SELECT version FROM schema_version')).toEqual([
      { version: 1 },
      { version: 2 },
      { version: 3 },
      { version: 4 },
      { version: 5 },
    ]);
  });

  it('refuses a file written by a newer schema', () => {
    const path = stores.path();
    stores.open({ path }).close();
    const db = new DatabaseSync(path);
    db.exec('INSERT INTO schema_version (version, applied_at) VALUES (99, 0)');
    db.close();
    expect(() => openSqliteShardStore({ path, partition: 0 })).toThrow(
      expect.objectContaining({ code: 'store.schema_too_new', context: { found: 99, supported: 5 } }),
    );
  });

  it('stores a URL without the scheme and host key its host row holds, and reads it whole', () => {
    const store = stores.open();
    const urls = [
      { n: 1, url: 'https://www.example.com/a/b?c=d', hostKey: 'www.example.com', stored: '^/a/b?c=d' },
      { n: 2, url: 'http://www.example.com/', hostKey: 'www.example.com', stored: '~/' },
      { n: 3, url: 'http://127.0.0.2:8080/p/1', hostKey: '127.0.0.2', stored: '~:8080/p/1' },
      // Host keys of `domain` mode, and URLs with user info, keep the whole URL.
      { n: 4, url: 'https://www.example.org/x', hostKey: 'example.org', stored: 'https://www.example.org/x' },
      { n: 5, url: 'https://me@example.net/', hostKey: 'example.net', stored: 'https://me@example.net/' },
    ];
    for (const { n, url, hostKey } of urls) store.add(newUrl(n, { url, hostKey }));
    store.markDropped(fpOf(6), 'robots.txt', {
      url: 'https://www.example.com/private/6',
      job: 'job-a',
      hostKey: 'www.example.com',
      depth: 1,
    });
    expect(readFile(store.path, 'SELECT url FROM urls ORDER BY id')).toEqual([
      ...urls.map(({ stored }) => ({ url: stored })),
      { url: '^/private/6' },
    ]);
    for (const { n, url } of urls) expect(store.get(fpOf(n))?.url).toBe(url);
    expect(
      store
        .leaseDue(leaseAll)
        .map((entry) => entry.url)
        .sort(),
    ).toEqual(urls.map(({ url }) => url).sort());
    expect(store.endedUrls({ limit: 10 }).map((ended) => ended.url)).toEqual([
      'https://www.example.com/private/6',
    ]);
  });

  it('reads the whole URLs of a file written before URLs were stored compact', () => {
    const path = stores.path();
    const before = stores.open({ path });
    before.add(newUrl(1, { url: 'https://www.example.com/old', hostKey: 'www.example.com' }));
    before.close();
    // The file as version 2 wrote it: the URL whole, no version 3 or 4.
    const db = new DatabaseSync(path);
    db.exec("UPDATE urls SET url = 'https://www.example.com/old'");
    db.exec('DELETE FROM schema_version WHERE version >= 3');
    db.exec('DROP TABLE host_partitions');
    db.close();
    const after = stores.open({ path });
    expect(after.get(fpOf(1))?.url).toBe('https://www.example.com/old');
    after.add(newUrl(2, { url: 'https://www.example.com/new', hostKey: 'www.example.com' }));
    expect(readFile(path, 'SELECT url FROM urls ORDER BY id')).toEqual([
      { url: 'https://www.example.com/old' },
      { url: '^/new' },
    ]);
    expect(readFile(path, 'SELECT max(version) AS version FROM schema_version')).toEqual([{ version: 5 }]);
  });

  it('keeps the hosts of a file written before host placement on the shard’s own partition', () => {
    const path = stores.path();
    const before = stores.open({ path, partition: 5 });
    before.add(newUrl(1, { url: 'https://a.example.com/1', hostKey: 'a.example.com' }));
    before.add(newUrl(2, { url: 'https://b.example.com/1', hostKey: 'b.example.com' }));
    // The same host key in a second job is one host to the crawlers.
    before.add(newUrl(3, { url: 'https://a.example.com/2', hostKey: 'a.example.com', job: 'job-b' }));
    before.close();
    // The file as version 3 wrote it: no placements, and requests of its hosts on partition 5.
    const db = new DatabaseSync(path);
    db.exec('DELETE FROM schema_version WHERE version >= 4');
    db.exec('DROP TABLE host_partitions');
    db.close();
    const after = stores.open({ path, partition: 5 });
    expect(after.hostPartitions.get('a.example.com')).toBe(5);
    expect(after.hostPartitions.get('b.example.com')).toBe(5);
    expect(after.hostPartitions.get('c.example.com')).toBeUndefined();
    expect([...after.hostPartitions.counts()]).toEqual([[5, 2]]);
  });

  it('records a host’s todo partition once, for good', () => {
    const path = stores.path();
    const store = stores.open({ path, partition: 1 });
    expect(store.hostPartitions.counts().size).toBe(0);
    store.transaction(() => {
      store.hostPartitions.set('a.example.com', 3);
      store.hostPartitions.set('b.example.com', 3);
      store.hostPartitions.set('c.example.com', 1);
    });
    // A second decision for a host is a bug: it fails instead of moving the host.
    expect(() => store.hostPartitions.set('a.example.com', 0)).toThrow();
    // A decision undone with its transaction is not kept.
    expect(() =>
      store.transaction(() => {
        store.hostPartitions.set('d.example.com', 2);
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    store.close();
    expect(() => store.hostPartitions.get('a.example.com')).toThrow(
      expect.objectContaining({ code: 'store.closed' }),
    );
    const reopened = stores.open({ path, partition: 1 });
    expect(reopened.hostPartitions.get('a.example.com')).toBe(3);
    expect(reopened.hostPartitions.get('d.example.com')).toBeUndefined();
    expect(new Map(reopened.hostPartitions.counts())).toEqual(
      new Map([
        [3, 2],
        [1, 1],
      ]),
    );
  });

  it('refuses to open another partition’s file', () => {
    const path = stores.path();
    stores.open({ path, partition: 1 }).close();
    expect(() => openSqliteShardStore({ path, partition: 2 })).toThrow(
      expect.objectContaining({ code: 'store.partition_mismatch' }),
    );
  });

  it('serves from memory without a file', () => {
    const store = openSqliteShardStore({ path: ':memory:', partition: 0 });
    store.add(newUrl(1));
    expect(store.leaseDue(leaseAll)).toHaveLength(1);
    store.close();
  });

  it('fails with a typed error once closed, and closes once', () => {
    const store = stores.open({ path: join(stores.dir, 'closed.db') });
    store.close();
    store.close();
    expect(() => store.add(newUrl(1))).toThrow(expect.objectContaining({ code: 'store.closed' }));
    expect(() => store.counts()).toThrow(StoreError);
  });
});
