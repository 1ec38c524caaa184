/**
 * The --ha lab end to end, as a user runs it: `lab up --ha`, `apply playbooks/site.ts -i
 * inventory/lab-ha.ts`, `lab proof`, `lab down`, each through the real CLI. Checked from outside
 * (docker exec, the lab ACME server's DNS, docker inspect), not through shipshape's own output:
 * the floating address on exactly one load balancer, the site's name resolving to it, the proof's
 * failover really moving it, and nothing left after `down`.
 *
 * The lab has fixed names (network shipshape-lab-ha, 10.213.0.0/24): it cannot run beside a user's
 * own --ha lab on the same engine. Its state goes to a directory of its own (SHIPSHAPE_LAB_DIR).
 */
import { execFile } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerExec, inspectContainer } from '../../src/lab/docker.ts';
import { LAB_DOMAIN } from '../../src/lab/lab-site.ts';
import type { LabState } from '../../src/lab/state.ts';
import { startCli } from './support/cli.ts';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-lab-ha-test-'));
const labDir = path.join(dir, 'lab');
// HOME of its own: nothing of the user's ~/.ssh is read or written.
const shipshape = (...args: string[]) => startCli(args, { SHIPSHAPE_LAB_DIR: labDir, HOME: dir }).done;

let state: LabState;
let down = false;

const loadBalancers = () => state.hosts.filter((host) => host.name.startsWith('lb-'));

/** Which load balancers carry the floating address, seen inside each container. */
async function holders(): Promise<string[]> {
  const found: string[] = [];
  for (const host of loadBalancers()) {
    const out = await dockerExec(host.containerId, 'ip -4 -o addr show');
    if (out.stdout.includes(` ${state.virtualAddress}/`)) found.push(host.name);
  }
  return found;
}

// A fresh four-host site (MySQL from sid, HAProxy, keepalived, two certificates) on a loaded machine.
const CONVERGE_TIMEOUT = 45 * 60_000;

beforeAll(async () => {
  const up = await shipshape('lab', 'up', '--ha');
  expect(up.code, up.stderr + up.stdout).toBe(0);
  state = JSON.parse(readFileSync(path.join(labDir, 'state.json'), 'utf8')) as LabState;
}, 10 * 60_000);

afterAll(async () => {
  if (!down) await shipshape('lab', 'down');
  rmSync(dir, { recursive: true, force: true });
}, 5 * 60_000);

describe('shipshape lab up --ha', () => {
  it('adds lb-02 and a floating address outside the addresses Docker hands out; the site name resolves to it', async () => {
    expect(state.hosts.map((host) => host.name).sort()).toEqual(['lb-01', 'lb-02', 'web-01', 'web-02']);
    expect(state.virtualAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(state.hosts.map((host) => host.address)).not.toContain(state.virtualAddress);
    const network = JSON.parse((await run('docker', ['network', 'inspect', state.network])).stdout)[0];
    const ipRange: string = network.IPAM.Config[0].IPRange;
    // The range Docker allocates from ends below the floating address.
    const [base, bits] = ipRange.split('/');
    const last = (Number(base.split('.')[3]) + 2 ** (32 - Number(bits)) - 1) as number;
    expect(Number(state.virtualAddress!.split('.')[3])).toBeGreaterThan(last);
    // The lab ACME server's DNS: where the CA sends the HTTP-01 challenge.
    const resolver = new Resolver();
    resolver.setServers([`${state.acme!.address}:8053`]);
    expect(await resolver.resolve4(LAB_DOMAIN)).toEqual([state.virtualAddress]);
  });

  it('converges with playbooks/site.ts and inventory/lab-ha.ts: keepalived on both, the address on exactly one', async () => {
    const apply = await shipshape('apply', 'playbooks/site.ts', '-i', 'inventory/lab-ha.ts', '--json');
    const failures = apply.stdout.split('\n').filter((line) => line.includes('"status":"failed"'));
    expect(failures, apply.stderr).toEqual([]);
    expect(apply.code, apply.stderr).toBe(0);
    for (const host of loadBalancers()) {
      const active = await dockerExec(host.containerId, 'systemctl is-active keepalived haproxy');
      expect(active.stdout, host.name).toBe('active\nactive\n');
    }
    expect(await holders()).toHaveLength(1);
    // Backend TLS on the pair: the CA (and its key) on lb-01 only, its certificate on both, and the
    // web hosts' certificates verify against it from the second load balancer too.
    const [lb1, lb2] = ['lb-01', 'lb-02'].map((name) => state.hosts.find((host) => host.name === name)!);
    const caCert = (await dockerExec(lb1.containerId, 'cat /etc/shipshape/ca/ca.crt')).stdout;
    expect(caCert).toContain('BEGIN CERTIFICATE');
    expect((await dockerExec(lb2.containerId, 'cat /etc/haproxy/backend-ca.crt')).stdout).toBe(caCert);
    expect((await dockerExec(lb2.containerId, 'test -e /etc/shipshape/ca')).exitCode).not.toBe(0);
    for (const web of state.hosts.filter((host) => host.name.startsWith('web-'))) {
      const health = await dockerExec(lb2.containerId, `curl -s -o /dev/null -w '%{http_code}' --cacert /etc/haproxy/backend-ca.crt https://${web.address}/health`);
      expect(health.stdout, web.name).toBe('200');
    }
  }, CONVERGE_TIMEOUT);

  it('lab proof serves the site through the floating address and shows a failover that really moves it', async () => {
    const [before] = await holders();
    const proof = await shipshape('lab', 'proof');
    expect(proof.code, proof.stdout + proof.stderr).toBe(0);
    expect(proof.stdout).toContain(`Floating address ${state.virtualAddress}: held by ${before}`);
    const after = await holders();
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before);
    expect(proof.stdout).toContain(`→ ${after[0]} holds ${state.virtualAddress}`);
    // The proof started HAProxy again on the node it stopped.
    const previous = loadBalancers().find((host) => host.name === before)!;
    expect((await dockerExec(previous.containerId, 'systemctl is-active haproxy')).stdout.trim()).toBe('active');
    console.log(`lab proof (--ha):\n${proof.stdout}`);
  }, 10 * 60_000);

  it('lab down removes the containers, the ACME server and the network', async () => {
    const ids = [...state.hosts.map((host) => host.containerId), state.acme!.containerId];
    const result = await shipshape('lab', 'down');
    down = true;
    expect(result.code, result.stderr).toBe(0);
    for (const id of ids) expect(await inspectContainer(id)).toBeUndefined();
    const network = await run('docker', ['network', 'inspect', state.network]).then(
      () => 'present',
      () => 'gone',
    );
    expect(network).toBe('gone');
  }, 5 * 60_000);
});
