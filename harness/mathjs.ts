// mathjs, loaded from its single-file bundle when first needed. Its ESM build is 1,262 modules:
// importing it cost every command, --version included, a second and a half of start-up, and
// opened so many files at once that worker threads died of EMFILE under `ulimit -n 1024`.
// The bundle is one file and loads in a tenth of a second.
import { createRequire } from 'node:module';

type MathJs = typeof import('mathjs');
let loaded: MathJs | undefined;

export function mathjs(): MathJs {
  return (loaded ??= createRequire(import.meta.url)('mathjs/lib/browser/math.js') as MathJs);
}
