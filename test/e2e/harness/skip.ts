/**
 * Declares an e2e suite that needs a real Docker daemon:
 *
 *     e2eSuite('containers through the proxy', (ctx) => {
 *       it('runs busybox', async () => {
 *         const res = await docker(ctx.dockerd.host, ['run', '--rm', '--network', 'none', 'busybox:local', 'true']);
 *         assert.equal(res.code, 0, res.stderr);
 *       });
 *     });
 *
 * The suite gets the shared daemon (./dockerd.ts, busybox:local imported) in a before hook and releases it
 * in an after hook. When the prerequisites are missing the suite fails if PORTCULLIS_REQUIRE_E2E=1 (CI),
 * and is otherwise skipped loudly so a green local run is never mistaken for a tested one.
 */
import { after, before, describe, it } from 'node:test';
import { daemonFlavour } from './daemon-flavour.js';
import { e2eAvailability, sharedDockerd, type Dockerd } from './dockerd.js';

export interface E2eContext {
  /** available inside tests and hooks, not while the suite body is being declared */
  readonly dockerd: Dockerd;
}

export function e2eSuite(title: string, fn: (ctx: E2eContext) => void): void {
  // The runner runs every e2e file once per daemon; the name says which run a result belongs to.
  const name = `${title} [${daemonFlavour().label}]`;
  const availability = e2eAvailability();
  if (!availability.ok) {
    const { why } = availability;
    if (process.env.PORTCULLIS_REQUIRE_E2E === '1') {
      process.stderr.write(`!!! E2E REQUIRED BUT UNAVAILABLE (${name}): ${why}\n`);
      describe(name, () => {
        it('e2e prerequisites', () => {
          throw new Error(`e2e prerequisites missing: ${why} (PORTCULLIS_REQUIRE_E2E=1)`);
        });
      });
    } else {
      process.stderr.write(`!!! E2E SKIPPED (${name}): ${why} — set PORTCULLIS_REQUIRE_E2E=1 to make this fatal\n`);
      describe(name, () => {
        it.skip(`e2e skipped: ${why}`);
      });
    }
    return;
  }

  describe(name, () => {
    let d: Dockerd | undefined;
    before(async () => {
      d = await sharedDockerd();
    });
    after(() => d?.stop());
    fn({
      get dockerd(): Dockerd {
        if (d === undefined) throw new Error('ctx.dockerd is only available inside tests and hooks');
        return d;
      },
    });
  });
}
