// Start-up: what a user waits for before any command does its work. `--version` loads no model
// and no mathjs; `validate` loads the plug-ins, the schema, mathjs and one experiment.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../registry.js';
import { registerBench } from './index.js';

const bin = join(projectRoot, 'bin', 'faultsweep.js');

function startup(name: string, args: string[], maxMs: number): void {
  registerBench(name, () => ({
    name,
    unit: 'starts',
    opsPerCall: 1,
    maxMs,
    iterations: 10,
    warmups: 1,
    fn: () => {
      execFileSync(process.execPath, [bin, ...args], { cwd: projectRoot, stdio: 'ignore' });
    },
  }));
}

startup('startup-version', ['--version'], 500);
startup('startup-validate', ['validate', 'experiments/quickstart.yaml'], 1500);
