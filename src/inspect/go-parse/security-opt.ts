import { parseGoBool } from './parse-bool.js';

/**
 * A HostConfig.SecurityOpt item as dockerd's parseSecurityOpt reads it (20.10, 26.1, and the
 * `writable-cgroups` option of later versions): the bare words `no-new-privileges`,
 * `writable-cgroups` and `disable` (SELinux labelling off); otherwise cut at the first `=`, or if
 * there is none at the first `:`, and the key matched exactly. No trimming, no case folding:
 * `" seccomp=unconfined"` and `SECCOMP=unconfined` are errors to dockerd, and null here.
 */
export type SecurityOpt =
  | { readonly key: 'no-new-privileges' | 'writable-cgroups'; readonly on: boolean }
  | { readonly key: 'label' | 'apparmor' | 'seccomp'; readonly value: string };

export function parseSecurityOpt(opt: string): SecurityOpt | null {
  if (opt === 'no-new-privileges' || opt === 'writable-cgroups') return { key: opt, on: true };
  if (opt === 'disable') return { key: 'label', value: 'disable' };
  const sep = opt.includes('=') ? '=' : opt.includes(':') ? ':' : null;
  if (sep === null) return null;
  const at = opt.indexOf(sep);
  const key = opt.slice(0, at);
  const value = opt.slice(at + 1);
  switch (key) {
    case 'label':
    case 'apparmor':
    case 'seccomp':
      return { key, value };
    case 'no-new-privileges':
    case 'writable-cgroups': {
      const on = parseGoBool(value);
      return on === null ? null : { key, on };
    }
    default:
      return null;
  }
}
