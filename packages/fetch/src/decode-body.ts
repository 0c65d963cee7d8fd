import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib';
import { FetchError } from './errors.ts';

export interface BodyLimits {
  /** Raw bytes on the wire (still compressed). */
  maxBodyBytes: number;
  /** Bytes after decompression. */
  maxDecodedBytes: number;
  /** `fail`: going over a limit throws `too_large`. `truncate`: keep what fits and say so. */
  oversize: 'fail' | 'truncate';
}

export interface DecodedBody {
  body: Buffer;
  bytesOnWire: number;
  bytesDecoded: number;
  truncated: boolean;
  /** The bytes as received, before decompression (when asked for). */
  rawBody?: Buffer;
}

type Stage =
  | AsyncIterable<Buffer>
  | Transform
  | ((source: AsyncIterable<Buffer>) => AsyncIterable<Buffer>)
  | ((source: AsyncIterable<Buffer>) => Promise<void>);

// node's typings cannot express a variable number of transforms between source and sink.
const runPipeline = pipeline as unknown as (
  ...stages: [...Stage[], { signal: AbortSignal }]
) => Promise<void>;

/**
 * Ends a pipeline from its sink on purpose. (Returning early from the sink makes a pipeline
 * with a zlib stage in it fail with a generic abort.)
 */
class EnoughRead extends Error {}

/** More layers than this is no real server; each layer multiplies a bomb. */
const MAX_CODING_LAYERS = 3;

// Tolerate streams cut short at the end (a missing gzip trailer is common on the web, and
// truncation at the raw limit cuts one on purpose); corrupt data still fails.
const ZLIB_OPTIONS = { finishFlush: constants.Z_SYNC_FLUSH };
const BROTLI_OPTIONS = { finishFlush: constants.BROTLI_OPERATION_FLUSH };

/** The content codings of a Content-Encoding header, in the order they must be undone. */
export function contentCodings(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity')
    .reverse();
}

/**
 * Reads a response body through its decompressors into one buffer, never holding more than
 * the limits: the raw count stops the wire, the decoded count stops a decompression bomb at
 * the cap, and zlib's backpressure keeps it from inflating ahead of the reader.
 */
export async function readBody(
  source: Readable,
  contentEncoding: string | undefined,
  limits: BodyLimits,
  url: string,
  signal: AbortSignal,
  keepRaw = false,
): Promise<DecodedBody> {
  const codings = contentCodings(contentEncoding);
  if (codings.length > MAX_CODING_LAYERS) {
    throw new FetchError('protocol', `too many content codings (${contentEncoding}) at ${url}`, { url });
  }
  // Most bodies come without a content coding: read them in one loop, without the pipeline
  // (its streams, async generators and abort controller cost more than the reading itself).
  if (codings.length === 0) return readPlainBody(source, limits, url, keepRaw);
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  // Deflate comes zlib-wrapped (RFC 9110) or, from some servers, raw: the first two bytes
  // tell which, so they are read before the decoders are chosen.
  const head = codings[0] === 'deflate' ? await readAtLeast(iterator, 2) : [];
  const decoders = codings.map((coding, layer) => decoderFor(coding, layer === 0 ? head : undefined, url));

  const state = { bytesOnWire: 0, bytesDecoded: 0, truncated: false };
  const chunks: Buffer[] = [];
  const rawChunks: Buffer[] | undefined = keepRaw ? [] : undefined;

  async function* countWire(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      const room = limits.maxBodyBytes - state.bytesOnWire;
      if (chunk.length > room) {
        if (limits.oversize === 'fail') throw tooLarge(url, 'body', limits.maxBodyBytes);
        state.bytesOnWire += room;
        state.truncated = true;
        if (room > 0) {
          rawChunks?.push(chunk.subarray(0, room));
          yield chunk.subarray(0, room);
        }
        return;
      }
      state.bytesOnWire += chunk.length;
      rawChunks?.push(chunk);
      yield chunk;
    }
  }

  async function collect(decoded: AsyncIterable<Buffer>): Promise<void> {
    for await (const chunk of decoded) {
      const room = limits.maxDecodedBytes - state.bytesDecoded;
      if (chunk.length > room) {
        if (limits.oversize === 'fail') throw tooLarge(url, 'decoded body', limits.maxDecodedBytes);
        if (room > 0) chunks.push(chunk.subarray(0, room));
        state.bytesDecoded += room;
        state.truncated = true;
        throw new EnoughRead();
      }
      chunks.push(chunk);
      state.bytesDecoded += chunk.length;
    }
  }

  try {
    await runPipeline(prepend(head, iterator), countWire, ...decoders, collect, { signal });
  } catch (error) {
    if (!(error instanceof EnoughRead)) throw error;
  }
  const body = Buffer.concat(chunks, state.bytesDecoded);
  // Without content codings the bytes received are the body itself.
  const rawBody = rawChunks && (decoders.length === 0 ? body : Buffer.concat(rawChunks));
  return { body, ...state, ...(rawBody ? { rawBody } : {}) };
}

/** {@link readBody} for a body without content codings: the bytes on the wire are the body. */
async function readPlainBody(
  source: Readable,
  limits: BodyLimits,
  url: string,
  keepRaw: boolean,
): Promise<DecodedBody> {
  // Both limits count the same bytes here; the smaller one decides, named as the pipeline names it.
  const decodedIsSmaller = limits.maxDecodedBytes < limits.maxBodyBytes;
  const cap = decodedIsSmaller ? limits.maxDecodedBytes : limits.maxBodyBytes;
  const chunks: Buffer[] = [];
  let bytes = 0;
  let truncated = false;
  // Leaving the loop early (a limit) destroys the stream: the wire stops there.
  for await (const chunk of source as AsyncIterable<Buffer>) {
    const room = cap - bytes;
    if (chunk.length > room) {
      if (limits.oversize === 'fail') {
        throw tooLarge(url, decodedIsSmaller ? 'decoded body' : 'body', cap);
      }
      if (room > 0) chunks.push(chunk.subarray(0, room));
      bytes += room;
      truncated = true;
      break;
    }
    chunks.push(chunk);
    bytes += chunk.length;
  }
  const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes);
  return { body, bytesOnWire: bytes, bytesDecoded: bytes, truncated, ...(keepRaw ? { rawBody: body } : {}) };
}

function decoderFor(coding: string, head: Buffer[] | undefined, url: string): Transform {
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      // Decodes concatenated gzip members too.
      return createGunzip(ZLIB_OPTIONS);
    case 'br':
      return createBrotliDecompress(BROTLI_OPTIONS);
    case 'deflate':
      return head !== undefined && !looksZlibWrapped(Buffer.concat(head))
        ? createInflateRaw(ZLIB_OPTIONS)
        : createInflate(ZLIB_OPTIONS);
    default:
      throw new FetchError('protocol', `unsupported content-encoding "${coding}" at ${url}`, {
        url,
        context: { contentEncoding: coding },
      });
  }
}

/** RFC 1950 header: compression method 8 and a header checksum divisible by 31. */
function looksZlibWrapped(head: Buffer): boolean {
  if (head.length < 2) return false;
  const cmf = head[0] ?? 0;
  const flg = head[1] ?? 0;
  return (cmf & 0x0f) === 8 && (cmf * 256 + flg) % 31 === 0;
}

async function readAtLeast(iterator: AsyncIterator<Buffer>, bytes: number): Promise<Buffer[]> {
  const head: Buffer[] = [];
  let length = 0;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) break;
    head.push(next.value);
    length += next.value.length;
  }
  return head;
}

async function* prepend(head: Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* head;
    for (;;) {
      const next = await rest.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    // Stopping early (a limit, an error) must release the socket.
    await rest.return?.();
  }
}

export function tooLarge(url: string, what: string, limit: number): FetchError {
  return new FetchError('too_large', `${what} of ${url} exceeds the limit of ${limit} bytes`, {
    url,
    context: { limit, what },
  });
}
