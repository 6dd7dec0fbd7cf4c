import assert from 'node:assert/strict';
import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { decisionLog, type DecisionEntry } from '../../src/log/decision-log.js';
import { createLogger } from '../../src/log/logger.js';

function entry(decision: DecisionEntry['decision'], path: string): DecisionEntry {
  return { listener: 'l', remote: 'unix', client: 'c', method: 'GET', path, operation: 'ContainerList', decision, rule: 'r', status: 200, duration_ms: 1, bytes_in: 1, bytes_out: 1 };
}

async function lines(file: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The file is opened and written asynchronously: poll until `n` lines are there. */
async function linesOnce(file: string, n: number): Promise<Array<Record<string, unknown>>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const got = await lines(file);
    if (got.length >= n || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 20));
  }
}

it('log.file receives the lines, decisions: denied keeps only refusals, and reopen follows a rotation', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pc-log-'));
  try {
    const file = join(dir, 'sub', 'portcullis.log');
    const { logger, reopen } = createLogger('info', file);
    const denied = decisionLog(logger, 'denied');
    denied.record(entry('allow', '/a'));
    denied.record(entry('deny', '/b'));
    denied.record(entry('would_deny', '/c'));
    decisionLog(logger, 'none').record(entry('deny', '/d'));
    decisionLog(logger, 'all').record(entry('allow', '/e'));
    logger.flush();
    assert.deepEqual((await linesOnce(file, 3)).map((l) => l.path), ['/b', '/c', '/e']);

    await rename(file, `${file}.1`);
    reopen();
    logger.info('after rotation');
    logger.flush();
    assert.deepEqual((await linesOnce(file, 1)).map((l) => l.msg), ['after rotation']);
    assert.equal((await lines(`${file}.1`)).length, 3);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
