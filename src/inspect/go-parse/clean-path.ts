/**
 * Go's path.Clean (dockerd cleans bind sources and targets with it; on Linux filepath.ToSlash
 * changes nothing, so a backslash is an ordinary file name character): repeated `/` collapse, `.`
 * goes, `..` removes the element before it (and stays at the start of a relative path), `..` at
 * the root is the root, no trailing `/` except for the root, and the empty path is `.`.
 */
export function goCleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const elem of p.split('/')) {
    if (elem === '' || elem === '.') continue;
    if (elem !== '..') out.push(elem);
    else if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (!rooted) out.push('..');
  }
  const joined = out.join('/');
  if (rooted) return '/' + joined;
  return joined === '' ? '.' : joined;
}
