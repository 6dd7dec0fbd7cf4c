/**
 * The run-wide daemon for scripts/run-tests.mjs. Prints exactly one JSON line on stdout:
 * `{"host":"unix://..."}` once the daemon is ready with busybox:local imported, or `{"unavailable":"<why>"}`
 * when the e2e prerequisites are missing. It then stays up until its stdin closes (so a runner that dies
 * takes the daemon with it) or it gets SIGTERM/SIGINT, and stops the daemon before exiting.
 */
import { daemonFlavour } from './daemon-flavour.js';
import { e2eAvailability, ensureBusybox, startDockerd } from './dockerd.js';

const availability = e2eAvailability();
if (!availability.ok) {
  process.stdout.write(JSON.stringify({ unavailable: availability.why }) + '\n');
} else {
  const started = Date.now();
  const d = await startDockerd();
  const ready = Date.now();
  // Signals end this process through the harness's exit cleanup, which stops the daemon synchronously.
  process.stdin.on('end', () => {
    d.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`stopping dockerd failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  });
  process.stdin.resume();
  await ensureBusybox(d);
  process.stderr.write(
    `${daemonFlavour().label}: ${d.host} (pid ${d.pid}) ready in ${ready - started} ms, busybox:local in ${Date.now() - ready} ms\n`,
  );
  process.stdout.write(JSON.stringify({ host: d.host }) + '\n');
}
