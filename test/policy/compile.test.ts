import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OPERATIONS, OPERATIONS_BY_ID } from '../../src/catalogue/operations.js';
import { BUILTIN_POLICIES, BUILTIN_POLICY_NAMES } from '../../src/policy/builtin.js';
import { compilePolicies, PolicyError } from '../../src/policy/compile.js';
import type { CompiledPolicy, Decision, PolicySpec, RequestFacts } from '../../src/policy/types.js';
import { route } from '../../src/routing/router.js';

/** Facts as the proxy builds them: straight from the router. */
function facts(method: string, target: string): RequestFacts {
  const r = route(method, target);
  if (!r.ok) assert.fail(`${method} ${target}: ${r.reason}`);
  const { op, path, params, query } = r.match;
  return { op, method, path, params, query };
}

/** Facts for an operation at its template path. */
function opFacts(id: string): RequestFacts {
  const op = OPERATIONS_BY_ID.get(id);
  assert.ok(op, id);
  return facts(op.method, op.path.replace(/\{\w+\}/g, 'x'));
}

function policy(specs: Record<string, PolicySpec>, name: string): CompiledPolicy {
  const p = compilePolicies(specs).get(name);
  assert.ok(p, name);
  return p;
}

function compileError(specs: Record<string, PolicySpec>): PolicyError {
  try {
    compilePolicies(specs);
  } catch (e) {
    assert.ok(e instanceof PolicyError, String(e));
    return e;
  }
  assert.fail('compiled without error');
}

const allowed = (rule: string): Decision => ({ allowed: true, rule, reason: `allowed by rule ${rule}` });
const denied = (rule: string): Decision => ({ allowed: false, rule, reason: `denied by rule ${rule}` });
const defaultDenied = (op: string): Decision => ({ allowed: false, rule: 'PC_DENIED_DEFAULT', reason: `no rule allows ${op}` });

describe('precedence', () => {
  test('first match wins in rule order', () => {
    const p = policy(
      {
        ci: {
          rules: [
            { id: 'no-kill', deny: ['ContainerKill'] },
            { id: 'lifecycle', allow: ['containers:write'] },
            { id: 'kill-again', allow: ['ContainerKill'] },
          ],
        },
      },
      'ci',
    );
    assert.deepEqual(p.decide(opFacts('ContainerKill')), denied('no-kill'));
    assert.deepEqual(p.decide(opFacts('ContainerStart')), allowed('lifecycle'));
    assert.deepEqual(p.decide(opFacts('ContainerLogs')), defaultDenied('ContainerLogs'));
  });

  test('an allow before a deny wins: order, not deny-overrides', () => {
    const p = policy(
      {
        ci: {
          rules: [
            { id: 'everything', allow: ['*'] },
            { id: 'never-exec', deny: ['exec'] },
          ],
        },
      },
      'ci',
    );
    assert.deepEqual(p.decide(opFacts('ContainerExec')), allowed('everything'));
  });

  test('no match is the default deny', () => {
    const p = policy({ empty: { rules: [] } }, 'empty');
    for (const op of OPERATIONS) assert.deepEqual(p.decide(opFacts(op.id)), defaultDenied(op.id));
  });
});

describe('extends', () => {
  test('own rules first, then the base, then its base', () => {
    const specs: Record<string, PolicySpec> = {
      base: { rules: [{ id: 'base-allow-exec', allow: ['exec:*'] }, { id: 'base-deny-images', deny: ['images'] }] },
      mid: { extends: 'base', rules: [{ id: 'mid-deny-exec-start', deny: ['ExecStart'] }, { id: 'mid-allow-list', allow: ['ImageList'] }] },
      top: { extends: 'mid', rules: [{ id: 'top-allow-exec-start', allow: ['ExecStart'] }] },
    };
    const top = policy(specs, 'top');
    assert.deepEqual(top.decide(opFacts('ExecStart')), allowed('top-allow-exec-start'));
    assert.deepEqual(top.decide(opFacts('ImageList')), allowed('mid-allow-list'));
    assert.deepEqual(top.decide(opFacts('ImageInspect')), denied('base-deny-images'));
    assert.deepEqual(top.decide(opFacts('ContainerExec')), allowed('base-allow-exec'));
    const mid = policy(specs, 'mid');
    assert.deepEqual(mid.decide(opFacts('ExecStart')), denied('mid-deny-exec-start'));
  });

  test('a policy can extend a built-in', () => {
    const p = policy({ ci: { extends: 'read-only', rules: [{ id: 'logs', allow: ['containers:logs'] }] } }, 'ci');
    assert.deepEqual(p.decide(opFacts('ContainerLogs')), allowed('logs'));
    assert.deepEqual(p.decide(opFacts('ContainerList')), allowed('read-only'));
    assert.deepEqual(p.decide(opFacts('ContainerCreate')), defaultDenied('ContainerCreate'));
  });

  test('unknown bases are errors pointing at extends', () => {
    const e = compileError({ ci: { extends: 'nope', rules: [] } });
    assert.deepEqual(e.path, ['policies', 'ci', 'extends']);
    assert.match(e.message, /unknown policy "nope"/);
  });

  test('cycles are errors, self-extension included', () => {
    const e = compileError({ a: { extends: 'b', rules: [] }, b: { extends: 'a', rules: [] } });
    assert.deepEqual(e.path, ['policies', 'a', 'extends']);
    assert.match(e.message, /a -> b -> a/);
    assert.deepEqual(compileError({ self: { extends: 'self', rules: [] } }).path, ['policies', 'self', 'extends']);
  });
});

describe('query conditions', () => {
  const p = policy({ ci: { rules: [{ id: 'hup-only', allow: ['ContainerKill'], query: { signal: ['HUP'] } }] } }, 'ci');

  test('ContainerKill allowed only with signal=HUP', () => {
    assert.deepEqual(p.decide(facts('POST', '/containers/x/kill')), defaultDenied('ContainerKill'));
    assert.deepEqual(p.decide(facts('POST', '/containers/x/kill?signal=KILL')), defaultDenied('ContainerKill'));
    assert.deepEqual(p.decide(facts('POST', '/containers/x/kill?signal=HUP&signal=KILL')), defaultDenied('ContainerKill'));
    assert.deepEqual(p.decide(facts('POST', '/containers/x/kill?signal=KILL&signal=HUP')), defaultDenied('ContainerKill'));
    assert.deepEqual(p.decide(facts('POST', '/containers/x/kill?signal=HUP')), allowed('hup-only'));
    assert.deepEqual(p.decide(facts('POST', '/v1.41/containers/x/kill?signal=HUP&signal=HUP')), allowed('hup-only'));
  });

  test('a deny rule with a query condition cannot be dodged by repeating the parameter', () => {
    const d = policy({ ci: { rules: [{ id: 'no-kill', deny: ['ContainerKill'], query: { signal: ['KILL', 'SIGKILL', '9'] } }, { id: 'kill', allow: ['ContainerKill'] }] } }, 'ci');
    const denied = { allowed: false, rule: 'no-kill', reason: 'denied by rule no-kill' };
    assert.deepEqual(d.decide(facts('POST', '/containers/x/kill?signal=KILL')), denied);
    assert.deepEqual(d.decide(facts('POST', '/containers/x/kill?signal=HUP&signal=KILL')), denied);
    assert.deepEqual(d.decide(facts('POST', '/containers/x/kill?signal=KILL&signal=HUP')), denied);
    assert.deepEqual(d.decide(facts('POST', '/containers/x/kill?signal=HUP')), allowed('kill'));
  });

  test('values compare exactly, after Go-style decoding', () => {
    assert.deepEqual(p.decide(facts('POST', '/containers/x/kill?signal=hup')), defaultDenied('ContainerKill'));
    assert.deepEqual(p.decide(facts('POST', '/containers/x/kill?signal=HUP+')), defaultDenied('ContainerKill'));
    assert.deepEqual(p.decide(facts('POST', '/containers/x/kill?signal=%48UP')), allowed('hup-only'));
    assert.deepEqual(p.decide(facts('POST', '/containers/x/kill?Signal=HUP')), defaultDenied('ContainerKill'));
  });

  test('a rule whose condition fails lets later rules decide', () => {
    const q = policy(
      {
        ci: {
          rules: [
            { id: 'hup', allow: ['ContainerKill'], query: { signal: ['HUP', 'USR1'] } },
            { id: 'no-other-kill', deny: ['ContainerKill'] },
            { id: 'rest', allow: ['*'] },
          ],
        },
      },
      'ci',
    );
    assert.deepEqual(q.decide(facts('POST', '/containers/x/kill?signal=USR1&signal=HUP')), allowed('hup'));
    assert.deepEqual(q.decide(facts('POST', '/containers/x/kill?signal=TERM')), denied('no-other-kill'));
    assert.deepEqual(q.decide(facts('POST', '/containers/x/start')), allowed('rest'));
  });

  test('every named parameter must be present', () => {
    const q = policy({ ci: { rules: [{ id: 'two', allow: ['ContainerLogs'], query: { stdout: ['1'], follow: ['0', 'false'] } }] } }, 'ci');
    assert.deepEqual(q.decide(facts('GET', '/containers/x/logs?stdout=1')), defaultDenied('ContainerLogs'));
    assert.deepEqual(q.decide(facts('GET', '/containers/x/logs?stdout=1&follow=0')), allowed('two'));
  });

  test('an empty value list is an error', () => {
    const e = compileError({ ci: { rules: [{ id: 'r', allow: ['ContainerKill'], query: { signal: [] } }] } });
    assert.deepEqual(e.path, ['policies', 'ci', 'rules', 0, 'query', 'signal']);
  });
});

describe('selectors', () => {
  test('group, family wildcard, bare family, operationId and *', () => {
    const p = policy(
      {
        ci: {
          rules: [
            { id: 'vol', allow: ['volumes:*'] },
            { id: 'net', allow: ['networks'] },
            { id: 'img', allow: ['images:read'] },
            { id: 'one', allow: ['SecretList'] },
          ],
        },
        all: { rules: [{ id: 'all', allow: ['*'] }] },
      },
      'ci',
    );
    assert.deepEqual(p.decide(opFacts('VolumeCreate')), allowed('vol'));
    assert.deepEqual(p.decide(opFacts('NetworkDelete')), allowed('net'));
    assert.deepEqual(p.decide(opFacts('ImageGet')), allowed('img'));
    assert.deepEqual(p.decide(opFacts('ImagePush')), defaultDenied('ImagePush'));
    assert.deepEqual(p.decide(opFacts('SecretList')), allowed('one'));
    assert.deepEqual(p.decide(opFacts('SecretInspect')), defaultDenied('SecretInspect'));
    const all = policy({ all: { rules: [{ id: 'all', allow: ['*'] }] } }, 'all');
    for (const op of OPERATIONS) {
      const expected = op.group.startsWith('buildkit:') ? defaultDenied(op.id) : allowed('all');
      assert.deepEqual(all.decide(opFacts(op.id)), expected, op.id);
    }
  });

  test('path selectors: * is one segment, ** one or more', () => {
    const p = policy(
      {
        ci: {
          rules: [
            { id: 'deny-library', deny: ['DELETE /images/library/**'] },
            { id: 'one-segment', allow: ['GET /images/*/json'] },
            { id: 'any-delete', allow: ['DELETE /images/**'] },
            { id: 'mine', allow: ['POST /containers/ci/*', 'POST /containers/*/ci/start'] },
          ],
        },
      },
      'ci',
    );
    assert.deepEqual(p.decide(facts('GET', '/images/busybox/json')), allowed('one-segment'));
    assert.deepEqual(p.decide(facts('GET', '/v1.41/images/busybox/json')), allowed('one-segment'));
    assert.deepEqual(p.decide(facts('GET', '/images/library/busybox/json')), defaultDenied('ImageInspect'));
    assert.deepEqual(p.decide(facts('DELETE', '/images/library/busybox')), denied('deny-library'));
    assert.deepEqual(p.decide(facts('DELETE', '/images/library%2Fbusybox')), denied('deny-library'));
    assert.deepEqual(p.decide(facts('DELETE', '/images/quay.io/x/y')), allowed('any-delete'));
    assert.deepEqual(p.decide(facts('DELETE', '/images/busybox')), allowed('any-delete'));
    // `**` needs at least one segment, and `library` alone is one: `/images/library` is ImageDelete of "library"
    assert.deepEqual(p.decide(facts('DELETE', '/images/library')), allowed('any-delete'));
    // method must match, and a path selector never reaches another operation's method
    assert.deepEqual(p.decide(facts('POST', '/images/busybox/tag')), defaultDenied('ImageTag'));
    assert.deepEqual(p.decide(facts('POST', '/containers/ci/start')), allowed('mine'));
    assert.deepEqual(p.decide(facts('POST', '/containers/ci/stop')), allowed('mine'));
    assert.deepEqual(p.decide(facts('POST', '/containers/prod/start')), defaultDenied('ContainerStart'));
    assert.deepEqual(p.decide(facts('POST', '/containers/team/ci/start')), allowed('mine'));
    assert.deepEqual(p.decide(facts('POST', '/containers/a/b/ci/start')), defaultDenied('ContainerStart'));
  });

  test('path selectors compare decoded segments literally', () => {
    const p = policy({ ci: { rules: [{ id: 'sha', allow: ['GET /images/sha256:abc/json'] }] } }, 'ci');
    assert.deepEqual(p.decide(facts('GET', '/images/sha256%3Aabc/json')), allowed('sha'));
    assert.deepEqual(p.decide(facts('GET', '/images/sha256:abd/json')), defaultDenied('ImageInspect'));
  });

  test('a path selector with a query condition', () => {
    const p = policy({ ci: { rules: [{ id: 'force-rm', deny: ['DELETE /containers/*'], query: { force: ['1', 'true'] } }, { id: 'rm', allow: ['ContainerDelete'] }] } }, 'ci');
    assert.deepEqual(p.decide(facts('DELETE', '/containers/a?force=1')), denied('force-rm'));
    assert.deepEqual(p.decide(facts('DELETE', '/containers/a')), allowed('rm'));
    assert.deepEqual(p.decide(facts('DELETE', '/containers/a/b?force=1')), allowed('rm'));
  });

  test('unknown selectors are errors pointing at the selector', () => {
    const e = compileError({
      ci: { rules: [{ id: 'a', allow: ['ContainerList'] }, { id: 'b', allow: ['ContainerList'] }, { id: 'c', allow: ['ImageList', 'ContainerFrobnicate'] }] },
    });
    assert.deepEqual(e.path, ['policies', 'ci', 'rules', 2, 'allow', 1]);
    assert.match(e.message, /ContainerFrobnicate/);
    const bad = [
      'containers:frob',
      'frob:*',
      'frob',
      ':*',
      'containerlist',
      'PATCH /containers/*',
      'GET containers/json',
      'GET /',
      'GET /containers//json',
      'GET /containers/a*/json',
      'get /containers/json',
      'GET  /containers/json',
      '',
    ];
    for (const selector of bad) {
      const err = compileError({ ci: { rules: [{ id: 'r', deny: [selector] }] } });
      assert.deepEqual(err.path, ['policies', 'ci', 'rules', 0, 'deny', 0], selector);
    }
  });

  test('rules need exactly one of allow and deny, at least one selector, and a unique id', () => {
    assert.deepEqual(compileError({ ci: { rules: [{ id: 'r', allow: ['*'], deny: ['exec'] }] } }).path, ['policies', 'ci', 'rules', 0]);
    assert.deepEqual(compileError({ ci: { rules: [{ id: 'r' }] } }).path, ['policies', 'ci', 'rules', 0]);
    assert.deepEqual(compileError({ ci: { rules: [{ id: 'ok', allow: ['*'] }, { id: 'r', allow: [] }] } }).path, ['policies', 'ci', 'rules', 1]);
    assert.deepEqual(
      compileError({ ci: { rules: [{ id: 'r', allow: ['*'] }, { id: 'r', deny: ['exec'] }] } }).path,
      ['policies', 'ci', 'rules', 1, 'id'],
    );
  });
});

describe('built-in policies', () => {
  test('are listed and compile on their own', () => {
    assert.deepEqual([...BUILTIN_POLICY_NAMES], Object.keys(BUILTIN_POLICIES));
    assert.ok(BUILTIN_POLICY_NAMES.includes('read-only'));
    const compiled = compilePolicies({});
    for (const name of BUILTIN_POLICY_NAMES) assert.equal(compiled.get(name)?.name, name);
  });

  test('read-only allows looking and nothing else', () => {
    const p = policy({}, 'read-only');
    for (const id of ['ContainerList', 'ContainerInspect', 'SystemPingHead', 'SystemEvents', 'ImageList', 'ImageInspect', 'VolumeList', 'NetworkInspect']) {
      assert.deepEqual(p.decide(opFacts(id)), allowed('read-only'), id);
    }
    for (const id of ['ContainerLogs', 'ContainerExport', 'ContainerArchive', 'ImageGet', 'ImageGetAll', 'ImageSearch', 'DistributionInspect', 'ContainerCreate', 'SecretList', 'ExecInspect', 'SwarmUnlockkey', 'ContainerAttachWebsocket', 'SystemAuth']) {
      assert.deepEqual(p.decide(opFacts(id)), defaultDenied(id), id);
    }
  });

  test('read-only allows exactly 18 operations, all of them GET or HEAD', () => {
    const p = policy({}, 'read-only');
    const allowedOps = OPERATIONS.filter((o) => p.decide(opFacts(o.id)).allowed);
    assert.equal(allowedOps.length, 18);
    for (const o of allowedOps) assert.ok(o.method === 'GET' || o.method === 'HEAD', o.id);
  });

  test('a config policy with a built-in name replaces it', () => {
    const p = policy({ 'read-only': { rules: [{ id: 'mine', allow: ['ContainerLogs'] }] } }, 'read-only');
    assert.deepEqual(p.decide(opFacts('ContainerLogs')), allowed('mine'));
    assert.deepEqual(p.decide(opFacts('ContainerList')), defaultDenied('ContainerList'));
  });
});

test('decisions are stable across repeated calls and mixed requests', () => {
  const p = policy(
    {
      ci: {
        rules: [
          { id: 'hup', allow: ['ContainerKill'], query: { signal: ['HUP'] } },
          { id: 'img', allow: ['GET /images/*/json'] },
          { id: 'read', allow: ['containers:read'] },
        ],
      },
    },
    'ci',
  );
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(p.decide(facts('POST', '/containers/x/kill?signal=HUP')), allowed('hup'));
    assert.deepEqual(p.decide(facts('POST', '/containers/x/kill')), defaultDenied('ContainerKill'));
    assert.deepEqual(p.decide(facts('GET', '/images/a/json')), allowed('img'));
    assert.deepEqual(p.decide(facts('GET', '/images/a/b/json')), defaultDenied('ImageInspect'));
    assert.deepEqual(p.decide(facts('GET', '/containers/json')), allowed('read'));
  }
});

describe('BuildKit channels need an explicit selector', () => {
  test('"*" and path patterns do not reach Session or GRPC; naming them does', () => {
    const star = policy({ p: { rules: [{ id: 'all', allow: ['*'] }, { id: 'paths', allow: ['POST /**'] }] } }, 'p');
    assert.equal(star.decide(facts('POST', '/grpc')).allowed, false);
    assert.equal(star.decide(facts('POST', '/session')).allowed, false);
    assert.equal(star.decide(facts('POST', '/containers/create')).allowed, true);
    const named = policy({ p: { rules: [{ id: 'bk', allow: ['buildkit:write'] }] } }, 'p');
    assert.deepEqual(named.decide(facts('POST', '/grpc')), allowed('bk'));
    assert.deepEqual(named.decide(facts('POST', '/session')), allowed('bk'));
  });
});
