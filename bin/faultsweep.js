#!/usr/bin/env node
// Even a failure to load faultsweep itself (EMFILE under a tiny descriptor limit, a missing build)
// is the harness's own failure: one line and exit 3, never a stack trace.
// A reader that stops early (`faultsweep list | head -n 1`) closes the pipe: stop quietly, as
// other command-line tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}
try {
  const { main } = await import('../dist/harness/cli.js');
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  console.error(`faultsweep: internal error: ${e?.message ?? e}`);
  process.exitCode = 3;
}
