/**
 * An image allowlist through the real docker CLI: a policy extending hardened with
 * `images.allow: ["busybox:local"]`. busybox:local runs (also by short ID); another name of the
 * same image, and another image, cannot be run, pulled, inspected, tagged or removed, are left
 * out of `docker images`, and nothing about them reaches the daemon.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { waitForDecision } from './harness/background.js';
import { docker, dockerApi, type DockerResult } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE } from './harness/dockerd.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';

function config(upstream: string): string {
  return `listeners:
  - name: ci
    address: tcp://127.0.0.1:0
    policy: ci
upstream:
  address: ${upstream}
policies:
  ci:
    extends: hardened
    images:
      allow: ["${BUSYBOX_IMAGE}"]
`;
}

e2eSuite('image allowlist', (ctx) => {
  let proxy: Proxy;
  /** a second name of busybox:local's image */
  const other = `pc-images-other-${process.pid}`;
  /** another image (a commit of busybox:local) with a name outside the allowlist */
  const hidden = `pc-images-hidden-${process.pid}`;
  let busyboxId: string;
  let hiddenId: string;

  const daemon = (method: string, path: string, body?: unknown) => dockerApi(ctx.dockerd.socket, method, path, body);
  const run = (args: string[]): Promise<DockerResult> => docker(proxy.host(), args);
  const refusedWith = (r: DockerResult, what: string, re: RegExp): void => {
    assert.notEqual(r.code, 0, `${what} succeeded: ${r.stdout}`);
    assert.match(r.stderr, re, what);
  };
  const containerIds = async (): Promise<string[]> => ((await daemon('GET', '/containers/json?all=1')).json as { Id: string }[]).map((c) => c.Id).sort();

  before(async () => {
    const tagged = await daemon('POST', `/images/${BUSYBOX_IMAGE}/tag?repo=${other}&tag=tag`);
    assert.equal(tagged.status, 201, tagged.text);
    busyboxId = (await daemon('GET', `/images/${BUSYBOX_IMAGE}/json`)).json.Id;
    const c = await daemon('POST', '/containers/create', { Image: BUSYBOX_IMAGE, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
    assert.equal(c.status, 201, c.text);
    const committed = await daemon('POST', `/commit?container=${c.json.Id}&repo=${hidden}&tag=tag`);
    assert.equal(committed.status, 201, committed.text);
    hiddenId = committed.json.Id;
    await daemon('DELETE', `/containers/${c.json.Id}?force=1`);
    proxy = await startPortcullis({ configYaml: config(ctx.dockerd.host) });
  });

  after(async () => {
    await proxy?.stop();
    await daemon('DELETE', `/images/${other}:tag`);
    await daemon('DELETE', `/images/${hidden}:tag?force=1`);
  });

  it('docker run of an allowed image works, by name and by short ID', async () => {
    const byName = await run(['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'echo', 'allowed']);
    assert.equal(byName.code, 0, byName.stderr);
    assert.equal(byName.stdout.trim(), 'allowed');
    const short = busyboxId.slice('sha256:'.length, 'sha256:'.length + 12);
    const byId = await run(['run', '--rm', '--network', 'none', short, 'echo', 'pinned']);
    assert.equal(byId.code, 0, byId.stderr);
    assert.equal(byId.stdout.trim(), 'pinned');
  });

  it('docker run of another name of the same image is refused with the reason, and nothing is created', async () => {
    const before = await containerIds();
    const r = await run(['run', '--rm', '--network', 'none', `${other}:tag`, 'true']);
    refusedWith(
      r,
      'docker run other:tag',
      new RegExp(`portcullis: ContainerCreate denied: image "${other}:tag" \\(docker\\.io/library/${other}:tag\\) is not in the image allowlist \\(${BUSYBOX_IMAGE}\\) \\(rule PC_IMAGE_NOT_ALLOWED\\)`),
    );
    assert.deepEqual(await containerIds(), before);
  });

  it('docker run by the ID of an image without an allowed name finds no such image, and its pull is refused', async () => {
    const since = proxy.logs().length;
    const short = hiddenId.slice('sha256:'.length, 'sha256:'.length + 12);
    const r = await run(['run', '--rm', '--network', 'none', short, 'true']);
    refusedWith(r, 'docker run <hidden id>', /portcullis: ImageCreate denied: .*\(rule PC_IMAGE_NOT_ALLOWED\)/);
    assert.match(r.stderr, new RegExp(`Unable to find image '${short}:latest' locally`));
    const create = await waitForDecision(proxy, 'the ContainerCreate decision', (l) => l.operation === 'ContainerCreate', since);
    assert.equal(create.rule, 'PC_IMAGE_HIDDEN');
    assert.equal(create.status, 404);
  });

  it('docker images lists only the allowed name; the daemon has more', async () => {
    const r = await run(['images', '--format', '{{.Repository}}:{{.Tag}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\n').filter(Boolean), [BUSYBOX_IMAGE]);
    const direct = ((await daemon('GET', '/images/json')).json as { RepoTags: string[] | null }[]).flatMap((i) => i.RepoTags ?? []);
    for (const name of [BUSYBOX_IMAGE, `${other}:tag`, `${hidden}:tag`]) assert.ok(direct.includes(name), `the daemon should have ${name}: ${direct.join(', ')}`);
  });

  it('inspect shows the allowed name only; other names and images are No such image', async () => {
    const mine = await run(['image', 'inspect', '--format', '{{json .RepoTags}}', BUSYBOX_IMAGE]);
    assert.equal(mine.code, 0, mine.stderr);
    assert.deepEqual(JSON.parse(mine.stdout), [BUSYBOX_IMAGE]);
    for (const ref of [`${other}:tag`, `${hidden}:tag`, hiddenId]) {
      const r = await run(['image', 'inspect', ref]);
      refusedWith(r, `docker image inspect ${ref}`, new RegExp(`No such image: ${ref}`));
      assert.ok(!r.stderr.includes('portcullis'), r.stderr);
    }
    const generic = await run(['inspect', `${other}:tag`]);
    refusedWith(generic, 'docker inspect other:tag', new RegExp(`No such object: ${other}:tag|portcullis: PluginInspect denied`));
    assert.ok(!generic.stdout.includes(busyboxId), generic.stdout);
  });

  it('docker pull of another name is refused before anything is forwarded', async () => {
    const since = proxy.logs().length;
    const r = await run(['pull', `${other}:tag`]);
    refusedWith(r, 'docker pull other:tag', new RegExp(`portcullis: ImageCreate denied: image "${other}:tag" \\(docker\\.io/library/${other}:tag\\) is not in the image allowlist .*\\(rule PC_IMAGE_NOT_ALLOWED\\)`));
    const line = await waitForDecision(proxy, 'the ImageCreate decision', (l) => l.operation === 'ImageCreate', since);
    assert.equal(line.decision, 'deny');
    assert.equal(line.status, 403);
  });

  it('tag, rmi and build under the allowlist', async () => {
    const tag = await run(['tag', BUSYBOX_IMAGE, `${other}:two`]);
    refusedWith(tag, 'docker tag to another name', /denied: the new name .* is not in the image allowlist .*\(rule PC_IMAGE_NOT_ALLOWED\)/);
    assert.equal((await daemon('GET', `/images/${other}:two/json`)).status, 404);
    const rmi = await run(['rmi', `${other}:tag`]);
    refusedWith(rmi, 'docker rmi other:tag', new RegExp(`No such image: ${other}:tag`));
    assert.equal((await daemon('GET', `/images/${other}:tag/json`)).status, 200, 'the hidden name was removed');
    const build = await run(['build', '-t', BUSYBOX_IMAGE, '-']);
    refusedWith(build, 'docker build', /portcullis: ImageBuild denied: .*\(rule PC_IMAGE_UNSUPPORTED\)/);
  });
});
