#!/usr/bin/env node
// Even a failure to load faultsweep itself (EMFILE under a tiny descriptor limit, a missing build)
// is the harness's own failure: one line and exit 3, never a stack trace.
try {
  const { main } = await import('../dist/harness/cli.js');
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  console.error(`faultsweep: internal error: ${e?.message ?? e}`);
  process.exitCode = 3;
}
