import { constants, crc32, createBrotliCompress, deflateSync, gzipSync } from 'node:zlib';
import { seededRandom } from './text.ts';

export const MIB = 1024 * 1024;

/** Decompressed size of one gzip member of the bomb. */
export const GZIP_BOMB_MEMBER_BYTES = 10 * MIB;
/** Decompressed size of the brotli bomb. */
const BROTLI_BOMB_BYTES = 1000 * MIB;

let gzipMember: Buffer | undefined;

/**
 * 10 MiB of zeros as one gzip member (about 10 KB), compressed on first use. Members
 * written back to back are still one valid gzip stream, so the bomb never exists whole.
 */
export function gzipBombMember(): Buffer {
  gzipMember ??= gzipSync(Buffer.alloc(GZIP_BOMB_MEMBER_BYTES), { level: 9 });
  return gzipMember;
}

let brotliBomb: Promise<Buffer> | undefined;

/**
 * 1000 MiB of zeros as one brotli stream (about 200 KB). Brotli streams cannot be
 * concatenated, so it is compressed once, from a reused 10 MiB buffer, at the lowest quality.
 */
export function brotliBombBody(): Promise<Buffer> {
  brotliBomb ??= new Promise<Buffer>((resolve, reject) => {
    const compressor = createBrotliCompress({
      params: { [constants.BROTLI_PARAM_QUALITY]: 1, [constants.BROTLI_PARAM_LGWIN]: 24 },
    });
    const out: Buffer[] = [];
    compressor.on('data', (chunk: Buffer) => out.push(chunk));
    compressor.on('end', () => resolve(Buffer.concat(out)));
    compressor.on('error', reject);
    const zeros = Buffer.alloc(10 * MIB);
    let written = 0;
    const feed = (): void => {
      while (written < BROTLI_BOMB_BYTES) {
        written += zeros.length;
        if (!compressor.write(zeros)) {
          compressor.once('drain', feed);
          return;
        }
      }
      compressor.end();
    };
    feed();
  });
  return brotliBomb;
}

/** 64 KiB of filler markup, written over and over by `/huge`. */
export const HUGE_CHUNK: Buffer = (() => {
  const line = Buffer.from('<p>kraul huge page filler text</p>'.padEnd(63, ' ') + '\n');
  return Buffer.concat(Array.from({ length: (64 * 1024) / line.length }, () => line));
})();

/** 16 KiB of deterministic bytes for `/binary`. */
export const BINARY_BYTES: Buffer = (() => {
  const random = seededRandom(0xb1a2);
  const bytes = Buffer.alloc(16 * 1024);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
})();

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid 32×32 greyscale gradient PNG. */
export const PNG_IMAGE: Buffer = (() => {
  const size = 32;
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  const rows: number[] = [];
  for (let y = 0; y < size; y++) {
    rows.push(0); // filter: none
    for (let x = 0; x < size; x++) rows.push((x + y) * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.from(rows))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
})();
