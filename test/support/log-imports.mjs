// `node --import <this file>`: records every module the process loads in $IMPORT_LOG, one
// file URL or path a line: ES modules as they are resolved (a loader hook, in the hooks
// thread), CommonJS ones (require, createRequire) from the require cache at exit.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.IMPORT_LOG, `${resolved.url}\n`);
  return resolved;
}

if (isMainThread) {
  register(import.meta.url);
  const cache = createRequire(import.meta.url).cache;
  process.on('exit', () => appendFileSync(process.env.IMPORT_LOG, Object.keys(cache).map((p) => `${p}\n`).join('')));
}
