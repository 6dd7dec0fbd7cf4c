import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { compilePolicies, PolicyError, tenancyOf } from '../policy/compile.js';
import type { CompiledPolicy } from '../policy/types.js';
import { AddressError, formatAddress, parseAddress, sameAddress, type Address } from './address.js';
import { ExpandError, expandEnv } from './expand.js';
import { TOKEN_PATTERN, tokenDigestHex } from '../identity/token.js';
import { pluginModeProblems } from '../plugin/support.js';
import { environmentConfig } from '../compat/config.js';
import { CompatError } from '../compat/variables.js';
import { fileSchema, type ClientConfig, type Config, type FileConfig, type ListenerConfig, type UpstreamTls } from './schema.js';

export type { ClientConfig, Config, ListenerConfig, ListenerTls, UpstreamTls } from './schema.js';

export interface LoadOptions {
  /** path of a YAML config file; mutually exclusive with `text` */
  file?: string;
  /** YAML config text; with neither `file` nor `text` the embedded default is used */
  text?: string;
  /** `--listen` addresses; when given they replace the file's listeners */
  listen?: readonly string[];
  /** `--upstream` address; replaces the configured or DOCKER_HOST upstream */
  upstream?: string;
  /** source of ${ENV} expansion and DOCKER_HOST; defaults to process.env */
  env?: NodeJS.ProcessEnv;
  /** load for authorization-plugin mode (docs/plugin.md): refuse what a plugin cannot enforce */
  plugin?: { anonymousClient?: string };
}

export interface LoadedConfig {
  /** the file path, or `<text>` / `<default>` when the config did not come from a file */
  source: string;
  config: Config;
  /** user and built-in policies, compiled and keyed by name */
  policies: Map<string, CompiledPolicy>;
  /** lower-case hex SHA-256 of the config text that was loaded, to tell which config decided a request */
  sha256: string;
}

export interface ConfigProblem {
  /** file path, `<text>`, `<default>`, or where a value outside the file came from (`--listen`, `DOCKER_HOST`) */
  source: string;
  /** 1-based; absent when the problem has no place in a file */
  line?: number;
  col?: number;
  /** dotted key path, e.g. `listeners[0].address`; empty for the document as a whole */
  key: string;
  message: string;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line === undefined ? p.source : `${p.source}:${p.line}:${p.col ?? 1}`;
  return p.key === '' ? `${where}: ${p.message}` : `${where}: ${p.key}: ${p.message}`;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

const DEFAULT_UPSTREAM: Address = { kind: 'unix', path: '/var/run/docker.sock' };

type Path = readonly PropertyKey[];

function keyPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/** Ties problems to places in one YAML document. */
class Source {
  readonly lines = new LineCounter();
  readonly doc: Document.Parsed;
  readonly problems: ConfigProblem[] = [];
  /** key paths whose value could not be expanded: the schema's complaints about them would only repeat the problem */
  private readonly unexpanded = new Set<string>();

  constructor(
    readonly name: string,
    text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false });
  }

  at(offset: number, path: Path, message: string): void {
    const { line, col } = this.lines.linePos(offset);
    this.problems.push({ source: this.name, line, col, key: keyPath(path), message });
  }

  /**
   * The offset of the node at `path`, or of the key itself when `onKey` (unknown keys are best
   * shown where the key is written). A path into something the file leaves out stops at the
   * deepest node that exists; `exact` tells whether the whole path was found.
   */
  locate(path: Path, onKey = false): { offset: number; exact: boolean } {
    let node: Node | null = this.doc.contents;
    let offset = node?.range?.[0] ?? 0;
    for (const [i, seg] of path.entries()) {
      if (isAlias(node)) node = node.resolve(this.doc) ?? null;
      let next: Node | null | undefined;
      let keyNode: Node | null | undefined;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        keyNode = pair?.key as Node | undefined;
        next = pair?.value as Node | null | undefined;
      } else if (isSeq(node) && typeof seg === 'number') {
        next = node.items[seg] as Node | undefined;
      }
      const last = i === path.length - 1;
      const target = last && onKey ? keyNode : (next ?? keyNode);
      if (!target?.range) return { offset, exact: false };
      offset = target.range[0];
      node = next ?? null;
    }
    return { offset, exact: true };
  }

  /**
   * The document as plain data for the schema: string scalars get ${ENV} expansion and every
   * other scalar becomes the text it was written as (see schema.ts for why).
   */
  toPlain(env: NodeJS.ProcessEnv): unknown {
    const resolving = new Set<Node>();
    const convert = (node: Node | null, path: PropertyKey[]): unknown => {
      if (node === null) return null;
      if (isAlias(node)) {
        const target = node.resolve(this.doc);
        if (!target || resolving.has(target)) {
          this.at(node.range?.[0] ?? 0, path, `alias *${node.source} cannot be resolved`);
          return null;
        }
        resolving.add(target);
        const value = convert(target, path);
        resolving.delete(target);
        return value;
      }
      if (isMap(node)) {
        const entries: [string, unknown][] = [];
        for (const pair of node.items) {
          const key = pair.key as Node | null;
          if (!isScalar(key) || key.value === null || typeof key.value === 'object') {
            this.at(key?.range?.[0] ?? node.range?.[0] ?? 0, path, 'keys must be plain strings');
            continue;
          }
          const name = String(key.value);
          entries.push([name, convert(pair.value as Node | null, [...path, name])]);
        }
        // fromEntries defines own properties, so a key such as __proto__ stays an ordinary (rejected) key.
        return Object.fromEntries(entries);
      }
      if (isSeq(node)) return node.items.map((item, i) => convert(item as Node | null, [...path, i]));
      if (node.value === null) return null;
      if (typeof node.value === 'string') {
        try {
          return expandEnv(node.value, env);
        } catch (error) {
          if (!(error instanceof ExpandError)) throw error;
          this.at(node.range?.[0] ?? 0, path, error.message);
          this.unexpanded.add(keyPath(path));
          return node.value;
        }
      }
      return node.source ?? String(node.value);
    };
    return convert(this.doc.contents, []);
  }

  issue(issue: z.core.$ZodIssue): void {
    if (this.unexpanded.has(keyPath(issue.path))) return;
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        this.at(this.locate(path, true).offset, path, 'unknown key');
      }
      return;
    }
    if (issue.code === 'invalid_key') {
      // The nested issue says what is wrong with the key; the outer one only that something is.
      this.at(this.locate(issue.path, true).offset, issue.path, issue.issues[0]?.message ?? issue.message);
      return;
    }
    const { offset, exact } = this.locate(issue.path);
    const missing = !exact && issue.code === 'invalid_type';
    this.at(offset, issue.path, missing ? 'is required' : issue.message);
  }
}

function readSource(opts: LoadOptions, env: NodeJS.ProcessEnv): { name: string; text: string } {
  if (opts.file !== undefined && opts.text !== undefined) throw new TypeError('loadConfig: give file or text, not both');
  if (opts.text !== undefined) return { name: '<text>', text: opts.text };
  if (opts.file === undefined) {
    try {
      return environmentConfig(env);
    } catch (error) {
      if (!(error instanceof CompatError)) throw error;
      throw new ConfigError(error.problems.map((message) => ({ source: '<environment>', key: '', message })));
    }
  }
  try {
    return { name: opts.file, text: readFileSync(opts.file, 'utf8') };
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError([{ source: opts.file, key: '', message: `cannot read the file (${why})` }]);
  }
}

function cliAddress(text: string, purpose: 'listen' | 'connect', origin: string, problems: ConfigProblem[]): Address | undefined {
  try {
    return parseAddress(text, purpose);
  } catch (error) {
    if (!(error instanceof AddressError)) throw error;
    problems.push({ source: origin, key: '', message: error.message });
    return undefined;
  }
}

/**
 * Reads, validates and compiles a configuration. Throws ConfigError listing every problem found,
 * each tied to the file, line and key it concerns.
 */
export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const { name, text } = readSource(opts, env);
  const src = new Source(name, text);
  for (const error of src.doc.errors) src.at(error.pos[0], [], error.message);
  if (src.problems.length > 0) throw new ConfigError(src.problems);

  const plain = src.toPlain(env);
  const parsed = fileSchema.safeParse(plain ?? {});
  if (!parsed.success) parsed.error.issues.forEach((issue) => src.issue(issue));
  if (src.problems.length > 0 || !parsed.success) throw new ConfigError(sortProblems(src.problems));

  const file: FileConfig = parsed.data;
  const flagProblems: ConfigProblem[] = [];
  const listeners = resolveListeners(file, opts.listen, flagProblems);
  if (listeners.length === 0 && flagProblems.length === 0) {
    src.at(src.locate([]).offset, ['listeners'], 'at least one listener is required (or pass --listen)');
  }

  const upstream = resolveUpstream(file, opts.upstream, env, flagProblems);
  if (upstream.tls && upstream.address?.kind === 'unix') {
    const message = `applies to tcp upstreams only, but the upstream (from ${upstream.origin}) is ${formatAddress(upstream.address)}`;
    src.at(src.locate(['upstream', 'tls']).offset, ['upstream', 'tls'], message);
  }
  listeners.forEach((l, i) => {
    // Typically DOCKER_HOST pointing at this very proxy: every request would loop back into it.
    if (!upstream.address || !sameAddress(l.address, upstream.address)) return;
    const message = `is also the upstream address (from ${upstream.origin}), which would make the proxy forward to itself`;
    if (opts.listen?.length) flagProblems.push({ source: '--listen', key: '', message: `${formatAddress(l.address)} ${message}` });
    else src.at(src.locate(['listeners', i, 'address']).offset, ['listeners', i, 'address'], message);
  });

  const admin = file.admin;
  const ephemeral = admin?.address.kind === 'tcp' && admin.address.port === 0;
  if (admin !== undefined && !ephemeral && listeners.some((l) => sameAddress(l.address, admin.address))) {
    src.at(src.locate(['admin', 'address']).offset, ['admin', 'address'], 'is also the address of a listener; the admin listener needs its own');
  }

  const clients = resolveClients(file, src);

  let policies = new Map<string, CompiledPolicy>();
  try {
    policies = compilePolicies(file.policies);
    checkPrefixedClients(file, listeners, src);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    src.at(src.locate(error.path).offset, error.path, error.message);
  }

  if (opts.plugin !== undefined && src.problems.length === 0) {
    const view = { listeners, clients, policies: file.policies, ...(file.defaultClient !== undefined ? { defaultClient: file.defaultClient } : {}) };
    for (const p of pluginModeProblems(view, opts.plugin.anonymousClient)) src.at(src.locate(p.path).offset, p.path, p.message);
  }
  const problems = [...sortProblems(src.problems), ...flagProblems];
  if (problems.length > 0 || !upstream.address) throw new ConfigError(problems);

  const config: Config = {
    listeners,
    upstream: upstream.tls ? { address: upstream.address, tls: upstream.tls } : { address: upstream.address },
    policies: file.policies,
    clients,
    ...(file.defaultClient !== undefined ? { defaultClient: file.defaultClient } : {}),
    limits: file.limits,
    log: file.log,
    ...(file.admin !== undefined ? { admin: file.admin } : {}),
    mode: file.mode,
  };
  return { source: name, config, policies, sha256: createHash('sha256').update(text).digest('hex') };
}

/** A client name that can prefix container, volume and network names, and whose prefix `<name>.` no other client's contains. */
const PREFIXABLE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/**
 * Clients of a policy with `tenancy.names: prefix` lend their names to the daemon's object names
 * (`<client>.<name>`): a "." or "@" in a client name would make one client's name space overlap
 * another's, or be a name dockerd refuses.
 */
function checkPrefixedClients(file: FileConfig, listeners: readonly ListenerConfig[], src: Source): void {
  const prefixes = (policy: string | undefined): boolean => policy !== undefined && tenancyOf(file.policies, policy)?.names === 'prefix';
  const message = (name: string): string =>
    `"${name}" cannot name a tenant whose object names are prefixed (tenancy.names: prefix): use letters, digits, "_" and "-" only`;
  file.clients.forEach((c, i) => {
    if (prefixes(c.policy) && !PREFIXABLE.test(c.name)) src.at(src.locate(['clients', i, 'name']).offset, ['clients', i, 'name'], message(c.name));
  });
  listeners.forEach((l, i) => {
    // Unrecognised clients of a listener with a policy go by the listener's name.
    if (prefixes(l.policy) && !PREFIXABLE.test(l.name)) src.at(src.locate(['listeners', i, 'name']).offset, ['listeners', i, 'name'], message(l.name));
  });
}

function resolveListeners(file: FileConfig, listen: readonly string[] | undefined, problems: ConfigProblem[]): ListenerConfig[] {
  const fileListeners = file.listeners ?? [];
  if (listen === undefined || listen.length === 0) return fileListeners;
  // The first listener's policy, even none: then clients recognise whoever connects, as they did there.
  const policy = fileListeners.length > 0 ? fileListeners[0]!.policy : 'read-only';
  const out: ListenerConfig[] = [];
  listen.forEach((text, i) => {
    const address = cliAddress(text, 'listen', '--listen', problems);
    if (address) out.push(policy === undefined ? { name: `cli-${i}`, address } : { name: `cli-${i}`, address, policy });
  });
  return out;
}

/**
 * Reads each tokenFile (trimmed, then digested like an inline token; the token is not kept) and
 * refuses two clients with the same token, which would make the token's client ambiguous.
 */
function resolveClients(file: FileConfig, src: Source): ClientConfig[] {
  const byDigest = new Map<string, string>();
  return file.clients.map((c, i) => {
    const { tokenFile, ...client }: { tokenFile?: string } & ClientConfig = c;
    if (tokenFile !== undefined) {
      const path = ['clients', i, 'tokenFile'];
      let text: string | undefined;
      try {
        text = readFileSync(tokenFile, 'utf8').trim();
      } catch (error) {
        const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        src.at(src.locate(path).offset, path, `cannot read ${tokenFile} (${why})`);
      }
      if (text !== undefined && !TOKEN_PATTERN.test(text)) {
        const what = text === '' ? 'is empty' : 'holds something other than one token of printable ASCII without spaces';
        src.at(src.locate(path).offset, path, `${tokenFile} ${what}`);
      } else if (text !== undefined) {
        client.tokenSha256 = tokenDigestHex(text);
      }
    }
    if (client.tokenSha256 !== undefined) {
      const other = byDigest.get(client.tokenSha256);
      if (other !== undefined) {
        const key = (['token', 'tokenFile', 'tokenHash'] as const).find((k) => src.locate(['clients', i, k]).exact);
        const path = ['clients', i, key ?? 'name'];
        src.at(src.locate(path).offset, path, `the same token as client "${other}"; each token must identify one client`);
      } else {
        byDigest.set(client.tokenSha256, client.name);
      }
    }
    return client;
  });
}

/** Precedence: --upstream, then the file, then DOCKER_HOST, then the local socket. */
function resolveUpstream(
  file: FileConfig,
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  problems: ConfigProblem[],
): { address: Address | undefined; origin: string; tls: UpstreamTls | undefined } {
  const tls = file.upstream?.tls;
  if (flag !== undefined) {
    const address = cliAddress(flag, 'connect', '--upstream', problems);
    // TLS settings written for the file's upstream are meaningless for a unix socket given instead.
    return { address, origin: '--upstream', tls: address?.kind === 'tcp' ? tls : undefined };
  }
  if (file.upstream?.address) return { address: file.upstream.address, origin: 'upstream.address', tls };
  const dockerHost = env['DOCKER_HOST'];
  if (dockerHost) return { address: cliAddress(dockerHost, 'connect', 'DOCKER_HOST', problems), origin: 'DOCKER_HOST', tls };
  return { address: DEFAULT_UPSTREAM, origin: 'the default', tls };
}

function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}
