import { ChunkedDecoder } from './chunked.js';

/**
 * Follows the framing of a response that is passed through untouched, so the proxy knows
 * when it ends (to read the next pipelined request) and whether dockerd hijacked the
 * connection, without copying or re-encoding the bytes.
 */
export type TrackEvent =
  /** every byte given so far belongs to the response, which goes on */
  | { readonly kind: 'more' }
  /** the response ended after `end` bytes of this buffer */
  | { readonly kind: 'complete'; readonly end: number }
  /** from offset `at` on, the connection carries a raw bidirectional stream */
  | { readonly kind: 'hijack'; readonly at: number }
  | { readonly kind: 'error'; readonly reason: string };

const MORE: TrackEvent = { kind: 'more' };
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const STATUS_LINE = /^HTTP\/1\.[01] ([1-9][0-9]{2})(?: |$)/;
const MAX_HEAD = 256 * 1024;

const enum Phase {
  Head,
  Length,
  Chunked,
  UntilClose,
  Done,
}

export class ResponseTracker {
  private phase = Phase.Done;
  private head: Buffer | null = null;
  private remaining = 0;
  private chunked: ChunkedDecoder | null = null;
  private isHead = false;
  private mayHijack = false;
  /** final status of the current response (1xx interim responses are not kept) */
  status = 0;
  /** dockerd will close its side after this response */
  closes = false;

  /** Arms the tracker for the response to one request. */
  expect(isHeadRequest: boolean, mayHijack: boolean): void {
    this.phase = Phase.Head;
    this.head = null;
    this.isHead = isHeadRequest;
    this.mayHijack = mayHijack;
    this.status = 0;
    this.closes = false;
  }

  get idle(): boolean {
    return this.phase === Phase.Done;
  }

  /** True while the response body runs until dockerd closes the connection. */
  get untilClose(): boolean {
    return this.phase === Phase.UntilClose;
  }

  feed(buf: Buffer): TrackEvent {
    let offset = 0;
    while (offset < buf.length) {
      switch (this.phase) {
        case Phase.Head: {
          const ev = this.readHead(buf, offset);
          if (ev.kind !== 'consumed') return ev.event;
          offset = ev.offset;
          break;
        }
        case Phase.Length: {
          const take = Math.min(this.remaining, buf.length - offset);
          this.remaining -= take;
          offset += take;
          if (this.remaining === 0) return this.finish(offset);
          break;
        }
        case Phase.Chunked: {
          const used = this.chunked!.feed(offset === 0 ? buf : buf.subarray(offset));
          if (used < 0) return { kind: 'error', reason: `upstream chunked framing: ${this.chunked!.error}` };
          offset += used;
          if (this.chunked!.done) return this.finish(offset);
          break;
        }
        case Phase.UntilClose:
          return MORE;
        case Phase.Done:
          return { kind: 'error', reason: 'upstream sent bytes after the response' };
      }
    }
    return MORE;
  }

  private finish(end: number): TrackEvent {
    this.phase = Phase.Done;
    this.chunked = null;
    return { kind: 'complete', end };
  }

  private readHead(
    buf: Buffer,
    offset: number,
  ): { kind: 'consumed'; offset: number } | { kind: 'event'; event: TrackEvent } {
    const piece = offset === 0 ? buf : buf.subarray(offset);
    const prevLen = this.head === null ? 0 : this.head.length;
    const joined = this.head === null ? piece : Buffer.concat([this.head, piece]);
    // The terminator may straddle the previous piece; search from just before it.
    const end = joined.indexOf(CRLFCRLF, Math.max(0, prevLen - 3));
    if (end === -1) {
      if (joined.length > MAX_HEAD) return { kind: 'event', event: { kind: 'error', reason: 'upstream response head too large' } };
      this.head = Buffer.from(joined);
      return { kind: 'event', event: MORE };
    }
    this.head = null;
    const consumed = offset + (end + 4 - prevLen);
    const text = joined.toString('latin1', 0, end);
    const m = STATUS_LINE.exec(text);
    if (m === null) return { kind: 'event', event: { kind: 'error', reason: 'malformed upstream status line' } };
    const status = Number(m[1]);

    let contentLength = -1;
    let chunked = false;
    let closes = false;
    let from = text.indexOf('\r\n');
    while (from !== -1) {
      const next = text.indexOf('\r\n', from + 2);
      const line = text.slice(from + 2, next === -1 ? text.length : next);
      from = next;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      // Only framing headers matter here, so the cheap length check skips most lines.
      const nameLen = colon;
      if (nameLen !== 14 && nameLen !== 17 && nameLen !== 10) continue;
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        const n = Number(value);
        if (!/^[0-9]{1,15}$/.test(value) || (contentLength !== -1 && contentLength !== n)) {
          return { kind: 'event', event: { kind: 'error', reason: 'malformed upstream Content-Length' } };
        }
        contentLength = n;
      } else if (name === 'transfer-encoding') {
        chunked = value.toLowerCase().split(',').some((t) => t.trim() === 'chunked');
      } else if (name === 'connection') {
        closes = value.toLowerCase().split(',').some((t) => t.trim() === 'close');
      }
    }

    if (status === 101) {
      this.status = status;
      this.phase = Phase.UntilClose;
      return { kind: 'event', event: { kind: 'hijack', at: consumed } };
    }
    if (status < 200) {
      // 100 Continue and friends: the real response follows.
      this.phase = Phase.Head;
      return { kind: 'consumed', offset: consumed };
    }
    this.status = status;
    this.closes = closes;
    if (this.isHead || status === 204 || status === 304) return { kind: 'event', event: this.finish(consumed) };
    if (chunked) {
      this.chunked = new ChunkedDecoder(null);
      this.phase = Phase.Chunked;
      return { kind: 'consumed', offset: consumed };
    }
    if (contentLength >= 0) {
      if (contentLength === 0) return { kind: 'event', event: this.finish(consumed) };
      this.remaining = contentLength;
      this.phase = Phase.Length;
      return { kind: 'consumed', offset: consumed };
    }
    this.closes = true;
    this.phase = Phase.UntilClose;
    if (this.mayHijack && status === 200) {
      // dockerd hijacks attach/exec start even without an Upgrade header and answers 200
      // with a raw stream: the client keeps writing stdin on the same connection.
      return { kind: 'event', event: { kind: 'hijack', at: consumed } };
    }
    return { kind: 'consumed', offset: consumed };
  }
}
