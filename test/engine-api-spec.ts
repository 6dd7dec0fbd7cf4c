/**
 * Where the Engine API spec is: beside the repository (`<repo>/../shared/reference/`), never at a path of
 * one machine; PORTCULLIS_ENGINE_API_SPEC overrides it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { prerequisite, type Prerequisite } from './prerequisite.js';

export const ENGINE_API_SPEC =
  process.env.PORTCULLIS_ENGINE_API_SPEC ?? fileURLToPath(new URL('../../shared/reference/docker-engine-api.swagger.yaml', import.meta.url));

export function engineApiSpec(): Prerequisite {
  return prerequisite(
    'the Engine API spec',
    existsSync(ENGINE_API_SPEC) ? undefined : `not found at ${ENGINE_API_SPEC} (it lives in ../shared/reference/ beside the repository; or set PORTCULLIS_ENGINE_API_SPEC)`,
  );
}
