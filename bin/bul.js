#!/usr/bin/env node
// Entry point of the `bul` command. BUL's sources are TypeScript that Node (>= 22.18 / 24) runs
// directly by stripping types; there is no build step for the server.
import { main } from '../src/main.ts';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`bul: ${err?.stack ?? err}\n`);
    process.exitCode = 1;
  },
);
