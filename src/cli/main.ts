#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AddressError, parseAddress, type Address } from '../config/address.js';
import { ConfigError, loadConfig, type LoadedConfig } from '../config/load.js';
import { checkCommand } from './check.js';
import { healthcheck, reachableAddress } from './healthcheck.js';

const USAGE = `\
Usage: portcullis <command> [options]

A policy-enforcing proxy for the Docker Engine API.

Commands:
  serve         run the proxy
  check         validate a config file
  healthcheck   ask a running proxy for GET /_ping
  explain       tell whether a request would be allowed, and by which rule
  certs         create a CA, server and client certificates for mutual-TLS listeners
  plugin        run as a Docker authorization plugin: the same policy on dockerd's own socket
  config print  print the config in effect as YAML (from --config, or from the environment)

Options:
  --version     print the version
  -h, --help    print this help, or a command's help after the command

Run "portcullis <command> --help" for the options of a command.
`;

const SERVE_USAGE = `\
Usage: portcullis serve [--config FILE] [--listen ADDR]... [--upstream ADDR]

Run the proxy. Without --config, a built-in config listens on tcp://127.0.0.1:2375
with the read-only policy.

Options:
  --config FILE     YAML config file
  --listen ADDR     listen on ADDR instead of the config's listeners (repeatable);
                    ADDR is tcp://HOST:PORT or unix:///PATH
  --upstream ADDR   Docker daemon to forward to (default: the config's upstream,
                    else DOCKER_HOST, else unix:///var/run/docker.sock)
  -h, --help        print this help
`;

const CHECK_USAGE = `\
Usage: portcullis check --config FILE [--mode proxy|plugin] [--anonymous-client NAME]

Validate FILE the way serve would load it. Prints "ok: FILE" and exits 0, or lists
every problem as FILE:LINE:COL: KEY: MESSAGE on stderr and exits 1.

Options:
  --config FILE   YAML config file
  --mode MODE     proxy (default), or plugin: also refuse the policy features an
                  authorization plugin cannot enforce (docs/plugin.md)
  --anonymous-client NAME
                  plugin mode: the client of callers without a certificate
  -h, --help      print this help
`;

const HEALTHCHECK_USAGE = `\
Usage: portcullis healthcheck [--config FILE] [--address ADDR] [--timeout MS]

Send GET /_ping to the first listener of the config (or to ADDR); when the config has an
admin listener, send GET /readyz there instead. Exits 0 when the answer is 200, else
prints why and exits 1.

Options:
  --config FILE    YAML config file (default: the built-in config)
  --address ADDR   address to ask instead, tcp://HOST:PORT or unix:///PATH
  --timeout MS     give up after MS milliseconds (default: 3000)
  -h, --help       print this help
`;

const EXPLAIN_USAGE = `\
Usage: portcullis explain [--config FILE] [--client NAME | --listener NAME] [--body FILE] [--json] METHOD TARGET

Decide the request METHOD TARGET (e.g. POST /v1.41/containers/create) the way serve
would for the client NAME, or for whoever connects to the listener NAME without other
credentials (default: the first listener), without contacting the daemon. --body FILE (or - for stdin) gives the JSON body to inspect.
Prints the operation, the decision and the deciding rule; exits 0 when allowed,
3 when denied, 1 when the config is invalid.

Options:
  --config FILE     YAML config file (default: the built-in config)
  --client NAME     explain for this client
  --listener NAME   explain for anonymous clients of this listener
  --body FILE       request body (JSON), - for stdin
  --json            print the explanation as JSON
  -h, --help        print this help
`;

const CERTS_USAGE = `\
Usage: portcullis certs init --dir DIR [--san NAME_OR_IP]... [--days N] [--ca-days N] [--force]
       portcullis certs client NAME --dir DIR [--days N] [--force]

init writes a new private CA and a server certificate signed by it:
  DIR/ca.pem  DIR/ca-key.pem  DIR/server.pem  DIR/server-key.pem
The server certificate (CN portcullis) names localhost, 127.0.0.1 and ::1, plus every
--san (a DNS name or an IP address clients use to reach the proxy). Use them in a listener:
  tls: { cert: DIR/server.pem, key: DIR/server-key.pem, clientCA: DIR/ca.pem }

client writes a client certificate with CN NAME (match it with clients: - cert: {cn: NAME}):
  DIR/clients/NAME/ca.pem  DIR/clients/NAME/cert.pem  DIR/clients/NAME/key.pem
which is the layout the docker CLI expects:
  DOCKER_CERT_PATH=DIR/clients/NAME DOCKER_TLS_VERIFY=1 DOCKER_HOST=tcp://HOST:PORT docker ps

Keys are ECDSA P-256, written with mode 0600. Existing files are never overwritten
without --force.

Options:
  --dir DIR          directory of the CA (created if missing)
  --san NAME_OR_IP   extra server name (init; repeatable)
  --days N           validity of the server or client certificate (default: 365)
  --ca-days N        validity of the CA (init; default: 3650)
  --not-after DATE   end of validity as an ISO 8601 date instead of --days; a date in the
                     past gives an expired certificate, for testing
  --force            replace existing files
  -h, --help         print this help
`;

const PLUGIN_USAGE = `\
Usage: portcullis plugin --config FILE [--name NAME] [--socket-dir DIR] [--anonymous-client NAME]

Serve the Docker authorization plugin protocol (docker.authz/1.0) on DIR/NAME.sock, so that
dockerd started with --authorization-plugin=NAME asks Portcullis about every request on its
own sockets. Decisions use the config's policies exactly as serve does. Callers with a TLS
client certificate (dockerd --tlsverify) are matched against clients with cert:; everyone
else is the anonymous client: by default whoever an unrecognised caller of the config's first
listener would be. Policies that need requests or answers rewritten (tenancy, mutate, redact,
visibility, images) are refused. Look-ups go to the config's upstream, the daemon itself.
See docs/plugin.md.

Options:
  --config FILE            YAML config file
  --name NAME              plugin name, as given to --authorization-plugin (default: portcullis)
  --socket-dir DIR         where dockerd discovers plugins (default: /run/docker/plugins)
  --anonymous-client NAME  the client of callers without a certificate
  -h, --help               print this help
`;

const CONFIG_USAGE = `\
Usage: portcullis config print [--config FILE]

Print the config serve would run as YAML, normalised: defaults filled in, tokens as
their sha256 digests. Without --config that is the config built from the environment
(Tecnativa / linuxserver / docker-proxy-filter variables, see docs/compat.md), which
is how to move from environment variables to a file.

Options:
  --config FILE   YAML config file
  -h, --help      print this help
`;

const help = { type: 'boolean', short: 'h' } as const;

/** A mistake in how the command was invoked: exit status 2, with the usage that applies. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
  }
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, usage: string) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message, usage);
  }
}

function version(): string {
  // Two levels up from both src/cli/main.ts and dist/cli/main.js.
  const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const v = (pkg as { version?: unknown }).version;
  return typeof v === 'string' ? v : 'unknown';
}

/** Loads the config, or prints its problems and returns undefined. */
function load(opts: Parameters<typeof loadConfig>[0]): LoadedConfig | undefined {
  try {
    return loadConfig(opts);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return undefined;
  }
}

async function serve(args: string[]): Promise<number> {
  const v = parse(args, { config: { type: 'string' }, listen: { type: 'string', multiple: true }, upstream: { type: 'string' }, help }, SERVE_USAGE);
  if (v.help) {
    process.stdout.write(SERVE_USAGE);
    return 0;
  }
  const options = { file: v.config, listen: v.listen, upstream: v.upstream };
  const loaded = load(options);
  if (!loaded) return 1;
  // Loaded lazily so that check, healthcheck and --version do not pay for the proxy's modules:
  // a container healthcheck runs the binary every few seconds.
  const { serveCommand } = await import('./serve.js');
  await serveCommand(loaded, options, version());
  return 0;
}

function check(args: string[]): number {
  const v = parse(args, { config: { type: 'string' }, mode: { type: 'string' }, 'anonymous-client': { type: 'string' }, help }, CHECK_USAGE);
  if (v.help) {
    process.stdout.write(CHECK_USAGE);
    return 0;
  }
  if (v.config === undefined) throw new UsageError('check needs --config FILE', CHECK_USAGE);
  const mode = v.mode ?? 'proxy';
  if (mode !== 'proxy' && mode !== 'plugin') throw new UsageError(`--mode must be proxy or plugin, got "${mode}"`, CHECK_USAGE);
  if (mode === 'proxy' && v['anonymous-client'] !== undefined) throw new UsageError('--anonymous-client applies to --mode plugin only', CHECK_USAGE);
  const anonymous = v['anonymous-client'];
  return checkCommand(v.config, process.env, mode === 'plugin' ? (anonymous !== undefined ? { anonymousClient: anonymous } : {}) : undefined);
}

const PLUGIN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

async function plugin(args: string[]): Promise<number> {
  const v = parse(
    args,
    { config: { type: 'string' }, name: { type: 'string' }, 'socket-dir': { type: 'string' }, 'anonymous-client': { type: 'string' }, help },
    PLUGIN_USAGE,
  );
  if (v.help) {
    process.stdout.write(PLUGIN_USAGE);
    return 0;
  }
  if (v.config === undefined) throw new UsageError('plugin needs --config FILE', PLUGIN_USAGE);
  const name = v.name ?? 'portcullis';
  // dockerd finds the plugin by file name, and a "/" would put the socket elsewhere.
  if (!PLUGIN_NAME.test(name)) throw new UsageError(`--name must be letters, digits, "_", "." and "-", got "${name}"`, PLUGIN_USAGE);
  const anonymous = v['anonymous-client'];
  const loaded = load({ file: v.config, plugin: anonymous !== undefined ? { anonymousClient: anonymous } : {} });
  if (!loaded) return 1;
  const { pluginCommand } = await import('./plugin.js');
  await pluginCommand(loaded, { name, socketDir: v['socket-dir'] ?? '/run/docker/plugins', ...(anonymous !== undefined ? { anonymousClient: anonymous } : {}) });
  return 0;
}

async function health(args: string[]): Promise<number> {
  const v = parse(args, { config: { type: 'string' }, address: { type: 'string' }, timeout: { type: 'string' }, help }, HEALTHCHECK_USAGE);
  if (v.help) {
    process.stdout.write(HEALTHCHECK_USAGE);
    return 0;
  }
  const timeoutText = v.timeout ?? '3000';
  if (!/^[1-9][0-9]*$/.test(timeoutText)) {
    throw new UsageError(`--timeout must be a positive number of milliseconds, got "${timeoutText}"`, HEALTHCHECK_USAGE);
  }
  const timeout = Number(timeoutText);
  let address: Address;
  let path = '/_ping';
  if (v.address !== undefined) {
    try {
      address = parseAddress(v.address, 'connect');
    } catch (error) {
      if (!(error instanceof AddressError)) throw error;
      throw new UsageError(`--address ${error.message}`, HEALTHCHECK_USAGE);
    }
  } else {
    const loaded = load({ file: v.config });
    if (!loaded) return 1;
    // The admin listener asks for no credentials, which token- and mTLS-gated listeners would.
    const admin = loaded.config.admin?.address;
    if (admin !== undefined) path = '/readyz';
    // loadConfig guarantees at least one listener.
    address = reachableAddress(admin ?? loaded.config.listeners[0]!.address);
  }
  const result = await healthcheck(address, timeout, path);
  if (result.ok) return 0;
  process.stderr.write(`unhealthy: ${result.reason}\n`);
  return 1;
}

async function explainCmd(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { config: { type: 'string' }, client: { type: 'string' }, listener: { type: 'string' }, body: { type: 'string' }, json: { type: 'boolean' }, help },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message, EXPLAIN_USAGE);
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(EXPLAIN_USAGE);
    return 0;
  }
  if (parsed.positionals.length !== 2) throw new UsageError('explain needs METHOD and TARGET', EXPLAIN_USAGE);
  const [method, target] = parsed.positionals as [string, string];
  const loaded = load({ file: v.config });
  if (!loaded) return 1;
  const { explain, formatExplanation, readBody } = await import('./explain.js');
  let e;
  try {
    e = await explain(loaded, { method, target, body: readBody(v.body), client: v.client, listener: v.listener });
  } catch (error) {
    throw new UsageError((error as Error).message, EXPLAIN_USAGE);
  }
  process.stdout.write(v.json ? `${JSON.stringify(e)}\n` : formatExplanation(e));
  return e.allowed ? 0 : 3;
}

function days(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  if (!/^[1-9][0-9]{0,5}$/.test(text)) throw new UsageError(`${flag} must be a positive number of days, got "${text}"`, CERTS_USAGE);
  return Number(text);
}

async function certs(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        dir: { type: 'string' },
        san: { type: 'string', multiple: true },
        days: { type: 'string' },
        'ca-days': { type: 'string' },
        'not-after': { type: 'string' },
        force: { type: 'boolean' },
        help,
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message, CERTS_USAGE);
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(CERTS_USAGE);
    return 0;
  }
  const [action, ...names] = parsed.positionals;
  if (v.dir === undefined) throw new UsageError('certs needs --dir DIR', CERTS_USAGE);
  let notAfter: Date | undefined;
  if (v['not-after'] !== undefined) {
    notAfter = new Date(v['not-after']);
    if (Number.isNaN(notAfter.getTime())) throw new UsageError(`--not-after must be an ISO 8601 date, got "${v['not-after']}"`, CERTS_USAGE);
  }
  const validity = { days: days(v.days, 365, '--days'), ...(notAfter !== undefined ? { notAfter } : {}) };
  const { certsInit, certsClient, CertsError } = await import('./certs.js');
  let written: string[];
  try {
    if (action === 'init') {
      if (names.length > 0) throw new UsageError(`certs init takes no NAME (got "${names.join(' ')}")`, CERTS_USAGE);
      written = await certsInit({ dir: v.dir, sans: v.san ?? [], caDays: days(v['ca-days'], 3650, '--ca-days'), server: validity, force: v.force ?? false });
    } else if (action === 'client') {
      if (names.length !== 1) throw new UsageError('certs client needs exactly one NAME', CERTS_USAGE);
      if (v.san !== undefined || v['ca-days'] !== undefined) throw new UsageError('--san and --ca-days apply to certs init only', CERTS_USAGE);
      written = await certsClient({ dir: v.dir, name: names[0]!, validity, force: v.force ?? false });
    } else {
      throw new UsageError(action === undefined ? 'certs needs init or client' : `unknown certs action "${action}"`, CERTS_USAGE);
    }
  } catch (error) {
    if (!(error instanceof CertsError)) throw error;
    process.stderr.write(`portcullis: ${error.message}\n`);
    return 1;
  }
  process.stdout.write(written.map((f) => `wrote ${f}\n`).join(''));
  return 0;
}

async function configCmd(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action === '--help' || action === '-h') {
    process.stdout.write(CONFIG_USAGE);
    return 0;
  }
  if (action !== 'print') throw new UsageError(action === undefined ? 'config needs print' : `unknown config action "${action}"`, CONFIG_USAGE);
  const v = parse(rest, { config: { type: 'string' }, help }, CONFIG_USAGE);
  if (v.help) {
    process.stdout.write(CONFIG_USAGE);
    return 0;
  }
  const loaded = load({ file: v.config });
  if (!loaded) return 1;
  const { printConfig } = await import('./config-print.js');
  process.stdout.write(printConfig(loaded));
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest);
      case 'check':
        return check(rest);
      case 'healthcheck':
        return await health(rest);
      case 'explain':
        return await explainCmd(rest);
      case 'certs':
        return await certs(rest);
      case 'plugin':
        return await plugin(rest);
      case 'config':
        return await configCmd(rest);
      case '--version':
        process.stdout.write(`${version()}\n`);
        return 0;
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return 0;
      case undefined:
        throw new UsageError('no command given', USAGE);
      default:
        throw new UsageError(`unknown command "${command}"`, USAGE);
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`portcullis: ${error.message}\n\n${error.usage}`);
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
