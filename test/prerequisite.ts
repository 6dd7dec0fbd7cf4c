/**
 * A test that needs something outside the repository (a tool, the Engine API spec beside the checkout).
 * Without it the test is skipped loudly, except under PORTCULLIS_REQUIRE_E2E=1 (CI), where it runs and
 * fails on `check()`: a run that claims to be complete must not lose coverage because a machine lacks a part.
 *
 *     const openssl = prerequisite('openssl', opensslProblem());
 *     it('...', { skip: openssl.skip }, () => { openssl.check(); ... });
 */
export interface Prerequisite {
  /** for the test's options: the reason to skip, or false when the test must run */
  readonly skip: string | false;
  /** throws when the prerequisite is missing; first thing in the test (or a `before` hook) */
  check(): void;
}

export function prerequisite(what: string, problem: string | undefined): Prerequisite {
  if (problem === undefined) return { skip: false, check() {} };
  const required = process.env.PORTCULLIS_REQUIRE_E2E === '1';
  process.stderr.write(
    required
      ? `!!! ${what} REQUIRED BUT MISSING: ${problem} (PORTCULLIS_REQUIRE_E2E=1)\n`
      : `!!! ${what} missing, its tests are SKIPPED: ${problem} — set PORTCULLIS_REQUIRE_E2E=1 to make this fatal\n`,
  );
  return {
    skip: required ? false : problem,
    check() {
      throw new Error(`${what} is missing: ${problem} (PORTCULLIS_REQUIRE_E2E=1)`);
    },
  };
}
