/**
 * Last-resort cleanup for processes the harness spawns (dockerd, portcullis).
 *
 * Children are unref'd so a forgotten `stop()` cannot keep a test file alive forever; the price is that
 * they must be torn down when this process ends. Only synchronous work can run in an 'exit' listener, so
 * each registered function must be synchronous. Test-file subprocesses of `node --test` get no signal
 * handlers from Node, so a SIGINT/SIGTERM would kill them without an 'exit' event and leak the daemon:
 * the signals are turned into process.exit() here.
 */

const cleanups = new Set<() => void>();
let installed = false;

const signalExitCodes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

function runAll(): void {
  for (const fn of [...cleanups]) {
    cleanups.delete(fn);
    try {
      fn();
    } catch (err) {
      process.stderr.write(`harness exit cleanup failed: ${String(err)}\n`);
    }
  }
}

/** Registers a synchronous cleanup to run at process exit; returns a function that unregisters it. */
export function onProcessExit(fn: () => void): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', runAll);
    for (const [signal, code] of Object.entries(signalExitCodes)) {
      process.once(signal, () => process.exit(code));
    }
  }
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}
