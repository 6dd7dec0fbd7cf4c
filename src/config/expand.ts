export class ExpandError extends Error {
  override name = 'ExpandError';
}

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/**
 * Replaces `${NAME}` and `${NAME:-default}` with values from `env`; `$$` is a literal `$`.
 * As in POSIX shells, `:-` also applies when the variable is set but empty. A `$` followed by
 * anything else is kept as written, so values that merely contain a dollar sign need no escaping.
 */
export function expandEnv(value: string, env: NodeJS.ProcessEnv): string {
  let out = '';
  let i = 0;
  for (let dollar = value.indexOf('$'); dollar >= 0; dollar = value.indexOf('$', i)) {
    out += value.slice(i, dollar);
    const next = value[dollar + 1];
    if (next !== '{') {
      out += '$';
      i = dollar + (next === '$' ? 2 : 1);
      continue;
    }
    const close = value.indexOf('}', dollar + 2);
    if (close < 0) throw new ExpandError(`unterminated "\${" in ${JSON.stringify(value)}`);
    const body = value.slice(dollar + 2, close);
    const ref = REFERENCE.exec(body);
    if (!ref) {
      throw new ExpandError(
        `"\${${body}}" is not a variable reference: write \${NAME} or \${NAME:-default}, or $$ for a literal $`,
      );
    }
    const name = ref[1]!;
    const fallback = ref[2];
    const set = env[name];
    if (fallback !== undefined && (set === undefined || set === '')) out += fallback;
    else if (set !== undefined) out += set;
    else throw new ExpandError(`environment variable ${name} is not set (write \${${name}:-default} to give a default)`);
    i = close + 1;
  }
  return out + value.slice(i);
}
