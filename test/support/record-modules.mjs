// Loaded with `node --import` (NODE_OPTIONS) by test/tracing.test.ts: records the URL of every
// module the process resolves, by import or by require (module.registerHooks, Node ≥ 22.15), one
// per line in the file named by BUL_TEST_MODULE_LOG, with the module that asked for it after a tab. It shows what a `bul start` really loads.
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const out = process.env.BUL_TEST_MODULE_LOG;
if (out) {
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      appendFileSync(out, `${resolved.url}\t${context.parentURL ?? ''}\n`);
      return resolved;
    },
  });
}
