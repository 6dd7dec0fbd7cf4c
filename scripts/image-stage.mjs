// The build stage of the Dockerfile, run by `node` alone (no shell, so a base image holding only
// Node works): `node image-stage.mjs CONTEXT APP`.
// With CONTEXT/prepared (made by scripts/build-image.mjs on the host, offline) it is copied to APP;
// otherwise the sources in CONTEXT are built with npm and the production tree copied to APP.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [ctx, app] = process.argv.slice(2);
if (ctx === undefined || app === undefined) throw new Error('usage: image-stage.mjs CONTEXT APP');
const prepared = join(ctx, 'prepared');
if (existsSync(prepared)) {
  cpSync(prepared, app, { recursive: true, verbatimSymlinks: true });
} else {
  const npm = (...args) => execFileSync('npm', args, { cwd: ctx, stdio: 'inherit' });
  npm('ci', '--no-audit', '--no-fund');
  npm('prune', '--omit=dev', '--no-audit', '--no-fund');
  for (const entry of ['package.json', 'dist', 'node_modules']) cpSync(join(ctx, entry), join(app, entry), { recursive: true, verbatimSymlinks: true });
}
