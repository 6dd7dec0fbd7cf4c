/**
 * Capability names as dockerd reads CapAdd (oci/caps NormalizeLegacyCapabilities, 20.10 and
 * 26.1): Go's strings.ToUpper, then `ALL` as is, anything else with `CAP_` prefixed unless
 * present. No trimming: `" SYS_ADMIN"` becomes `CAP_ SYS_ADMIN`, which dockerd refuses.
 */

/**
 * Go's strings.ToUpper restricted to what can become a capability name: ASCII, plus the two
 * non-ASCII letters whose simple upper case is ASCII (U+0131 dotless i, U+017F long s). Any other
 * non-ASCII character stays non-ASCII in Go, so the name can never be a capability: null.
 * (JavaScript's toUpperCase differs: `ß` becomes `SS`, U+0149 becomes `ʼN`.)
 */
function goUpperCapabilityName(s: string): string | null {
  let out = '';
  for (const ch of s) {
    if (ch === '\u0131') out += 'I';
    else if (ch === '\u017f') out += 'S';
    else if (ch.charCodeAt(0) > 0x7f) return null;
    else out += ch >= 'a' && ch <= 'z' ? ch.toUpperCase() : ch;
  }
  return out;
}

/** `ALL`, or the `CAP_…` name dockerd looks up; null when it can only be an unknown capability. */
export function normalizeGoCapability(name: string): string | null {
  const upper = goUpperCapabilityName(name);
  if (upper === null) return null;
  if (upper === 'ALL') return 'ALL';
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}
