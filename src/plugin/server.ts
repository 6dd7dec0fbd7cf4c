import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import type { DecisionLog } from '../log/decision-log.js';
import type { Logger } from '../log/logger.js';
import type { Authorizer } from './authorizer.js';
import { ACTIVATE_PATH, AUTHZ_REQUEST_PATH, AUTHZ_RESPONSE_PATH, parseAuthzCall, PLUGIN_CONTENT_TYPE, type AuthzAnswer } from './protocol.js';

/**
 * The docker.authz/1.0 endpoint: a small HTTP server on a unix socket where dockerd discovers
 * plugins (`<dir>/<name>.sock`). dockerd calls it once per API request (AuthZReq) and once per
 * answer (AuthZRes). Anything the plugin cannot answer is an error reply, which dockerd turns
 * into a refused request: the plugin fails closed, and so does dockerd while it is unreachable.
 */

/** An AuthZReq carries a body below 1 MiB, base64-encoded, plus headers; AuthZRes carries an answer. */
const MAX_CALL_BYTES = 4 * 1024 * 1024;

export interface PluginServerOptions {
  readonly name: string;
  readonly socketDir: string;
  readonly authorizer: Authorizer;
  readonly log: DecisionLog;
  readonly logger: Logger;
}

export interface RunningPlugin {
  readonly socket: string;
  close(): Promise<void>;
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': PLUGIN_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readCall(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_CALL_BYTES) {
        req.destroy();
        reject(new Error(`the call is larger than ${MAX_CALL_BYTES} bytes`));
        return;
      }
      chunks.push(d);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

/** Removes a socket left behind by a plugin that died; refuses to remove anything else. */
function clearStale(path: string): void {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket`);
  unlinkSync(path);
}

export async function startPluginServer(opts: PluginServerOptions): Promise<RunningPlugin> {
  const socket = join(opts.socketDir, `${opts.name}.sock`);
  mkdirSync(opts.socketDir, { recursive: true, mode: 0o755 });
  clearStale(socket);
  const listener = `plugin:${opts.name}`;

  const authorize = async (raw: Buffer): Promise<AuthzAnswer> => {
    const started = performance.now();
    const call = parseAuthzCall(raw);
    const d = await opts.authorizer.request(call);
    opts.log.record({
      listener,
      remote: call.user === '' ? 'local' : `tls:${call.user}`,
      client: d.client,
      method: call.method,
      path: d.path,
      operation: d.operation,
      decision: d.allowed ? 'allow' : 'deny',
      rule: d.rule,
      status: d.allowed ? 200 : 403,
      duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
      bytes_in: call.body.length,
      bytes_out: 0,
    });
    return d.allowed ? { Allow: true } : { Allow: false, Msg: d.message ?? 'portcullis: denied' };
  };

  const server = http.createServer((req, res) => {
    if (req.method !== 'POST') {
      req.resume();
      reply(res, 405, { Err: `${req.method ?? ''} is not a plugin call` });
      return;
    }
    switch (req.url) {
      case ACTIVATE_PATH:
        req.resume();
        reply(res, 200, { Implements: ['authz'] });
        return;
      case AUTHZ_RESPONSE_PATH:
        // Nothing the policies a plugin accepts can decide needs the answer (support.ts refuses
        // the features that would): allow without buffering what may be a large answer.
        req.resume();
        req.on('end', () => reply(res, 200, { Allow: true }));
        return;
      case AUTHZ_REQUEST_PATH:
        readCall(req)
          .then(authorize)
          .then(
            (answer) => reply(res, 200, answer),
            (error: unknown) => {
              opts.logger.error({ error: String(error) }, 'authorization call failed');
              // dockerd reports "plugin <name> failed with error: <Err>" and refuses the request.
              if (!res.headersSent) reply(res, 500, { Err: `portcullis: ${(error as Error).message}` });
            },
          );
        return;
      default:
        req.resume();
        reply(res, 404, { Err: `unknown plugin call ${req.url ?? ''}` });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(socket, 0o660);
  return {
    socket,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        try {
          unlinkSync(socket);
        } catch {
          // already gone
        }
      }),
  };
}
