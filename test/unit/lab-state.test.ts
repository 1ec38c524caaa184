import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { knownHostsLine, knownHostsText, parsePublicKeyFile } from '../../src/lab/known-hosts.ts';
import { parseHostList } from '../../src/lab/lab.ts';
import { LAB_HA_NETWORK, LAB_HA_SUBNET, LAB_HA_VIRTUAL_ADDRESS } from '../../src/lab/lab-site.ts';
import { readLabState, requireLabState, writeLabState, type LabState } from '../../src/lab/state.ts';

const dirs: string[] = [];
function tempFile(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lab-state-'));
  dirs.push(dir);
  return join(dir, name);
}
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const state: LabState = {
  labId: 'ab12cd34',
  image: 'shipshape-lab:0123456789ab',
  network: 'shipshape-lab',
  knownHosts: '/x/.lab/known_hosts',
  privateKey: '/x/.lab/id_ed25519',
  hosts: [{ name: 'web-01', containerId: 'c0ffee', address: '172.18.0.2', port: 22, user: 'deploy', privateKey: '/x/.lab/id_ed25519' }],
};

describe('lab state file', () => {
  it('round-trips through write and read', () => {
    const path = tempFile('state.json');
    writeLabState(state, path);
    expect(readLabState(path)).toEqual(state);
  });

  it('keeps the --ha lab floating address and its subnet keeps it out of Docker allocation', () => {
    const path = tempFile('state.json');
    writeLabState({ ...state, network: LAB_HA_NETWORK, virtualAddress: LAB_HA_VIRTUAL_ADDRESS }, path);
    expect(readLabState(path)?.virtualAddress).toBe(LAB_HA_VIRTUAL_ADDRESS);
    // Docker allocates from ipRange only: the floating address must be in the subnet, outside the range.
    const [net, rangeBits] = LAB_HA_SUBNET.ipRange.split('/');
    const toInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
    const size = 2 ** (32 - Number(rangeBits));
    expect(toInt(LAB_HA_VIRTUAL_ADDRESS) - toInt(net)).toBeGreaterThanOrEqual(size);
    expect(LAB_HA_VIRTUAL_ADDRESS.startsWith(LAB_HA_SUBNET.subnet.split('.').slice(0, 3).join('.'))).toBe(true);
  });

  it('is undefined when missing, and requireLabState says to run lab up', () => {
    const path = tempFile('state.json');
    expect(readLabState(path)).toBeUndefined();
    expect(() => requireLabState(path)).toThrow(ConfigError);
    expect(() => requireLabState(path)).toThrow(/shipshape lab up/);
  });

  it('names the bad field of a damaged state file', () => {
    const path = tempFile('state.json');
    writeFileSync(path, JSON.stringify({ ...state, hosts: [{ ...state.hosts[0], port: 'x' }] }));
    expect(() => readLabState(path)).toThrow(/hosts\[0\]\.port/);
  });
});

describe('known_hosts lines', () => {
  it('uses the bare address on port 22 and [address]:port otherwise', () => {
    expect(knownHostsLine({ address: '172.18.0.2', port: 22, key: 'ssh-ed25519 AAAAC3Nz' })).toBe('172.18.0.2 ssh-ed25519 AAAAC3Nz');
    expect(knownHostsLine({ address: '127.0.0.1', port: 2222, key: 'ssh-ed25519 AAAAC3Nz' })).toBe('[127.0.0.1]:2222 ssh-ed25519 AAAAC3Nz');
    expect(knownHostsText([])).toBe('');
  });

  it('drops the comment of a .pub file and rejects garbage', () => {
    expect(parsePublicKeyFile('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA root@web-01\n', 'f')).toBe('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA');
    expect(() => parsePublicKeyFile('cat: /etc/ssh/x: No such file', 'web-01:/etc/ssh/x')).toThrow(/web-01:\/etc\/ssh\/x/);
  });
});

describe('lab up --hosts', () => {
  it('accepts a comma-separated list of host names', () => {
    expect(parseHostList('lb-01, web-01,web-02')).toEqual(['lb-01', 'web-01', 'web-02']);
  });

  it('rejects invalid, empty and duplicate names', () => {
    expect(() => parseHostList('Web_01')).toThrow(/not a valid host name/);
    expect(() => parseHostList(' , ')).toThrow(/at least one/);
    expect(() => parseHostList('a,a')).toThrow(/listed twice/);
  });
});
