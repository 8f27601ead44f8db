// `faultsweep convert-trace`: a din or lackey trace to faultsweep's compact binary format.
import { rmSync } from 'node:fs';
import { Argument, Option } from 'commander';
import { commands } from '../harness/registry.js';
import type { TraceFormat } from '../formats/trace.js';

commands.register({
  kind: 'convert-trace',
  add(program) {
    program
      .command('convert-trace')
      .description('Convert a din or lackey trace to the compact binary format (bin).')
      .addArgument(new Argument('<input>', 'the trace to convert'))
      .addOption(new Option('--format <format>', 'the input format').choices(['din', 'lackey']).makeOptionMandatory())
      .requiredOption('--out <file>', 'the binary trace to write')
      .addHelpText('after', '\nExample:\n  $ faultsweep convert-trace app.lackey --format lackey --out app.bin')
      .action(async (input: string, o: { format: TraceFormat; out: string }) => {
        const { BinTraceWriter, readTrace } = await import('../formats/trace.js');
        const w = new BinTraceWriter(o.out);
        try {
          readTrace(input, o.format, (kind, address) => w.write(kind, address));
        } catch (e) {
          w.close();
          rmSync(o.out); // ours, and half-written
          throw e;
        }
        w.close();
        console.log(`${input}: ${w.count} accesses -> ${o.out}`);
      });
  },
});
