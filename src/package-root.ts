import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder of logtap's package.json, from source (src/) and from the build (dist/src/) alike. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'schemas')) || !existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find logtap\'s package folder (with schemas/) above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}
