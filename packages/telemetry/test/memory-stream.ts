import { Writable } from 'node:stream';

/** A writable that keeps everything written to it, optionally posing as a terminal. */
export class MemoryStream extends Writable {
  readonly chunks: string[] = [];
  isTTY: boolean;
  columns: number | undefined;

  constructor(options: { isTTY?: boolean; columns?: number } = {}) {
    super({ decodeStrings: false });
    this.isTTY = options.isTTY ?? false;
    this.columns = options.columns;
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk.toString());
    callback();
  }

  text(): string {
    return this.chunks.join('');
  }

  lines(): string[] {
    return this.text()
      .split('\n')
      .filter((line) => line.length > 0);
  }
}
