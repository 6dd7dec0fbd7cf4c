#!/usr/bin/env node
// `npm run image`: builds the container image without any registry. The production dependencies
// are taken from this checkout's node_modules (`npm ls --omit=dev`), so the daemon's build needs
// neither npm nor a network; only BASE_IMAGE must be present (or pullable).
//   IMAGE_TAG   default portcullis:latest
//   BASE_IMAGE  default node:20-bookworm-slim
// The daemon and builder are the docker CLI's: DOCKER_HOST, DOCKER_BUILDKIT as usual.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tag = process.env.IMAGE_TAG || 'portcullis:latest';
const base = process.env.BASE_IMAGE || 'node:20-bookworm-slim';
const context = join(root, '.tmp', 'image-context');

execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

rmSync(context, { recursive: true, force: true });
const prepared = join(context, 'prepared');
mkdirSync(join(context, 'scripts'), { recursive: true });
for (const f of ['Dockerfile', '.dockerignore', 'scripts/image-stage.mjs']) cpSync(join(root, f), join(context, f));
cpSync(join(root, 'package.json'), join(prepared, 'package.json'));
cpSync(join(root, 'dist'), join(prepared, 'dist'), { recursive: true });

// Every installed production package, each copied without its nested node_modules (those that
// are production dependencies are listed themselves).
const listed = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' });
const packages = listed.split('\n').filter((p) => p !== '' && p !== root.replace(/\/$/, ''));
for (const dir of packages) {
  const rel = relative(root, dir);
  cpSync(dir, join(prepared, rel), { recursive: true, filter: (src) => src === dir || !relative(dir, src).split('/').includes('node_modules') });
}

const build = spawnSync('docker', ['build', '--build-arg', `BASE_IMAGE=${base}`, '-t', tag, context], { stdio: 'inherit' });
rmSync(context, { recursive: true, force: true });
if (build.status !== 0) {
  process.stderr.write(`build-image: docker build failed (exit ${build.status ?? build.signal})\n`);
  process.exit(1);
}
process.stdout.write(`build-image: ${tag} (base ${base}, ${packages.length} production packages)\n`);
