// A one-node Slurm cluster for the tests, on this machine: munged, slurmctld and slurmd from
// Debian's munge and slurm-wlm, every file under one temporary folder, ports picked at random, no
// accounting database (faultsweep falls back from sacct to scontrol). stop() kills all three.
import { execa, type ResultPromise } from 'execa';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';

export interface Cluster {
  env: Record<string, string>;
  stop(): Promise<void>;
}

const NODE = 'fsnode';

export async function startCluster(dir: string): Promise<Cluster> {
  for (const d of ['state', 'spool', 'log']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(dir, 0o755); // munged refuses a socket in a folder others cannot reach
  const key = join(dir, 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const socket = join(dir, 'munge.sock');
  const port = 20000 + Math.floor(Math.random() * 20000);
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=faultsweep-test',
      `SlurmctldHost=${hostname().split('.')[0]}(127.0.0.1)`,
      `SlurmctldPort=${port}`,
      `SlurmdPort=${port + 1}`,
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
      // No cgroups and no accounting database in a test sandbox.
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'JobCompType=jobcomp/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      'MpiDefault=none',
      'ReturnToService=2',
      `NodeName=${NODE} NodeAddr=127.0.0.1 NodeHostname=${hostname()} CPUs=${availableParallelism()} State=UNKNOWN`,
      'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
    ].join('\n') + '\n',
  );
  const env = { SLURM_CONF: conf };
  const daemons: ResultPromise[] = [];
  const start = (cmd: string, args: string[]) => daemons.push(execa(cmd, args, { env, reject: false, stdio: ['ignore', 'ignore', 'pipe'] }));
  const stop = async () => {
    for (const d of daemons) d.kill('SIGTERM');
    await Promise.race([Promise.all(daemons), sleep(10_000)]);
    for (const d of daemons) d.kill('SIGKILL');
    await Promise.all(daemons);
  };
  try {
    start('munged', ['-F', '-f', `--key-file=${key}`, `--socket=${socket}`, `--pid-file=${join(dir, 'munged.pid')}`, `--seed-file=${join(dir, 'munge.seed')}`, `--log-file=${join(dir, 'log', 'munged.log')}`]);
    for (let i = 0; i < 50 && !(await execa('munge', ['-S', socket, '-n'], { reject: false })).stdout; i++) await sleep(100);
    start('slurmctld', ['-D', '-i', '-f', conf]);
    start('slurmd', ['-D', '-f', conf, '-N', NODE]);
    for (let i = 0; ; i++) {
      const info = await execa('sinfo', ['-h', '-o', '%t'], { env, reject: false });
      if (info.stdout.trim() === 'idle') break;
      if (i === 100) throw new Error(`the test cluster did not come up (sinfo: ${info.stdout}${info.stderr}); logs in ${join(dir, 'log')}`);
      await sleep(200);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { env, stop };
}
