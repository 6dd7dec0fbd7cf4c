import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { Errors, type ErrorCode } from '../errors.js';
import { CHUNK_END, ChunkedDecoder, LAST_CHUNK, chunkHeader } from '../http/chunked.js';
import { errorResponse } from '../http/error-response.js';
import { forwardHead } from '../http/forward-head.js';
import { parseRequestHead, type RequestHead } from '../http/request-head.js';
import { confirmAnswer } from '../http/confirm-answer.js';
import { rewriteJsonResponse } from '../http/rewrite-response.js';
import { JsonStreamFilter } from '../http/json-stream-filter.js';
import type { JsonValue } from '../inspect/json-value.js';
import type { Confirm, Confirmed } from '../inspect/types.js';
import { streamSchemaFor } from '../inspect/stream-schemas.js';
import { ResponseTracker, type TrackEvent } from '../http/response-tracker.js';
import { isRefusal, type ConnectionIdentity, type Refusal as IdentifyRefusal } from '../identity/identify.js';
import type { DecisionLog } from '../log/decision-log.js';
import type { CompiledPolicy } from '../policy/types.js';
import { reclaimAfter } from './reclaim.js';
import type { Dial } from '../upstream/dial.js';
import type { Lookup } from '../upstream/lookup.js';
import type { RouteMatch } from '../routing/router.js';
import { admit, inspect, refusal, type Refusal } from './authorize.js';
import { auditAdmit, auditable, type PolicyMode } from '../audit/mode.js';

/** Everything a client connection needs from the listener that accepted it. */
export interface ConnectionContext {
  readonly listener: string;
  /** every compiled policy by name; the client's identity picks one per request */
  readonly policies: ReadonlyMap<string, CompiledPolicy>;
  readonly dial: Dial;
  readonly minApiVersion: string;
  readonly maxHeaderBytes: number;
  /** cap on a body that is read whole to be inspected */
  readonly maxBodyBytes: number;
  readonly log: DecisionLog;
  /** reads an object from the daemon on a connection of its own, for pre-flight checks */
  readonly lookup: Lookup;
  /** the config generation deciding requests read now (hot reload); logged with each decision */
  readonly generation?: { readonly id: number; readonly sha256: string };
  /** a policy's mode (docs/operations.md); enforce when absent */
  modeOf?(policy: string): PolicyMode;
}

const enum Phase {
  /** waiting for (or parsing) the next request head */
  Idle,
  /** forwarding, or discarding, the current request's body */
  Body,
  /** an allowed request is being checked (body and daemon look-ups) before anything is sent */
  Inspecting,
  /** request sent; waiting for the end of its response before reading the next one */
  Waiting,
  /** hijacked: bytes flow both ways untouched until both sides close */
  Raw,
  /** a final response is on its way; nothing more is read */
  Closing,
}

// Reasons a socket is paused; it resumes only when none remains.
const PAUSE_BACKPRESSURE = 1;
const PAUSE_PIPELINE = 2;
const PAUSE_INSPECT = 4;

/** Two Authorization headers could name two clients: neither is believed. */
const TWO_CREDENTIALS: IdentifyRefusal = Object.freeze({
  refused: true,
  status: 401,
  code: 'PC_UNKNOWN_TOKEN',
  reason: 'more than one Authorization header',
});

/** Pipelined bytes beyond this wait in the kernel rather than in our memory. */
const PIPELINE_BUFFER = 64 * 1024;
/** A denied request's body up to this size is read and dropped to keep the connection. */
const DISCARD_LIMIT = 64 * 1024;
/** How long a denied client may keep sending a body we will not read before we hang up. */
const LINGER_MS = 5000;
/** A filtered answer (an inspect document) larger than this is refused rather than held. */
const MAX_FILTERED_BYTES = 16 * 1024 * 1024;
/**
 * Size of the buffer an upstream connection reads into. It is reused from one read to the next
 * while the client takes each write at once, so a large transfer allocates nothing per read, and
 * its size lets one read (and one write to the client) take everything the daemon has sent.
 */
const READ_BUFFER = 256 * 1024;

/** Operations that legitimately stay open for as long as the client wants. */
const LONG_LIVED = new Set([
  'SystemEvents',
  'ContainerLogs',
  'ContainerStats',
  'ContainerAttach',
  'ContainerAttachWebsocket',
  'ContainerWait',
  'ExecStart',
  'ServiceLogs',
  'TaskLogs',
]);

interface Exchange {
  readonly start: number;
  client: string | null;
  readonly method: string;
  path: string;
  operation: string | null;
  decision: 'allow' | 'deny' | 'would_deny';
  rule: string | null;
  /** the refusal message of a denied (or, in audit mode, would-be denied) request */
  reason: string | null;
  mode: PolicyMode;
  status: number;
  bytesIn: number;
  bytesOut: number;
  longLived: boolean;
  /** rewrites the JSON answer: the response is held whole instead of passed through */
  filter: ((body: JsonValue) => JsonValue) | null;
  held: Buffer[] | null;
  heldSize: number;
  /** filters the answer's stream of JSON values (events) as it passes, or null */
  stream: JsonStreamFilter | null;
  /** why the daemon could not be reached (an errno code such as EACCES), for the 502's log line */
  errno?: string;
  /** judges the held answer before the client gets it, or null */
  confirm: Confirm | null;
  /** the config generation that decided this request */
  readonly generation: { readonly id: number; readonly sha256: string } | undefined;
}

type Body =
  | { kind: 'length'; remaining: number; discard: boolean }
  | { kind: 'chunked'; decoder: ChunkedDecoder }
  /** read whole for inspection, never forwarded as sent */
  | { kind: 'collect'; chunks: Buffer[]; size: number; remaining: number; decoder: ChunkedDecoder | null };

interface Pending {
  readonly head: RequestHead;
  readonly match: RouteMatch;
}

/**
 * One client connection, paired with at most one upstream connection at a time. Requests
 * are read one at a time: the next pipelined request is parsed only when the previous
 * response has ended, so every request is authorised and responses keep their order.
 * Response bytes are passed through untouched; only their framing is followed.
 */
export class ClientConnection {
  private phase = Phase.Idle;
  private buf: Buffer | null = null;
  private up: net.Socket | null = null;
  private body: Body | null = null;
  private requestDone = false;
  private responseDone = false;
  private keepAlive = true;
  /** the current request is a HEAD: its answers carry no body */
  private headRequest = false;
  private ex: Exchange | null = null;
  /** the request under inspection */
  private pending: Pending | null = null;
  private readonly tracker = new ResponseTracker();
  private clientPaused = 0;
  private upPaused = 0;
  private clientEnded = false;
  private closed = false;
  private draining = false;
  private readonly remote: string;
  /** the policy of the current request's client */
  private policy: CompiledPolicy | null = null;

  constructor(
    private readonly client: net.Socket,
    private readonly ctx: ConnectionContext,
    private readonly identity: ConnectionIdentity,
    private readonly onClosed: (c: ClientConnection) => void,
  ) {
    this.remote = client.remoteAddress !== undefined ? `${client.remoteAddress}:${client.remotePort}` : 'unix';
    client.on('data', (d: Buffer) => this.onClientData(d));
    client.on('end', () => this.onClientEnd());
    client.on('drain', () => this.resumeUp(PAUSE_BACKPRESSURE));
    client.on('error', () => this.client.destroy());
    client.on('close', () => this.onClientClose());
  }

  /** True while a long-lived stream (events, logs -f, attach, ...) is in progress. */
  get streaming(): boolean {
    return this.phase === Phase.Raw || (this.ex !== null && this.ex.longLived);
  }

  /** the operation of the long-lived stream in progress (metrics), or null */
  get streamOperation(): string | null {
    return this.streaming ? (this.ex?.operation ?? null) : null;
  }

  get busy(): boolean {
    return this.ex !== null;
  }

  /** Shutdown: finish the current exchange, then close; idle connections close now. */
  drain(): void {
    this.draining = true;
    if (this.ex === null && this.phase === Phase.Idle) this.client.end();
  }

  destroy(): void {
    this.client.destroy();
    this.up?.destroy();
  }

  // ---- client side -------------------------------------------------------------------

  private onClientData(d: Buffer): void {
    reclaimAfter(d.length);
    switch (this.phase) {
      case Phase.Raw:
        if (this.ex !== null) this.ex.bytesIn += d.length;
        this.writeUp(d);
        return;
      case Phase.Closing:
        return;
      default:
        this.buf = this.buf === null ? d : Buffer.concat([this.buf, d]);
        this.pump();
    }
  }

  private onClientEnd(): void {
    this.clientEnded = true;
    switch (this.phase) {
      case Phase.Raw:
        // Half-close: `docker run -i` ends stdin but still wants the output that follows.
        this.up?.end();
        return;
      case Phase.Body:
        this.destroy();
        return;
      case Phase.Idle:
        if (this.buf !== null && this.buf.length > 0) this.destroy();
        else this.client.end();
        return;
      case Phase.Inspecting:
        // The request is complete; its answer still goes out after the check.
        return;
      default:
        // Waiting. Go's server cancels a request whose client sent EOF, so dockerd ends a
        // `logs -f` or `events` stream for a client that left; passing the EOF on keeps
        // that behaviour instead of holding the stream open until dockerd next writes.
        this.up?.end();
        return;
    }
  }

  private onClientClose(): void {
    if (this.closed) return;
    this.closed = true;
    // An answer being confirmed is heard out (and judged) even without a client: the daemon may be
    // creating what only the confirm can undo.
    const confirming = this.ex !== null && this.ex.confirm !== null && this.requestDone && !this.responseDone;
    if (!confirming) {
      this.up?.destroy();
      this.up = null;
    }
    if (this.ex !== null) this.record();
    this.onClosed(this);
  }

  /** Reads as many complete requests from the buffer as the current phase allows. */
  private pump(): void {
    for (;;) {
      if (this.closed) return;
      const buf = this.buf;
      if (this.phase === Phase.Body) {
        if (buf === null) return;
        this.consumeBody(buf);
        if (this.phase === Phase.Body) return;
        continue;
      }
      if (this.phase === Phase.Raw) {
        if (buf !== null) {
          this.buf = null;
          this.writeUp(buf);
        }
        return;
      }
      if (this.phase !== Phase.Idle) {
        if (buf !== null && buf.length > PIPELINE_BUFFER) this.pauseClient(PAUSE_PIPELINE);
        return;
      }
      if (buf === null || buf.length === 0) {
        if (this.clientEnded) this.client.end();
        return;
      }
      const r = parseRequestHead(buf, this.ctx.maxHeaderBytes);
      if (r.kind === 'incomplete') {
        // The client has stopped sending: this partial request can never be completed.
        if (this.clientEnded) {
          this.phase = Phase.Closing;
          this.buf = null;
          this.client.end();
        }
        return;
      }
      if (r.kind === 'error') {
        this.ex = this.newExchange('-', '-');
        this.ex.bytesIn = buf.length;
        this.buf = null;
        this.fatal(r.code, r.reason);
        return;
      }
      const head = r.head;
      this.buf = head.length === buf.length ? null : buf.subarray(head.length);
      this.ex = this.newExchange(head.method, head.target.length > 512 ? `${head.target.slice(0, 512)}...` : head.target);
      this.ex.bytesIn = head.length;
      this.startExchange(head);
    }
  }

  private newExchange(method: string, path: string): Exchange {
    return {
      start: performance.now(),
      client: null,
      method,
      path,
      operation: null,
      decision: 'deny',
      rule: null,
      reason: null,
      mode: 'enforce',
      status: 0,
      bytesIn: 0,
      bytesOut: 0,
      longLived: false,
      filter: null,
      held: null,
      heldSize: 0,
      stream: null,
      confirm: null,
      generation: this.ctx.generation,
    };
  }

  private startExchange(head: RequestHead): void {
    const ex = this.ex!;
    this.keepAlive = head.keepAlive && !this.draining;
    this.headRequest = head.method === 'HEAD';
    this.requestDone = false;
    this.responseDone = false;
    const hasBody = head.chunked || (head.contentLength !== null && head.contentLength > 0);
    const contentTypes: string[] = [];
    let authorization: string | undefined;
    let authorizations = 0;
    for (const [name, value] of head.headers) {
      if (name.length === 12 && name.toLowerCase() === 'content-type') contentTypes.push(value);
      else if (name.length === 13 && name.toLowerCase() === 'authorization') {
        authorization = value;
        authorizations++;
      }
    }
    const who = authorizations > 1 ? TWO_CREDENTIALS : this.identity.identify(authorization);
    if (isRefusal(who)) {
      this.deny(head, hasBody, refusal(who.status, `${head.method} request`, who.reason, who.code, null));
      return;
    }
    ex.client = who.client;
    const policy = this.ctx.policies.get(who.policy)!;
    this.policy = policy;
    ex.mode = this.ctx.modeOf?.(who.policy) ?? 'enforce';

    const facts = { method: head.method, target: head.target, upgrade: head.upgrade, hasBody, contentTypes };
    const a = ex.mode === 'audit' ? auditAdmit(facts, policy, this.ctx.minApiVersion) : admit(facts, policy, this.ctx.minApiVersion);
    if (!a.allowed) {
      if (a.operation !== null) ex.operation = a.operation;
      if (a.target !== null) ex.path = a.target;
      this.deny(head, hasBody, a);
      return;
    }
    const m = a.match;
    const op = m.op;
    ex.path = m.target;
    ex.operation = op.id;
    ex.decision = 'allow';
    ex.rule = a.rule;
    ex.longLived = LONG_LIVED.has(op.id);
    const wouldDeny = 'wouldDeny' in a ? (a.wouldDeny as Refusal | null) : null;
    if (wouldDeny !== null) this.wouldDeny(wouldDeny);
    if (!a.inspect) {
      this.forward(head, m, null);
      return;
    }
    this.pending = { head, match: m };
    if (op.body === 'json' && hasBody) {
      if (head.contentLength !== null && head.contentLength > this.ctx.maxBodyBytes) {
        this.sendRefusal(this.tooLarge(m));
        return;
      }
      const decoder = head.chunked ? new ChunkedDecoder((d) => this.collect(d)) : null;
      this.body = { kind: 'collect', chunks: [], size: 0, remaining: head.contentLength ?? 0, decoder };
      this.phase = Phase.Body;
      return;
    }
    void this.inspect(null);
  }

  private wouldDeny(r: Refusal): void {
    this.ex!.decision = 'would_deny';
    this.ex!.rule = r.rule;
    this.ex!.reason = r.message;
  }

  private tooLarge(m: RouteMatch): Refusal {
    return refusal(413, m.op.id, `the body is larger than ${this.ctx.maxBodyBytes} bytes`, 'PC_BODY_TOO_LARGE', m);
  }

  /**
   * Sends the request on. `replacement` is the checked, re-serialised body of an inspected
   * request; otherwise the body (if any) streams through re-framed.
   */
  private forward(head: RequestHead, m: RouteMatch, replacement: Buffer | null, target = m.target): void {
    const op = m.op;
    const up = this.upstream();
    this.tracker.expect(head.method === 'HEAD', op.upgrade === 'tcp');
    const upgrade = head.upgrade === null ? null : op.upgrade;
    if (replacement !== null) {
      up.cork();
      up.write(forwardHead(head, target, { contentLength: replacement.length, chunked: false, upgrade }), 'latin1');
      this.writeUp(replacement);
      up.uncork();
      this.requestDone = true;
      this.phase = Phase.Waiting;
      return;
    }
    up.write(forwardHead(head, target, { contentLength: head.contentLength, chunked: head.chunked, upgrade }), 'latin1');
    if (head.chunked) {
      this.body = { kind: 'chunked', decoder: new ChunkedDecoder((d) => this.forwardChunk(d)) };
      this.phase = Phase.Body;
    } else if (head.contentLength !== null && head.contentLength > 0) {
      this.body = { kind: 'length', remaining: head.contentLength, discard: false };
      this.phase = Phase.Body;
    } else {
      this.requestDone = true;
      this.phase = Phase.Waiting;
    }
  }

  private collect(d: Buffer): void {
    const body = this.body;
    if (body === null || body.kind !== 'collect') return;
    body.size += d.length;
    if (body.size <= this.ctx.maxBodyBytes) body.chunks.push(d);
  }

  /** Holds the client while the policy's inspector looks at an allowed request. */
  private async inspect(raw: Buffer | null): Promise<void> {
    const pending = this.pending!;
    const { head, match: m } = pending;
    this.phase = Phase.Inspecting;
    this.pauseClient(PAUSE_INSPECT);
    const result = await inspect(this.policy!, head.method, m, raw, this.ex!.client!, this.ctx.lookup);
    if (this.closed || this.pending !== pending) return;
    this.pending = null;
    this.resumeClient(PAUSE_INSPECT);
    if (this.ex!.mode === 'audit' && (result.allowed || auditable(result))) {
      // Audit changes nothing it forwards: the request goes on as sent, its answer untouched.
      if (!result.allowed) this.wouldDeny(result);
      this.forward(head, m, raw);
      this.pump();
      return;
    }
    if (!result.allowed) {
      // A streamed body (a build context) was never read: the connection cannot go on.
      const bodyUnread = raw === null && (head.chunked || (head.contentLength ?? 0) > 0);
      if (bodyUnread) {
        this.sendRefusal(result);
        return;
      }
      this.requestDone = true;
      this.deny(head, false, result);
      return;
    }
    if (result.target !== m.target) this.ex!.path = result.target;
    if (result.response !== null) {
      this.ex!.filter = result.response;
      this.ex!.held = [];
    }
    if (result.confirm !== null) {
      this.ex!.confirm = result.confirm;
      this.ex!.held = [];
    }
    if (result.events !== null) {
      this.ex!.stream = new JsonStreamFilter({
        filter: result.events,
        schema: streamSchemaFor(m.op.id),
        headRequest: this.headRequest,
        sink: (out) => this.writeClient(out),
      });
    }
    this.forward(head, m, result.body, result.target);
    this.pump();
  }

  private forwardChunk(d: Buffer): void {
    const up = this.up;
    if (up === null) return;
    // One writev per chunk rather than three small writes.
    up.cork();
    up.write(chunkHeader(d.length), 'latin1');
    up.write(d);
    this.writeUp(CHUNK_END);
    up.uncork();
  }

  private consumeBody(buf: Buffer): void {
    const body = this.body!;
    let used: number;
    if (body.kind === 'collect') {
      if (body.decoder !== null) {
        used = body.decoder.feed(buf);
        if (used < 0) {
          this.sendFinal(400, `portcullis: request denied: malformed chunked body: ${body.decoder.error} (rule PC_BAD_FRAMING)`, 'PC_BAD_FRAMING');
          return;
        }
      } else {
        used = Math.min(body.remaining, buf.length);
        this.collect(used === buf.length ? buf : buf.subarray(0, used));
        body.remaining -= used;
      }
      this.ex!.bytesIn += used;
      this.buf = used === buf.length ? null : buf.subarray(used);
      if (body.size > this.ctx.maxBodyBytes) {
        this.sendRefusal(this.tooLarge(this.pending!.match));
        return;
      }
      const complete = body.decoder !== null ? body.decoder.done : body.remaining === 0;
      if (!complete) return;
      this.body = null;
      void this.inspect(Buffer.concat(body.chunks, body.size));
      return;
    }
    if (body.kind === 'length') {
      used = Math.min(body.remaining, buf.length);
      if (!body.discard) this.writeUp(used === buf.length ? buf : buf.subarray(0, used));
      body.remaining -= used;
    } else {
      used = body.decoder.feed(buf);
      if (used < 0) {
        // The head already went upstream; a truncated body there must not be completed
        // by anything else, so both connections go.
        this.ex!.status = 400;
        this.destroy();
        return;
      }
    }
    this.ex!.bytesIn += used;
    this.buf = used === buf.length ? null : buf.subarray(used);
    const finished = body.kind === 'length' ? body.remaining === 0 : body.decoder.done;
    if (!finished) return;
    if (body.kind === 'chunked') this.writeUp(LAST_CHUNK);
    this.body = null;
    this.requestDone = true;
    if (this.responseDone) this.finishExchange();
    else this.phase = Phase.Waiting;
  }

  /**
   * Answers a refused request. A small declared body is read and dropped so the
   * connection survives; anything else closes it, since skipping an unread body means
   * trusting framing we chose not to interpret.
   */
  private deny(head: RequestHead, hasBody: boolean, r: Refusal): void {
    const ex = this.ex!;
    ex.rule = r.rule;
    ex.decision = 'deny';
    ex.reason = r.message;
    const discardable = !hasBody || (!head.chunked && head.contentLength! <= DISCARD_LIMIT);
    if (!discardable || !this.keepAlive) {
      this.sendRefusal(r);
      return;
    }
    ex.status = r.status;
    this.writeClient(errorResponse(r.status, r.message, false, this.headRequest));
    this.responseDone = true;
    if (hasBody) {
      this.body = { kind: 'length', remaining: head.contentLength!, discard: true };
      this.phase = Phase.Body;
    } else {
      this.requestDone = true;
      this.finishExchange();
    }
  }

  private sendRefusal(r: Refusal): void {
    this.sendFinal(r.status, r.message, r.rule);
  }

  /** Sends a last response and closes the connection once it is written. */
  private sendFinal(status: number, message: string, rule?: string): void {
    if (this.ex !== null) {
      this.ex.status = status;
      if (rule !== undefined) {
        this.ex.rule = rule;
        this.ex.decision = 'deny';
        this.ex.reason = message;
      }
    }
    this.pending = null;
    this.phase = Phase.Closing;
    this.buf = null;
    const payload = errorResponse(status, message, true, this.headRequest);
    if (this.ex !== null) this.ex.bytesOut += Buffer.byteLength(payload);
    this.client.end(payload);
    this.up?.destroy();
    this.up = null;
    // A client that keeps sending after our answer is not owed our patience.
    setTimeout(() => this.client.destroy(), LINGER_MS).unref();
  }

  private fatal(code: ErrorCode, reason: string): void {
    this.sendFinal(Errors[code].status, `portcullis: request denied: ${reason} (rule ${code})`, code);
  }

  private finishExchange(): void {
    this.record();
    this.resumeClient(PAUSE_PIPELINE);
    if (this.tracker.closes || !this.keepAlive) {
      this.up?.end();
      this.up = null;
    }
    if (!this.keepAlive || this.draining) {
      this.phase = Phase.Closing;
      this.buf = null;
      this.client.end();
      return;
    }
    this.phase = Phase.Idle;
    this.pump();
  }

  private record(): void {
    const ex = this.ex!;
    this.ex = null;
    if (ex.status === 0) ex.status = this.tracker.status;
    this.ctx.log.record({
      listener: this.ctx.listener,
      remote: this.remote,
      client: ex.client,
      method: ex.method,
      path: ex.path,
      operation: ex.operation,
      decision: ex.decision,
      rule: ex.rule,
      status: ex.status,
      duration_ms: Math.round((performance.now() - ex.start) * 1000) / 1000,
      bytes_in: ex.bytesIn,
      bytes_out: ex.bytesOut,
      ...(ex.errno !== undefined ? { errno: ex.errno } : {}),
      ...(ex.generation !== undefined ? { generation: ex.generation.id, config_sha256: ex.generation.sha256 } : {}),
      ...(ex.reason !== null ? { reason: ex.reason } : {}),
      mode: ex.mode,
    });
  }

  // ---- upstream side -----------------------------------------------------------------

  private upstream(): net.Socket {
    if (this.up !== null && !this.up.destroyed && this.up.writable) return this.up;
    // Per socket: a socket we let go of may still read into its buffer, which is then no one's.
    let readBuf: Buffer | null = null;
    const up: net.Socket = this.ctx.dial({
      buffer: () => (readBuf ??= newReadBuffer()),
      callback: (n, buf) => {
        if (up !== this.up) return;
        this.onUpData(buf.subarray(0, n));
        // A write the kernel did not take whole still points into the buffer: the next read gets a new one.
        if (this.client.writableLength !== 0) readBuf = null;
      },
    });
    this.up = up;
    this.upPaused = 0;
    // Only a TLS upstream, which cannot read into our buffers, emits 'data'.
    up.on('data', (d: Buffer) => {
      reclaimAfter(d.length);
      if (up === this.up) this.onUpData(d);
    });
    up.on('end', () => {
      if (up === this.up) this.onUpEnd();
    });
    up.on('drain', () => {
      if (up === this.up) this.resumeClient(PAUSE_BACKPRESSURE);
    });
    up.on('error', (err: NodeJS.ErrnoException) => {
      if (up === this.up) this.onUpFailure(err.code ?? err.message);
      up.destroy();
    });
    up.on('close', (hadError: boolean) => {
      if (up !== this.up) return;
      if (this.phase === Phase.Raw && !hadError) {
        // The daemon finished the stream; what it sent still has to reach the client.
        this.up = null;
        this.client.end();
        return;
      }
      this.onUpFailure('connection closed');
    });
    return up;
  }

  private onUpData(d: Buffer): void {
    if (this.phase === Phase.Raw) {
      this.writeClient(d);
      return;
    }
    if (this.ex === null || this.responseDone) {
      // dockerd never speaks unasked; bytes now mean we lost track of its framing.
      this.destroy();
      return;
    }
    const ev = this.tracker.feed(d);
    if (this.ex.held !== null) {
      this.holdResponse(d, ev);
      return;
    }
    if (this.ex.stream !== null) {
      this.streamResponse(d, ev);
      return;
    }
    switch (ev.kind) {
      case 'more':
        this.writeClient(d);
        return;
      case 'error':
        this.destroy();
        return;
      case 'hijack':
        this.writeClient(d);
        this.enterRaw();
        return;
      case 'complete':
        if (ev.end !== d.length) {
          this.destroy();
          return;
        }
        this.writeClient(d);
        this.responseDone = true;
        if (this.requestDone) {
          this.finishExchange();
        } else {
          // dockerd answered before reading the whole body (an early error): the rest of
          // the body has nowhere to go, so the connection ends with this response.
          this.keepAlive = false;
          this.body = null;
          this.finishExchange();
        }
        return;
    }
  }

  /**
   * A filtered answer is held until complete, then rewritten and sent with its own framing.
   * `d` may be a view into the reusable read buffer, so what is held is a copy.
   */
  private holdResponse(d: Buffer, ev: TrackEvent): void {
    const ex = this.ex!;
    if (ev.kind === 'error' || ev.kind === 'hijack' || (ev.kind === 'complete' && ev.end !== d.length)) {
      this.destroy();
      return;
    }
    ex.heldSize += d.length;
    if (ex.heldSize > MAX_FILTERED_BYTES) {
      this.sendFinal(502, `portcullis: ${ex.operation} failed: the daemon's answer is too large to filter (rule PC_INSPECT_FAILED)`, 'PC_INSPECT_FAILED');
      return;
    }
    ex.held!.push(Buffer.from(d));
    if (ev.kind !== 'complete') return;
    const held = Buffer.concat(ex.held!, ex.heldSize);
    ex.held = null;
    if (ex.confirm !== null) {
      void confirmAnswer(held, ex.confirm).then((c) => this.sendConfirmed(held, c));
      return;
    }
    this.sendHeld(held);
  }

  /** The confirm's verdict on a held answer: the answer goes on, or a refusal instead (and nothing once the client left). */
  private sendConfirmed(held: Buffer, c: Confirmed): void {
    if (this.closed) {
      this.up?.destroy();
      this.up = null;
      return;
    }
    if (c.ok) {
      this.sendHeld(held);
      return;
    }
    const ex = this.ex!;
    ex.status = c.status;
    ex.rule = c.rule;
    ex.decision = 'deny';
    this.finishHeld(Buffer.from(errorResponse(c.status, `portcullis: ${ex.operation} denied: ${c.reason} (rule ${c.rule})`, false, this.headRequest), 'utf8'));
  }

  private sendHeld(held: Buffer): void {
    const ex = this.ex!;
    const rewritten = ex.filter === null ? held : rewriteJsonResponse(held, ex.filter, this.headRequest);
    if (rewritten === null) {
      this.sendFinal(502, `portcullis: ${ex.operation} failed: the daemon's answer could not be filtered (rule PC_INSPECT_FAILED)`, 'PC_INSPECT_FAILED');
      return;
    }
    this.finishHeld(rewritten);
  }

  private finishHeld(rewritten: Buffer): void {
    this.writeClient(rewritten);
    this.responseDone = true;
    if (!this.requestDone) {
      this.keepAlive = false;
      this.body = null;
    }
    this.finishExchange();
  }

  /**
   * A stream filtered as it passes: each value goes to the client once complete and filtered,
   * through writeClient, so a client that stops reading still pauses the daemon.
   */
  private streamResponse(d: Buffer, ev: TrackEvent): void {
    const stream = this.ex!.stream!;
    if (ev.kind === 'error' || ev.kind === 'hijack' || (ev.kind === 'complete' && ev.end !== d.length)) {
      this.destroy();
      return;
    }
    if (!stream.feed(d)) {
      this.streamFailed();
      return;
    }
    if (ev.kind !== 'complete') return;
    if (!stream.done) {
      this.destroy();
      return;
    }
    this.responseDone = true;
    // A Content-Length answer re-framed as close-delimited (HTTP/1.0) ends only with the connection.
    if (stream.closes) this.keepAlive = false;
    if (!this.requestDone) {
      this.keepAlive = false;
      this.body = null;
    }
    this.finishExchange();
  }

  /**
   * A value that cannot be filtered ends the stream. The head is out, so no error answer can
   * follow; cutting the connection is the only way the client never gets the value unfiltered.
   */
  private streamFailed(): void {
    this.ex!.rule = 'PC_INSPECT_FAILED';
    this.ex!.decision = 'deny';
    this.destroy();
  }

  private enterRaw(): void {
    this.phase = Phase.Raw;
    this.ex!.status = this.tracker.status;
    this.ex!.longLived = true;
    this.body = null;
    this.resumeClient(PAUSE_PIPELINE);
    const buf = this.buf;
    this.buf = null;
    if (buf !== null) this.writeUp(buf);
    if (this.clientEnded) this.up!.end();
  }

  private onUpEnd(): void {
    if (this.phase === Phase.Raw) {
      this.client.end();
      return;
    }
    if (this.ex !== null && this.ex.held !== null) {
      // A filtered answer must be whole to be rewritten; one cut by a close is not passed on.
      this.up?.destroy();
      this.up = null;
      this.sendFinal(502, `portcullis: ${this.ex.operation} failed: the daemon closed the connection mid-answer (rule PC_INSPECT_FAILED)`, 'PC_INSPECT_FAILED');
      return;
    }
    if (this.ex !== null && this.tracker.untilClose) {
      if (this.ex.stream !== null && !this.ex.stream.end()) {
        this.streamFailed();
        return;
      }
      // A close-delimited body ends here, and only a close can tell the client so.
      this.up?.destroy();
      this.up = null;
      this.keepAlive = false;
      this.responseDone = true;
      this.requestDone = true;
      this.finishExchange();
      return;
    }
    this.onUpFailure('connection closed by the daemon');
  }

  private onUpFailure(why: string): void {
    const up = this.up;
    this.up = null;
    up?.destroy();
    if (this.closed) return;
    if (this.phase === Phase.Raw) {
      this.client.destroy();
      return;
    }
    if (this.ex === null || this.responseDone) return; // idle keep-alive connection dropped
    if (this.ex.bytesOut === 0) {
      this.ex.errno = why;
      this.sendFinal(502, `portcullis: ${this.ex.operation ?? 'request'} failed: the Docker daemon is unreachable (${why}) (rule PC_UPSTREAM_UNAVAILABLE)`);
      return;
    }
    this.client.destroy();
  }

  // ---- flow control ------------------------------------------------------------------

  private writeClient(d: Buffer | string): void {
    if (this.ex !== null) this.ex.bytesOut += typeof d === 'string' ? Buffer.byteLength(d) : d.length;
    if (!this.client.write(d)) this.pauseUp(PAUSE_BACKPRESSURE);
  }

  private writeUp(d: Buffer | string): void {
    const up = this.up;
    if (up === null) return;
    if (!up.write(d)) this.pauseClient(PAUSE_BACKPRESSURE);
  }

  private pauseClient(bit: number): void {
    if (this.clientPaused === 0) this.client.pause();
    this.clientPaused |= bit;
  }

  private resumeClient(bit: number): void {
    if (this.clientPaused === 0) return;
    this.clientPaused &= ~bit;
    if (this.clientPaused === 0) this.client.resume();
  }

  private pauseUp(bit: number): void {
    if (this.upPaused === 0) this.up?.pause();
    this.upPaused |= bit;
  }

  private resumeUp(bit: number): void {
    if (this.upPaused === 0) return;
    this.upPaused &= ~bit;
    if (this.upPaused === 0) this.up?.resume();
  }
}

function newReadBuffer(): Buffer {
  reclaimAfter(READ_BUFFER);
  return Buffer.allocUnsafeSlow(READ_BUFFER);
}
