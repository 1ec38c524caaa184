/**
 * `npx tsx bench/floor-ratio.ts DIR [--reps 5] [--trace FILE]`: shipshape's no-op of the full site
 * against the physical floor, alternating, on the shipshape hosts of a bench run that already
 * converged them (`npm run bench -- --keep`, or a run stopped after its shipshape converge; DIR is
 * its work directory, /tmp/shipshape-bench-PID). With --trace, one more no-op writes
 * SHIPSHAPE_TRACE to FILE. Prints each run, the medians and the ratio.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/lab/paths.ts';
import { floorScript } from './floor.ts';
import { GROUPS } from './inventories.ts';
import { median, Pacer } from './report.ts';
import { runFloor, runShipshape, timed } from './tools.ts';

const argv = process.argv.slice(2);
const get = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
const dir = argv[0];
const reps = Number(get('--reps') ?? 5);
const trace = get('--trace');

async function main(): Promise<void> {
  const inventoryFile = join(dir, 'shipshape-inventory.json');
  const inventory = JSON.parse(readFileSync(inventoryFile, 'utf8')) as { hosts: Record<string, { address: string; port: number }> };
  const playbook = join(PROJECT_ROOT, 'playbooks/site.ts');
  const targets = Object.entries(inventory.hosts).map(([name, host]) => ({
    name,
    address: host.address,
    port: host.port,
    user: 'deploy',
    script: floorScript({ groups: Object.entries(GROUPS).filter(([, members]) => members.includes(name)).map(([group]) => group), isPrimary: name === 'web-01' }, 'site'),
  }));
  // ufw `limit` on SSH (the site's rule): at most 5 new connections per host in 30 s.
  const pacer = new Pacer(5, 31_000);
  const noop: number[] = [];
  const floor: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    await pacer.wait('hosts');
    const ss = await runShipshape(playbook, inventoryFile);
    if (!ss.ok || ss.changed) throw new Error(`shipshape no-op: ok ${ss.ok}, changed ${ss.changed}\n${ss.output}`);
    await pacer.wait('hosts');
    const fl = await runFloor(targets, join(dir, 'id_ed25519'), join(dir, 'known_hosts'), dir);
    if (!fl.ok) throw new Error(`floor failed: ${fl.output}`);
    noop.push(ss.seconds);
    floor.push(fl.seconds);
    const load = (await timed('cat', ['/proc/loadavg'])).stdout.split(' ').slice(0, 3).join(' ');
    console.log(`run ${rep + 1}: shipshape no-op ${ss.seconds.toFixed(2)} s (engine ${(ss.detail.engineSeconds as number).toFixed(2)} s), floor ${fl.seconds.toFixed(2)} s, load ${load}`);
  }
  console.log(`medians of ${reps}: shipshape no-op ${median(noop).toFixed(2)} s, floor ${median(floor).toFixed(2)} s, ratio ${(median(noop) / median(floor)).toFixed(2)}×`);
  if (trace) {
    await pacer.wait('hosts');
    const run = await timed(process.execPath, [join(PROJECT_ROOT, 'bin/shipshape.js'), 'apply', playbook, '-i', inventoryFile, '--json'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, SHIPSHAPE_TRACE: trace },
    });
    console.log(`traced no-op: ${run.seconds.toFixed(2)} s, trace in ${trace}`);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
