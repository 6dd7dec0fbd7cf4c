/**
 * Incremental decoder for `Transfer-Encoding: chunked`. It is used on both sides: to
 * re-frame request bodies (so dockerd never sees the client's own chunk framing) and to
 * find where a passed-through response ends without copying its bytes.
 *
 * Stricter than Go: bare LF, chunk sizes with anything but hex digits, and trailer
 * fields are refused. Chunk extensions are read and dropped.
 */

const enum State {
  Size,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  LastCr,
  LastLf,
  Done,
}

const MAX_SIZE_DIGITS = 16;
const MAX_EXT_BYTES = 4096;

export type ChunkSink = (data: Buffer) => void;

export class ChunkedDecoder {
  private state = State.Size;
  private size = 0;
  private digits = 0;
  private extBytes = 0;
  private remaining = 0;
  error: string | null = null;

  constructor(private readonly sink: ChunkSink | null) {}

  get done(): boolean {
    return this.state === State.Done;
  }

  /**
   * Consumes bytes from `buf`; returns how many were part of the chunked body (the rest
   * belongs to whatever follows it), or -1 on malformed input (see `error`).
   */
  feed(buf: Buffer): number {
    let i = 0;
    const n = buf.length;
    while (i < n) {
      switch (this.state) {
        case State.Data: {
          const take = Math.min(this.remaining, n - i);
          if (this.sink !== null) this.sink(buf.subarray(i, i + take));
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = State.DataCr;
          break;
        }
        case State.Size: {
          const c = buf[i]!;
          const v = hexValue(c);
          if (v >= 0) {
            if (++this.digits > MAX_SIZE_DIGITS) return this.fail('chunk size too long');
            this.size = this.size * 16 + v;
            if (this.size > Number.MAX_SAFE_INTEGER) return this.fail('chunk size too large');
            i++;
          } else if (this.digits === 0) {
            return this.fail('chunk size missing');
          } else if (c === 0x3b /* ; */) {
            this.state = State.Ext;
            i++;
          } else if (c === 0x0d) {
            this.state = State.SizeLf;
            i++;
          } else {
            return this.fail('malformed chunk size');
          }
          break;
        }
        case State.Ext: {
          const c = buf[i]!;
          if (c === 0x0d) this.state = State.SizeLf;
          else if (c === 0x0a || ++this.extBytes > MAX_EXT_BYTES) return this.fail('malformed chunk extension');
          i++;
          break;
        }
        case State.SizeLf:
          if (buf[i] !== 0x0a) return this.fail('bare CR after chunk size');
          i++;
          if (this.size === 0) {
            this.state = State.LastCr;
          } else {
            this.remaining = this.size;
            this.state = State.Data;
          }
          this.size = 0;
          this.digits = 0;
          this.extBytes = 0;
          break;
        case State.DataCr:
          if (buf[i] !== 0x0d) return this.fail('chunk data longer than its size');
          i++;
          this.state = State.DataLf;
          break;
        case State.DataLf:
          if (buf[i] !== 0x0a) return this.fail('malformed chunk terminator');
          i++;
          this.state = State.Size;
          break;
        case State.LastCr:
          if (buf[i] !== 0x0d) return this.fail('trailer fields are not accepted');
          i++;
          this.state = State.LastLf;
          break;
        case State.LastLf:
          if (buf[i] !== 0x0a) return this.fail('malformed last chunk');
          i++;
          this.state = State.Done;
          return i;
        case State.Done:
          return i;
      }
    }
    return i;
  }

  private fail(reason: string): number {
    this.error = reason;
    return -1;
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Frames one piece of body as a chunk: the forwarded body never reuses the sender's framing. */
export function chunkHeader(length: number): string {
  return `${length.toString(16)}\r\n`;
}

export const CHUNK_END = '\r\n';
export const LAST_CHUNK = '0\r\n\r\n';
