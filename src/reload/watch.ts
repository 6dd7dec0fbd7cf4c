import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/** Changes arriving within this window (an editor's write-then-rename) make one reload. */
const SETTLE_MS = 200;

/**
 * Calls `onChange` after the file changes. The directory is watched rather than the file, because
 * editors and Kubernetes ConfigMaps replace the file (rename, symlink swap) instead of writing
 * into it, and a watch on the file itself would follow the old inode and go silent.
 */
export function watchConfigFile(file: string, onChange: () => void, onError: (error: Error) => void): { close(): void } {
  const path = resolve(file);
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
    // ConfigMaps swap a "..data" symlink: the file's own name never appears in the event.
    if (changed !== null && changed !== name && !changed.startsWith('..')) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, SETTLE_MS);
  });
  watcher.on('error', (error) => {
    watcher.close();
    onError(error);
  });
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
