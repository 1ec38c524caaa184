/**
 * Idempotence judged by the host, not by shipshape's `changed` count: a snapshot of state that a
 * run which changes nothing must leave exactly as it was, read with docker exec. A module that
 * rewrote a file with the same bytes (new inode or mtime), restarted a service (new MainPID),
 * re-issued a certificate (new serial) or re-pointed a replica while reporting "ok" shows up as a
 * difference between the snapshot before and after the second run.
 */
import { expect } from 'vitest';
import type { TestHost } from './lab-hosts.ts';

export interface HostStateSpec {
  /** Trees whose regular files and links keep their inode and mtime (one file system each). */
  paths?: string[];
  /** Units whose MainPID must not change; 'running' takes every running service. */
  services?: string[] | 'running';
  /** PEM certificates whose serial must not change. */
  certificates?: string[];
  /** This host is a MySQL replica: its replication source, threads and GTID sets must not change. */
  replica?: boolean;
}

/** The trees a module test's converge checks: where modules write configuration and code. */
export const CONFIG_TREES = ['/etc', '/srv', '/opt', '/usr/local', '/home', '/root'];

const REPLICA_FIELDS = ['Source_Host', 'Source_User', 'Replica_IO_Running', 'Replica_SQL_Running', 'Retrieved_Gtid_Set', 'Executed_Gtid_Set', 'Auto_Position'];

async function read(host: TestHost, cmd: string, input?: string): Promise<string> {
  const result = await host.shell(cmd, input);
  expect(result.exitCode, `${host.name}: ${cmd}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

/** `key → value` lines of one host's state; compare two with expectSameHostState. */
export async function snapshotHostState(host: TestHost, spec: HostStateSpec): Promise<Record<string, string>> {
  const state: Record<string, string> = {};
  if (spec.paths?.length) {
    const quoted = spec.paths.map((p) => `'${p.replace(/'/g, `'\\''`)}'`).join(' ');
    const out = await read(host, `find ${quoted} -xdev \\( -type f -o -type l \\) -printf '%i %T@\\t%p\\n' 2>/dev/null || true`);
    for (const line of out.split('\n').filter(Boolean)) {
      const tab = line.indexOf('\t');
      state[`file ${line.slice(tab + 1)}`] = `inode+mtime ${line.slice(0, tab)}`;
    }
  }
  if (spec.services) {
    const units =
      spec.services === 'running'
        ? (await read(host, 'systemctl list-units --type=service --state=running --plain --no-legend --no-pager'))
            .split('\n')
            .map((l) => l.split(' ')[0])
            // logind starts and stops a user's manager with their logins (shipshape's own SSH
            // session among them): it comes and goes with sessions, not with configuration.
            .filter((unit) => unit && !/^user(-runtime-dir)?@\d+\.service$/.test(unit))
        : spec.services;
    if (units.length) {
      const out = await read(host, `systemctl show -p Id -p MainPID -- ${units.map((u) => `'${u}'`).join(' ')}`);
      for (const block of out.split(/\n\s*\n/)) {
        const id = /^Id=(.*)$/m.exec(block)?.[1];
        if (id) state[`service ${id}`] = `MainPID ${/^MainPID=(.*)$/m.exec(block)?.[1]}`;
      }
    }
  }
  for (const cert of spec.certificates ?? []) {
    state[`certificate ${cert}`] = (await read(host, `openssl x509 -noout -serial -in '${cert}'`)).trim();
  }
  if (spec.replica) {
    const out = await read(host, 'mysql -E', 'SHOW REPLICA STATUS;');
    const fields = Object.fromEntries(out.split('\n').filter((l) => l.includes(': ')).map((l) => [l.slice(0, l.indexOf(':')).trim(), l.slice(l.indexOf(':') + 2)]));
    for (const field of REPLICA_FIELDS) state[`replica ${field}`] = fields[field] ?? '(none)';
  }
  return state;
}

/** The second snapshot equals the first: vitest's diff names each file, service or field that moved. */
export function expectSameHostState(before: Record<string, string>, after: Record<string, string>, what = 'host state'): void {
  expect(after, `${what} changed during a run that reported no change`).toEqual(before);
}

/** Snapshots of several hosts at once, each with its own spec. */
export function snapshotHosts(specs: Array<[TestHost, HostStateSpec]>): Promise<Array<Record<string, string>>> {
  return Promise.all(specs.map(([host, spec]) => snapshotHostState(host, spec)));
}

/** What a MySQL pair keeps through a no-op run: its configuration files, the server's PID, and on the replica its source and GTID sets. */
export const mysqlPairSpecs = (primary: TestHost, replica: TestHost): Array<[TestHost, HostStateSpec]> => [
  [primary, { paths: ['/etc/mysql'], services: ['mysql.service'] }],
  [replica, { paths: ['/etc/mysql'], services: ['mysql.service'], replica: true }],
];
