// The Node.js flags a BUL server process runs with. `bul start` re-executes itself with them when
// they are missing (bin/bul.js), and the benchmarks start their servers with them, so that what
// bench/ measures is the server as it runs.
//
// --max-semi-space-size: V8 sizes the young generation from the machine's memory (64 MiB on a
// 24 GiB machine) and, once a burst of requests has grown it, keeps it resident. BUL's requests
// allocate little that outlives them, so 8 MiB semi-spaces cost no measurable throughput and keep
// the resident memory of a server about 50 MiB lower (bench/README.md has the figures).
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=8'];

/**
 * The flags of `wanted` that neither the command line nor NODE_OPTIONS already sets (by name).
 * @param {readonly string[]} wanted
 * @param {readonly string[]} [execArgv]
 * @param {string} [nodeOptions]
 * @returns {string[]}
 */
export function missingNodeFlags(
  wanted,
  execArgv = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS,
) {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].map((f) => f.split('=')[0]);
  return wanted.filter((f) => !given.includes(f.split('=')[0]));
}
