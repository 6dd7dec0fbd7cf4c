// The run's own count of tests, kept beside the spec reporter's human output so that the runner can
// refuse a green run in which tests were skipped or none ran at all.
//
// The default export is a node:test reporter writing one JSON line per finished test (suites are not
// tests); `testSummary()` hands out reporter arguments for each `node --test` the runner starts and
// reads them back together at the end.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default async function* testSummaryReporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name, file, skip, todo, details } = event.data;
    if (details?.type === 'suite') {
      // A failing suite hook fails the suite without failing any test in it.
      if (event.type === 'test:fail') yield `${JSON.stringify({ outcome: 'suiteFail', name, file })}\n`;
      continue;
    }
    const outcome = event.type === 'test:fail' ? 'fail' : skip !== undefined ? 'skip' : todo !== undefined ? 'todo' : 'pass';
    const reason = typeof skip === 'string' ? skip : typeof todo === 'string' ? todo : undefined;
    yield `${JSON.stringify({ outcome, name, file, reason })}\n`;
  }
}

const reporterPath = fileURLToPath(import.meta.url);

/**
 * `args()` gives the reporter flags for one `node --test` run (spec on stdout plus this reporter to a file
 * of its own); `report()` prints the totals over every run and returns the exit code they call for.
 */
export function testSummary() {
  const dir = mkdtempSync(path.join(tmpdir(), 'pc-test-summary-'));
  const files = [];
  return {
    args() {
      const file = path.join(dir, `run-${files.length}.jsonl`);
      files.push(file);
      return ['--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${reporterPath}`, `--test-reporter-destination=${file}`];
    },
    /** `requireAll`: a skipped or todo test, or a run without tests, fails the run. */
    report({ requireAll, durationMs }) {
      const counts = { pass: 0, fail: 0, skip: 0, todo: 0, suiteFail: 0 };
      const notRun = [];
      for (const file of files) {
        let text = '';
        try {
          text = readFileSync(file, 'utf8');
        } catch {
          // The run died before its reporter wrote anything: it counts as no tests.
        }
        for (const line of text.split('\n')) {
          if (line === '') continue;
          const t = JSON.parse(line);
          counts[t.outcome] += 1;
          if (t.outcome === 'skip' || t.outcome === 'todo') notRun.push(t);
        }
      }
      rmSync(dir, { recursive: true, force: true });
      const total = counts.pass + counts.fail + counts.skip + counts.todo;
      for (const t of notRun) {
        const where = t.file === undefined ? '' : ` (${path.relative(process.cwd(), t.file)})`;
        console.error(`run-tests: ${t.outcome === 'skip' ? 'SKIPPED' : 'TODO'}: ${t.name}${where}${t.reason === undefined ? '' : `: ${t.reason}`}`);
      }
      const seconds = durationMs === undefined ? '' : ` in ${(durationMs / 1000).toFixed(1)} s`;
      const suites = counts.suiteFail === 0 ? '' : `, ${counts.suiteFail} suite(s) failed`;
      console.log(`run-tests: ${total} tests: ${counts.pass} passed, ${counts.fail} failed, ${counts.skip} skipped, ${counts.todo} todo${suites}${seconds}`);
      if (total === 0) {
        console.error('run-tests: no test ran');
        return 1;
      }
      if (requireAll && counts.skip + counts.todo > 0) {
        console.error(`run-tests: ${counts.skip + counts.todo} test(s) did not run and PORTCULLIS_REQUIRE_E2E=1: every test must run`);
        return 1;
      }
      return counts.fail + counts.suiteFail > 0 ? 1 : 0;
    },
  };
}
