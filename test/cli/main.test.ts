import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source, like `npx tsx src/cli/main.ts`, without npm's own chatter on stderr. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: root, env: { PATH: process.env['PATH'], ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('top level', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const run = await cli(['--version']);
    assert.equal(run.code, 0);
    assert.equal(run.stdout, `${pkg.version}\n`);
  });

  it('--help and -h print the usage', async () => {
    for (const flag of ['--help', '-h']) {
      const run = await cli([flag]);
      assert.equal(run.code, 0);
      assert.match(run.stdout, /^Usage: portcullis <command>/);
      assert.match(run.stdout, /serve[\s\S]*check[\s\S]*healthcheck/);
    }
  });

  it('every command has --help', async () => {
    for (const command of ['serve', 'check', 'healthcheck']) {
      const run = await cli([command, '--help']);
      assert.equal(run.code, 0, command);
      assert.match(run.stdout, new RegExp(`^Usage: portcullis ${command} `));
    }
  });

  it('an unknown command exits 2 with the usage', async () => {
    const run = await cli(['serv']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^portcullis: unknown command "serv"\n\nUsage: portcullis <command>/);
    assert.equal(run.stdout, '');
  });

  it('no command exits 2', async () => {
    const run = await cli([]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /no command given/);
  });

  it('an unknown flag exits 2 with the usage of its command', async () => {
    const run = await cli(['check', '--confg', 'x.yaml']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--confg/);
    assert.match(run.stderr, /Usage: portcullis check --config FILE/);
  });
});

describe('check', () => {
  it('passes a good file', async () => {
    const file = join(root, 'examples', 'ci-basic.yaml');
    const run = await cli(['check', '--config', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `ok: ${file}\n`);
  });

  it('lists the problems of a bad file with file and line', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      ['listeners:', '  - address: tcp://127.0.0.1:2375', '    policy: nosuch', '    colour: blue', 'policies: {}', ''].join('\n'),
    );
    const run = await cli(['check', '--config', file]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    const lines = run.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.ok(lines[0]?.startsWith(`${file}:3:13: listeners[0].policy: no policy named "nosuch" (known: `), lines[0]);
    assert.equal(lines[1], `${file}:4:5: listeners[0].colour: unknown key`);
  });

  it('reports a missing ${ENV} variable with its line', async () => {
    const file = join(dir, 'env.yaml');
    writeFileSync(file, 'listeners:\n  - address: ${LISTEN}\n    policy: read-only\n');
    const unset = await cli(['check', '--config', file]);
    assert.equal(unset.code, 1);
    assert.match(unset.stderr, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:14: listeners\\[0\\]\\.address: environment variable LISTEN is not set`));
    const set = await cli(['check', '--config', file], { LISTEN: 'unix:///run/p.sock' });
    assert.equal(set.code, 0, set.stderr);
  });

  it('needs --config', async () => {
    const run = await cli(['check']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /check needs --config FILE/);
  });
});

describe('healthcheck', () => {
  let server: Server;
  let status = 200;
  let port = 0;
  before(async () => {
    server = createServer((req, res) => {
      res.statusCode = req.url === '/_ping' ? status : 404;
      res.end(status === 200 ? 'OK' : 'denied by policy');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('exits 0 on 200 from --address', async () => {
    status = 200;
    const run = await cli(['healthcheck', '--address', `tcp://127.0.0.1:${port}`]);
    assert.equal(run.code, 0, run.stderr);
  });

  it('asks the first listener of the config, via loopback for a wildcard bind', async () => {
    status = 200;
    const file = join(dir, 'health.yaml');
    writeFileSync(file, `listeners:\n  - address: tcp://0.0.0.0:${port}\n    policy: read-only\n`);
    const run = await cli(['healthcheck', '--config', file]);
    assert.equal(run.code, 0, run.stderr);
  });

  it('exits 1 and says why on another status', async () => {
    status = 403;
    const run = await cli(['healthcheck', '--address', `tcp://127.0.0.1:${port}`]);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, `unhealthy: tcp://127.0.0.1:${port}: HTTP 403 denied by policy\n`);
  });

  it('exits 1 when nothing listens on the unix socket', async () => {
    const run = await cli(['healthcheck', '--address', `unix://${join(dir, 'none.sock')}`, '--timeout', '500']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^unhealthy: unix:\/\/.*none\.sock: .*ENOENT/);
  });

  it('exits 1 on a config problem, 2 on a bad flag', async () => {
    const bad = await cli(['healthcheck', '--config', join(dir, 'missing.yaml')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /missing\.yaml: cannot read the file \(ENOENT\)/);
    const flag = await cli(['healthcheck', '--timeout', 'soon']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /--timeout must be a positive number/);
  });
});

describe('serve', () => {
  it('exits 1 without serving when the config is bad', async () => {
    const run = await cli(['serve', '--listen', 'localhost:2375']);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, '--listen: "localhost:2375": expected tcp://HOST:PORT or unix:///PATH\n');
  });
});
