/**
 * The setup CLI tests on one lab host share: the host started before the file's tests, a temporary
 * directory for inventories and playbooks, both removed after them, and the JSON inventory that
 * reaches the host as the lab does (deploy with become, the lab's key and known_hosts). Call
 * `useCliHost` at the top level of a test file: it registers vitest's beforeAll/afterAll, ahead of
 * the file's own hooks.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startTestHosts, type TestHost, type TestHosts } from './lab-hosts.ts';

export interface CliHost {
  /** The temporary directory (exists from the start; removed after the file's tests). */
  readonly dir: string;
  /** The started host (only inside tests and hooks, after beforeAll). */
  readonly host: TestHost;
  /** Writes a JSON inventory for the host, with `vars` as its global vars, into `dir`; returns its path. */
  writeInventory(file: string, vars?: Record<string, unknown>): string;
}

export function useCliHost(name: string, dirPrefix: string): CliHost {
  const dir = mkdtempSync(path.join(tmpdir(), dirPrefix));
  let lab: TestHosts | undefined;
  let host: TestHost | undefined;

  beforeAll(async () => {
    lab = await startTestHosts([name]);
    host = lab.hosts[0];
  });

  afterAll(async () => {
    await lab?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const started = (): TestHost => {
    if (!host) throw new Error(`the lab host ${name} is not started yet (use it inside tests or hooks)`);
    return host;
  };

  return {
    dir,
    get host() {
      return started();
    },
    writeInventory(file, vars) {
      const target = started();
      const inventory = {
        defaults: { user: 'deploy', become: true, privateKey: target.privateKeyPath, knownHosts: target.knownHostsPath },
        hosts: { [target.name]: { address: target.address, port: target.port } },
        ...(vars ? { vars } : {}),
      };
      const written = path.join(dir, file);
      writeFileSync(written, JSON.stringify(inventory));
      return written;
    },
  };
}
