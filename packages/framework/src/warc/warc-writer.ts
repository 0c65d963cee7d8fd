import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { type FileHandle, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { WARCRecord, WARCSerializer } from 'warcio';

/** One fetch as the archive keeps it: the exchange as on the wire, and the page's links. */
export interface ArchivedFetch {
  /** The URL whose response this is (after redirects). */
  url: string;
  /** The URL that was asked for, when redirects led elsewhere. */
  requestedUrl: string;
  /** Epoch ms when the response was received. */
  fetchedAt: number;
  /** Remote IP that served it. */
  address: string | undefined;
  request: { method: string; target: string; headers: [string, string][] };
  status: number;
  statusText: string;
  headers: [string, string][];
  /** The body as received, still content-encoded. */
  body: Uint8Array;
  /** `length`: cut at a size limit; `unspecified`: not read (a media type the crawler skips). */
  truncated?: 'length' | 'unspecified';
  /** Links found on the page, for the metadata record. */
  links: readonly string[];
}

export interface WarcWriterOptions {
  /** Folder the files go in; made when missing. */
  dir: string;
  /** Names this writer's files, e.g. the crawler's host name and process id: one writer per name. */
  writer: string;
  /** A file is closed and a new one begun once it holds this many bytes. Default: 1 GiB. */
  maxFileBytes?: number;
  /** Named in each file's warcinfo record. */
  software?: string;
}

const WARC_VERSION = 'WARC/1.1';
const NOT_MODIFIED_PROFILE = 'http://netpreserve.org/warc/1.1/revisit/server-not-modified';
/** sha1, base32: the digest CDX indexes and replay tools expect. */
const DIGEST = { algo: 'sha-1', prefix: 'sha1:', base32: true } as const;
/** The body is stored dechunked, so a Transfer-Encoding line would misdescribe it. */
const DROPPED_HEADERS = new Set(['transfer-encoding']);

/**
 * Writes WARC/1.1 files: per fetch a `request` record, a `response` (or a `revisit` for a 304)
 * and a `metadata` record with the page's links, each record gzipped on its own so any
 * record can be read from its offset. A file is `<prefix>-<writer>-<timestamp>-<n>.warc.gz`,
 * named `.open` while written and renamed when full or closed.
 */
export class WarcWriter {
  readonly #options: WarcWriterOptions;
  readonly #maxBytes: number;
  #file: { handle: FileHandle; path: string; bytes: number } | undefined;
  #sequence = 0;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #closed: string[] = [];

  constructor(options: WarcWriterOptions) {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(options.writer))
      throw new RangeError(
        `WARC writer name ${JSON.stringify(options.writer)}: letters, digits, '.', '_' and '-'`,
      );
    this.#options = options;
    this.#maxBytes = options.maxFileBytes ?? 1024 ** 3;
    mkdirSync(options.dir, { recursive: true });
  }

  /** Files finished so far (full or closed). */
  files(): readonly string[] {
    return [...this.#closed];
  }

  /** Appends the records of one fetch; writes happen one at a time, in call order. */
  write(fetch: ArchivedFetch): Promise<void> {
    const next = this.#queue.then(() => this.#write(fetch));
    this.#queue = next.catch(() => {});
    return next;
  }

  async close(): Promise<void> {
    await this.#queue;
    await this.#finishFile();
  }

  async #write(fetch: ArchivedFetch): Promise<void> {
    const date = new Date(fetch.fetchedAt).toISOString();
    const requestId = recordId();
    const responseId = recordId();
    const common = { url: fetch.url, date, warcVersion: WARC_VERSION } as const;
    const ip: Record<string, string> = fetch.address ? { 'WARC-IP-Address': fetch.address } : {};
    const statusline = `HTTP/1.1 ${fetch.status} ${fetch.statusText}`.trimEnd();
    const httpHeaders = fetch.headers.filter(([name]) => !DROPPED_HEADERS.has(name.toLowerCase()));
    const records = [
      fetch.status === 304
        ? notModified(
            WARCRecord.create(
              {
                ...common,
                type: 'revisit',
                statusline,
                httpHeaders,
                warcHeaders: { 'WARC-Record-ID': responseId, ...ip },
              },
              [],
            ),
            fetch.url,
          )
        : WARCRecord.create(
            {
              ...common,
              type: 'response',
              statusline,
              httpHeaders,
              warcHeaders: {
                'WARC-Record-ID': responseId,
                ...ip,
                ...(fetch.truncated ? { 'WARC-Truncated': fetch.truncated } : {}),
              },
            },
            [fetch.body],
          ),
      WARCRecord.create(
        {
          ...common,
          type: 'request',
          statusline: `${fetch.request.method} ${fetch.request.target} HTTP/1.1`,
          httpHeaders: fetch.request.headers,
          warcHeaders: { 'WARC-Record-ID': requestId, 'WARC-Concurrent-To': responseId, ...ip },
        },
        [],
      ),
      WARCRecord.create(
        {
          ...common,
          type: 'metadata',
          warcHeaders: {
            'WARC-Record-ID': recordId(),
            'WARC-Concurrent-To': responseId,
            'Content-Type': 'application/warc-fields',
          },
        },
        [Buffer.from(metadataFields(fetch))],
      ),
    ];
    const chunks: Uint8Array[] = [];
    for (const record of records)
      chunks.push(await WARCSerializer.serialize(record, { gzip: true, digest: DIGEST }));
    const file = await this.#currentFile();
    const bytes = Buffer.concat(chunks);
    await file.handle.write(bytes);
    file.bytes += bytes.length;
    if (file.bytes >= this.#maxBytes) await this.#finishFile();
  }

  async #currentFile(): Promise<{ handle: FileHandle; path: string; bytes: number }> {
    if (this.#file) return this.#file;
    this.#sequence += 1;
    const stamp = new Date()
      .toISOString()
      .replace(/[-:TZ.]/g, '')
      .slice(0, 17);
    const name = `kraul-${this.#options.writer}-${stamp}-${String(this.#sequence).padStart(5, '0')}.warc.gz`;
    const path = join(this.#options.dir, name);
    // 'wx': a file of that name is never overwritten.
    const handle = await open(`${path}.open`, 'wx');
    const info = WARCRecord.createWARCInfo(
      { filename: name, warcVersion: WARC_VERSION, warcHeaders: { 'WARC-Record-ID': recordId() } },
      {
        software: this.#options.software ?? 'kraul',
        format: 'WARC File Format 1.1',
        conformsTo: 'https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/',
      },
    );
    const bytes = await WARCSerializer.serialize(info, { gzip: true, digest: DIGEST });
    await handle.write(bytes);
    this.#file = { handle, path, bytes: bytes.length };
    return this.#file;
  }

  async #finishFile(): Promise<void> {
    const file = this.#file;
    if (!file) return;
    this.#file = undefined;
    await file.handle.sync();
    await file.handle.close();
    await rename(`${file.path}.open`, file.path);
    this.#closed.push(file.path);
  }
}

/**
 * A revisit record for a 304: the server said the page is unchanged (the profile warcio.js
 * sets by default claims an identical payload digest, which a 304 does not carry).
 */
function notModified(record: WARCRecord, url: string): WARCRecord {
  record.warcHeaders.headers.set('WARC-Profile', NOT_MODIFIED_PROFILE);
  record.warcHeaders.headers.set('WARC-Refers-To-Target-URI', url);
  return record;
}

function recordId(): string {
  return `<urn:uuid:${randomUUID()}>`;
}

/** The metadata record's fields: where the fetch came from and the links it found. */
function metadataFields(fetch: ArchivedFetch): string {
  const lines = fetch.requestedUrl !== fetch.url ? [`via: ${fetch.requestedUrl}`] : [];
  for (const link of fetch.links) lines.push(`outlink: ${link.replace(/[\r\n]/g, '')}`);
  return lines.map((line) => `${line}\r\n`).join('');
}
