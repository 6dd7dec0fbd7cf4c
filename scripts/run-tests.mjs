#!/usr/bin/env node
// Runs the test suite: `node scripts/run-tests.mjs [file-or-dir ...]` (default: everything under test/).
//
// Builds dist/ (the e2e tests run the real CLI) and, when e2e files are selected and the machine can,
// starts ONE private dockerd for the whole run (test/e2e/harness/daemon-main.ts), handed to the test
// files as PORTCULLIS_TEST_DOCKER_HOST. Files run one at a time: they share that daemon and a 2-core box.
// Unless PORTCULLIS_TEST_DOCKERD picks one daemon, the e2e files then run again against dockerd 26.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { testSummary } from './test-summary.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const requireE2e = process.env.PORTCULLIS_REQUIRE_E2E === '1';

function collect(abs, out) {
  if (statSync(abs).isDirectory()) {
    for (const entry of readdirSync(abs)) collect(path.join(abs, entry), out);
  } else if (abs.endsWith('.test.ts')) {
    out.push(abs);
  }
}

function selectFiles(filters) {
  const found = [];
  for (const filter of filters.length > 0 ? filters : [path.join(root, 'test')]) {
    const abs = path.resolve(filter);
    if (!existsSync(abs)) {
      console.error(`run-tests: no such file or directory: ${filter}`);
      process.exit(2);
    }
    collect(abs, found);
  }
  return [...new Set(found.map((f) => path.relative(root, f)))].sort();
}

const files = selectFiles(process.argv.slice(2));
if (files.length === 0) {
  console.error('run-tests: no *.test.ts files selected');
  process.exit(2);
}

const running = new Set();
let interrupted;

function run(cmd, args, options) {
  const child = spawn(cmd, args, { cwd: root, ...options });
  running.add(child);
  const done = new Promise((resolve) => {
    child.on('error', (err) => {
      console.error(`run-tests: ${cmd}: ${err.message}`);
      resolve(127);
    });
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve(code ?? 128 + osConstants.signals[signal]);
    });
  });
  return { child, done };
}

/** Resolves with daemon-main's verdict: {host}, {unavailable}, or {failed} when it died before reporting. */
function startDaemon(env = process.env) {
  const daemon = run(process.execPath, ['--import', 'tsx', 'test/e2e/harness/daemon-main.ts'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env,
  });
  // The daemon is stopped last, after the tests, not with the other children on a signal.
  running.delete(daemon.child);
  const verdict = new Promise((resolve) => {
    createInterface({ input: daemon.child.stdout }).once('line', (line) => resolve(JSON.parse(line)));
    daemon.done.then((code) => resolve({ failed: `daemon-main exited with code ${code} before reporting (see its stderr above)` }));
  });
  const stop = async () => {
    // Closing its stdin is daemon-main's cue to remove containers, stop dockerd and delete its directory.
    daemon.child.stdin.end();
    const killer = setTimeout(() => daemon.child.kill('SIGKILL'), 60_000);
    await daemon.done;
    clearTimeout(killer);
  };
  return { verdict, stop };
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    interrupted ??= signal;
    for (const child of running) child.kill(signal);
  });
}

const isE2e = (f) => f.startsWith(`test${path.sep}e2e${path.sep}`);

/**
 * One run of `passFiles` with its own run-wide daemon (when e2e files are among them), chosen by
 * PORTCULLIS_TEST_DOCKERD in `passEnv`. `built` resolves with tsc's exit code; `daemon` may already be starting.
 */
async function runPass(passFiles, passEnv, built, daemon) {
  const testEnv = { ...process.env, ...passEnv };
  let code = 0;
  try {
    const [buildCode, verdict] = await Promise.all([built, daemon?.verdict]);
    if (buildCode !== 0) {
      console.error(`run-tests: build failed (exit ${buildCode})`);
      code = buildCode;
    } else if (verdict?.failed !== undefined && requireE2e) {
      console.error(`run-tests: could not start the e2e dockerd and PORTCULLIS_REQUIRE_E2E=1: ${verdict.failed}`);
      code = 1;
    } else if (interrupted === undefined) {
      if (verdict?.host !== undefined) {
        testEnv.PORTCULLIS_TEST_DOCKER_HOST = verdict.host;
      } else if (verdict?.failed !== undefined) {
        console.error(`!!! run-tests: could not start the e2e dockerd, e2e suites will be SKIPPED: ${verdict.failed}`);
        testEnv.PORTCULLIS_E2E_UNAVAILABLE = `the runner could not start dockerd: ${verdict.failed}`;
      }
      // A verdict of {unavailable} needs nothing here: each e2e suite reaches the same verdict and reports it.
      const tests = run(
        process.execPath,
        ['--import', 'tsx', '--test', ...summary.args(), '--test-concurrency=1', ...passFiles],
        { stdio: 'inherit', env: testEnv },
      );
      code = await tests.done;
    }
  } finally {
    await daemon?.stop();
  }
  return code;
}

// Everything runs against the daemon PORTCULLIS_TEST_DOCKERD names (default: the machine's dockerd 20.10);
// when it is unset, the e2e files run a second time against dockerd 26 (scripts/modern-docker.sh).
const passes = [{ label: process.env.PORTCULLIS_TEST_DOCKERD ? `dockerd ${process.env.PORTCULLIS_TEST_DOCKERD}` : 'dockerd 20', files, env: {} }];
if (process.env.PORTCULLIS_TEST_DOCKERD === undefined && files.some(isE2e)) {
  passes.push({ label: 'dockerd 26', files: files.filter(isE2e), env: { PORTCULLIS_TEST_DOCKERD: '26' } });
}

const summary = testSummary();
const started = Date.now();
const build = run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
const results = [];
for (const [i, pass] of passes.entries()) {
  if (interrupted !== undefined) break;
  if (passes.length > 1) console.log(`\n=== run-tests: pass ${i + 1}/${passes.length}: ${pass.files.length} file(s) against ${pass.label}`);
  const daemon = pass.files.some(isE2e) ? startDaemon({ ...process.env, ...pass.env }) : undefined;
  results.push({ label: pass.label, code: await runPass(pass.files, pass.env, build.done, daemon) });
  if ((await build.done) !== 0) break;
}
if (passes.length > 1) {
  for (const r of results) console.log(`=== run-tests: ${r.label}: ${r.code === 0 ? 'passed' : `FAILED (exit ${r.code})`}`);
}
let exitCode = results.find((r) => r.code !== 0)?.code ?? 0;
if ((await build.done) === 0 && interrupted === undefined) {
  const counted = summary.report({ requireAll: requireE2e, durationMs: Date.now() - started });
  if (exitCode === 0) exitCode = counted;
}
process.exit(interrupted === undefined ? exitCode : 128 + osConstants.signals[interrupted]);
