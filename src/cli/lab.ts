/**
 * `shipshape lab up|down|status`: local containerized Debian 13 hosts to try playbooks on.
 */
import type { Command } from 'commander';
import { stopStartedDockerd } from '../lab/docker-engine.ts';
import { labProof } from '../lab/proof.ts';
import { DEFAULT_LAB_HOSTS, labDown, labStatus, labUp, parseHostList, sshCommandLine } from '../lab/lab.ts';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function registerLabCommand(program: Command): void {
  const lab = program.command('lab').description('local lab: containerized Debian 13 hosts with systemd and sshd');

  lab
    .command('up')
    .description('start the lab hosts (idempotent: running hosts are kept) and write .lab/state.json for inventory/lab.ts')
    .option('--hosts <names>', 'comma-separated host names', DEFAULT_LAB_HOSTS.join(','))
    .option('--ha', 'two load balancers (adds lb-02) with a floating address; drive it with inventory/lab-ha.ts')
    .action(async (options: { hosts: string; ha?: boolean }) => {
      const names = parseHostList(options.hosts);
      const result = await labUp(names, (line) => console.log(`lab: ${line}`), { ha: options.ha });
      const { timings } = result;
      console.log(
        `lab ${result.state.labId}: ${result.started.length} started, ${result.kept.length} kept` +
          (result.removed.length ? `, ${result.removed.length} removed (${result.removed.join(', ')})` : '') +
          ` (image ${result.imageBuilt ? 'built' : 'cached'} ${seconds(timings.imageMs)}, hosts ${seconds(timings.hostsMs)})`,
      );
      for (const host of result.state.hosts) console.log(`  ${host.name.padEnd(10)} ${sshCommandLine(result.state, host)}`);
      if (result.state.virtualAddress) console.log(`Floating address: ${result.state.virtualAddress}`);
      console.log(`Inventory: ${result.state.virtualAddress ? 'inventory/lab-ha.ts' : 'inventory/lab.ts'}`);
    });

  lab
    .command('down')
    .description('remove the lab containers and network (only those `lab up` started)')
    .option('--stop-engine', 'also stop the dockerd that `lab up` started, if it started one')
    .action(async (options: { stopEngine?: boolean }) => {
      const result = await labDown();
      console.log(`lab: removed ${result.removedContainers} container(s)${result.removedNetwork ? ' and the network' : ''}`);
      if (options.stopEngine && (await stopStartedDockerd())) console.log('lab: stopped the dockerd it had started');
    });

  lab
    .command('status')
    .description('show the lab hosts and whether they are running')
    .action(async () => {
      const { state, hosts } = await labStatus();
      if (!state) {
        console.log('lab: not up (run `shipshape lab up`)');
        return;
      }
      console.log(`lab ${state.labId} (image ${state.image})`);
      for (const host of hosts) console.log(`  ${host.name.padEnd(10)} ${host.status.padEnd(8)} ${host.address}  ${host.containerId.slice(0, 12)}`);
      if (hosts.some((host) => host.status !== 'running')) process.exitCode = 1;
    });

  lab
    .command('proof')
    .description('show that the provisioned site works: HTTPS round robin through the load balancer, replication')
    .action(async () => {
      const ok = await labProof((line) => console.log(line));
      if (!ok) process.exitCode = 1;
    });
}
