import { decodeGoJson, serializeJson } from '../inspect/go-json.js';
import type { JsonValue } from '../inspect/json-value.js';
import type { Descriptor } from '../inspect/schemas.js';
import { CHUNK_END, ChunkedDecoder, LAST_CHUNK, chunkHeader } from './chunked.js';

/**
 * Filters a response that streams JSON values, one per line as Go's `json.Encoder` writes them
 * (the events stream), without holding it: each value is decoded, filtered, re-serialised and
 * handed on as soon as its "\n" arrives, so at most one value is ever buffered.
 *
 * Only a 200 answer to a non-HEAD request is filtered; anything else (dockerd's errors, interim
 * 1xx heads) passes untouched. The client gets the daemon's head with our framing: a chunked
 * body stays chunked (one chunk per kept value, and the last chunk when the daemon's ends), a
 * close-delimited one stays close-delimited, and a Content-Length body, whose length no longer
 * holds, becomes chunked on HTTP/1.1 and close-delimited on HTTP/1.0 (which has no chunking).
 *
 * The framing is read exactly as `ResponseTracker` reads it, so both agree on where the answer
 * ends. Nothing here fails open: a value that is not JSON, is larger than the bound, or that
 * the filter throws on, stops the filter (`error`), and the caller must then cut the connection.
 */

export type StreamFilter = (value: JsonValue) => JsonValue | null;

/** A value is buffered until its end to be filtered; a larger one ends the stream instead. */
export const MAX_STREAM_VALUE_BYTES = 1024 * 1024;
/** The same bound as the tracker's, so the two fail on the same heads. */
const MAX_HEAD = 256 * 1024;
/** A line buffer grown beyond this for one large value is let go, so a quiet stream holds little. */
const KEEP_LINE_BUFFER = 64 * 1024;

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9][0-9]{2})(?: |$)/;

const enum Phase {
  /** reading a head (the final one, or an interim 1xx) */
  Head,
  /** not filtered: everything goes to the client as it comes */
  Pass,
  Chunked,
  Length,
  UntilClose,
  Done,
}

export interface JsonStreamOptions {
  readonly filter: StreamFilter;
  /** how each value is decoded (see `inspect/stream-schemas.ts`) */
  readonly schema: Descriptor;
  readonly headRequest: boolean;
  /**
   * Receives what the client is to get, as soon as it is known. A passed-through piece may be a
   * view of the buffer being fed, so it must be used (written) before `feed` returns.
   */
  readonly sink: (out: Buffer) => void;
  readonly maxValueBytes?: number;
}

export class JsonStreamFilter {
  private phase = Phase.Head;
  private head: Buffer | null = null;
  private chunked: ChunkedDecoder | null = null;
  private remaining = 0;
  private outChunked = false;
  /** the value received so far (bytes since the last "\n"), copied out of what was fed */
  private line: Buffer | null = null;
  private lineLen = 0;
  private readonly filter: StreamFilter;
  private readonly schema: Descriptor;
  private readonly headRequest: boolean;
  private readonly sink: (out: Buffer) => void;
  private readonly maxValueBytes: number;
  /** why filtering stopped; once set, nothing more is handed on */
  error: string | null = null;
  /** the client's answer ends only when the connection closes, so nothing may follow it */
  closes = false;

  constructor(opts: JsonStreamOptions) {
    this.filter = opts.filter;
    this.schema = opts.schema;
    this.headRequest = opts.headRequest;
    this.sink = opts.sink;
    this.maxValueBytes = opts.maxValueBytes ?? MAX_STREAM_VALUE_BYTES;
  }

  /**
   * True once everything owed to the client has been handed on: the filtered body has ended,
   * or the answer is passed through (its own framing then says where it ends).
   */
  get done(): boolean {
    return this.phase === Phase.Done || this.phase === Phase.Pass;
  }

  /** Takes the next bytes from the daemon; false when filtering failed (see `error`). */
  feed(d: Buffer): boolean {
    if (this.error !== null) return false;
    let i = 0;
    while (i < d.length) {
      switch (this.phase) {
        case Phase.Head:
          i = this.readHead(d, i);
          if (i < 0) return false;
          break;
        case Phase.Pass:
          this.sink(i === 0 ? d : d.subarray(i));
          return true;
        case Phase.Chunked: {
          const decoder = this.chunked!;
          const used = decoder.feed(i === 0 ? d : d.subarray(i));
          if (used < 0) return this.fail(`malformed chunked framing: ${decoder.error}`);
          if (this.error !== null) return false;
          i += used;
          if (decoder.done && !this.finish()) return false;
          break;
        }
        case Phase.Length: {
          const take = Math.min(this.remaining, d.length - i);
          if (!this.values(d.subarray(i, i + take))) return false;
          this.remaining -= take;
          i += take;
          if (this.remaining === 0 && !this.finish()) return false;
          break;
        }
        case Phase.UntilClose:
          return this.values(i === 0 ? d : d.subarray(i));
        case Phase.Done:
          return this.fail('bytes after the end of the answer');
      }
    }
    return true;
  }

  /** The daemon closed the connection; false when that cut the answer short or its last value fails. */
  end(): boolean {
    if (this.error !== null) return false;
    switch (this.phase) {
      case Phase.Pass:
      case Phase.Done:
        return true;
      case Phase.UntilClose:
        return this.finish();
      default:
        return this.fail('the daemon closed the connection mid-answer');
    }
  }

  /** Reads head bytes from `d` at `from`; returns where the body starts in `d`, or -1. */
  private readHead(d: Buffer, from: number): number {
    const piece = from === 0 ? d : d.subarray(from);
    const prevLen = this.head === null ? 0 : this.head.length;
    const joined = this.head === null ? piece : Buffer.concat([this.head, piece]);
    const end = joined.indexOf(CRLFCRLF, Math.max(0, prevLen - 3));
    if (end === -1) {
      if (joined.length > MAX_HEAD) return this.failAt('the response head is too large');
      this.head = Buffer.from(joined);
      return d.length;
    }
    this.head = null;
    const consumed = from + end + 4 - prevLen;
    const text = joined.toString('latin1', 0, end);
    const m = STATUS_LINE.exec(text);
    if (m === null) return this.failAt('malformed status line');
    const status = Number(m[2]);
    if (status === 101) return this.failAt('a switch of protocols is not a stream of JSON values');
    if (status !== 200 || this.headRequest) {
      this.sink(Buffer.from(joined.subarray(0, end + 4)));
      // An interim head is followed by the real one.
      if (status >= 200) this.phase = Phase.Pass;
      return consumed;
    }
    let length = -1;
    let chunked = false;
    const lines = text.split('\r\n');
    const kept = [lines[0]!];
    for (let k = 1; k < lines.length; k++) {
      const line = lines[k]!;
      const colon = line.indexOf(':');
      // Named exactly as the tracker names them, so both read the same framing.
      const name = colon <= 0 ? '' : line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^[0-9]{1,15}$/.test(value) || (length !== -1 && length !== Number(value))) return this.failAt('malformed Content-Length');
        length = Number(value);
      } else if (name === 'transfer-encoding') {
        chunked = value.toLowerCase().split(',').some((t) => t.trim() === 'chunked');
      } else {
        kept.push(line);
      }
    }
    if (chunked) {
      this.phase = Phase.Chunked;
      this.chunked = new ChunkedDecoder((data) => {
        this.values(data);
      });
      this.outChunked = true;
    } else if (length >= 0) {
      this.phase = Phase.Length;
      this.remaining = length;
      this.outChunked = m[1] === '1';
    } else {
      this.phase = Phase.UntilClose;
    }
    if (this.outChunked) {
      kept.push('Transfer-Encoding: chunked');
    } else {
      // Only the close can end such an answer, so the client must not expect the connection to go on.
      this.closes = true;
      for (let k = kept.length - 1; k > 0; k--) if (/^connection:/i.test(kept[k]!)) kept.splice(k, 1);
      kept.push('Connection: close');
    }
    this.sink(Buffer.from(`${kept.join('\r\n')}\r\n\r\n`, 'latin1'));
    if (this.phase === Phase.Length && length === 0 && !this.finish()) return -1;
    return consumed;
  }

  /** The body ended: a last value without its "\n" is still one, as a JSON stream decoder reads it. */
  private finish(): boolean {
    if (this.lineLen > 0) {
      const ok = this.value(this.line!.subarray(0, this.lineLen));
      this.lineLen = 0;
      this.line = null;
      if (!ok) return false;
    }
    this.phase = Phase.Done;
    if (this.outChunked) this.sink(Buffer.from(LAST_CHUNK, 'latin1'));
    return true;
  }

  /** Splits body bytes into values at "\n", keeping (a copy of) an unfinished one. */
  private values(piece: Buffer): boolean {
    if (this.error !== null) return false;
    let start = 0;
    for (;;) {
      const nl = piece.indexOf(0x0a, start);
      const end = nl === -1 ? piece.length : nl;
      if (this.lineLen + (end - start) > this.maxValueBytes) return this.fail(`a value is larger than ${this.maxValueBytes} bytes`);
      if (nl === -1) {
        this.keep(piece, start, end);
        return true;
      }
      let ok: boolean;
      if (this.lineLen === 0) {
        ok = this.value(piece.subarray(start, nl));
      } else {
        this.keep(piece, start, nl);
        ok = this.value(this.line!.subarray(0, this.lineLen));
        this.lineLen = 0;
        if (this.line!.length > KEEP_LINE_BUFFER) this.line = null;
      }
      if (!ok) return false;
      start = nl + 1;
    }
  }

  private keep(piece: Buffer, start: number, end: number): void {
    if (end === start) return;
    const need = this.lineLen + (end - start);
    if (this.line === null || this.line.length < need) {
      const grown = Buffer.allocUnsafe(Math.min(this.maxValueBytes, Math.max(need, 2 * (this.line?.length ?? 0), 4096)));
      if (this.line !== null) this.line.copy(grown, 0, 0, this.lineLen);
      this.line = grown;
    }
    piece.copy(this.line, this.lineLen, start, end);
    this.lineLen = need;
  }

  /** Filters one line; blank lines between values are skipped, as Go's decoder skips whitespace. */
  private value(bytes: Buffer): boolean {
    if (isBlank(bytes)) return true;
    const decoded = decodeGoJson(bytes, this.schema);
    if (!decoded.ok) return this.fail(`a value cannot be read: ${decoded.reason}`);
    let text: string;
    try {
      const out = this.filter(decoded.value);
      if (out === null) return true;
      text = `${serializeJson(out)}\n`;
    } catch (err) {
      return this.fail(`the filter failed: ${(err as Error).message}`);
    }
    this.sink(Buffer.from(this.outChunked ? `${chunkHeader(Buffer.byteLength(text))}${text}${CHUNK_END}` : text, 'utf8'));
    return true;
  }

  private fail(reason: string): false {
    this.error = reason;
    return false;
  }

  private failAt(reason: string): -1 {
    this.error = reason;
    return -1;
  }
}

function isBlank(bytes: Buffer): boolean {
  for (const c of bytes) if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return false;
  return true;
}
