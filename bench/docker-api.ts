/** Small Engine API helpers over the daemon's unix socket, used to prepare and clean up the bench. */
import http from 'node:http';
import type { Readable } from 'node:stream';

export interface ApiResponse {
  status: number;
  body: string;
}

export function api(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
  opts: { stream?: Readable; contentType?: string; timeoutMs?: number } = {},
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    let payload: Buffer | undefined;
    if (body !== undefined) {
      payload = Buffer.from(JSON.stringify(body));
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    } else if (opts.stream) {
      headers['content-type'] = opts.contentType ?? 'application/octet-stream';
      headers['transfer-encoding'] = 'chunked';
    }
    const req = http.request({ socketPath, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`${method} ${path}: timeout`)));
    if (opts.stream) {
      opts.stream.on('error', (e) => req.destroy(e));
      opts.stream.pipe(req);
    } else {
      req.end(payload);
    }
  });
}

function check(r: ApiResponse, what: string, ok: number[] = [200, 201, 204]): ApiResponse {
  if (!ok.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  return r;
}

/** Run `fn` over `items` with at most `limit` in flight. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(workers);
  return out;
}

/** Create and start `n` `busybox:local sleep 100000` containers with no network. Returns their ids. */
export async function startSleepers(socketPath: string, n: number, label: string): Promise<string[]> {
  const ids: string[] = [];
  await pool(
    Array.from({ length: n }, (_, i) => i),
    6,
    async () => {
      const r = check(
        await api(socketPath, 'POST', '/containers/create', {
          Image: 'busybox:local',
          Cmd: ['sleep', '100000'],
          Labels: { [label]: '1' },
          HostConfig: { NetworkMode: 'none' },
        }),
        'create container',
      );
      const id = (JSON.parse(r.body) as { Id: string }).Id;
      ids.push(id);
      check(await api(socketPath, 'POST', `/containers/${id}/start`), 'start container', [204, 304]);
    },
  );
  return ids;
}

/**
 * Create (not start) `n` `busybox:local sleep 100000` containers with no network, all carrying `label`;
 * the first `extra.count` of them also carry the labels `extra.labels` (e.g. a Portcullis owner label).
 */
export async function createSleepers(
  socketPath: string,
  n: number,
  label: string,
  extra: { count: number; labels: Record<string, string> } = { count: 0, labels: {} },
): Promise<void> {
  await pool(
    Array.from({ length: n }, (_, i) => i),
    6,
    async (i) => {
      check(
        await api(socketPath, 'POST', '/containers/create', {
          Image: 'busybox:local',
          Cmd: ['sleep', '100000'],
          Labels: { [label]: '1', ...(i < extra.count ? extra.labels : {}) },
          HostConfig: { NetworkMode: 'none' },
        }),
        'create container',
      );
    },
  );
}

/** Force-remove every container carrying `label` (best effort). */
export async function removeLabelled(socketPath: string, label: string): Promise<number> {
  const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
  const r = await api(socketPath, 'GET', `/containers/json?all=1&filters=${filters}`);
  if (r.status !== 200) return 0;
  const list = JSON.parse(r.body) as Array<{ Id: string }>;
  await pool(list, 8, async (c) => {
    await api(socketPath, 'DELETE', `/containers/${c.Id}?force=1&v=1`).catch(() => undefined);
  });
  return list.length;
}

/** `docker import` a tar stream as `repo:tag`. */
export async function importImage(socketPath: string, tar: Readable, repo: string, tag: string): Promise<void> {
  const q = new URLSearchParams({ fromSrc: '-', repo, tag });
  const r = await api(socketPath, 'POST', `/images/create?${q}`, undefined, {
    stream: tar,
    contentType: 'application/x-tar',
  });
  check(r, 'import image');
  // the import reports errors inside the JSON progress stream with HTTP 200
  if (/"error"\s*:/.test(r.body)) throw new Error(`import image: ${r.body.slice(0, 300)}`);
}

export async function removeImage(socketPath: string, name: string): Promise<void> {
  await api(socketPath, 'DELETE', `/images/${encodeURIComponent(name)}?force=1`).catch(() => undefined);
}

export async function inspectImageSize(socketPath: string, name: string): Promise<number> {
  const r = check(await api(socketPath, 'GET', `/images/${encodeURIComponent(name)}/json`), 'inspect image');
  return (JSON.parse(r.body) as { Size: number }).Size;
}

export async function daemonVersion(socketPath: string): Promise<{ Version: string; ApiVersion: string }> {
  const r = check(await api(socketPath, 'GET', '/version'), 'version');
  return JSON.parse(r.body) as { Version: string; ApiVersion: string };
}
