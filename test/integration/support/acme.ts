/**
 * An ACME test server (pebble) for integration tests, on the same network as the given test host
 * and carrying the same test label, so the hosts' stop() removes it too. Also writes the ACME
 * endpoint's CA to a file, since certbot.certificate's caBundle is a path on the controller.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAcmeServer, type AcmeServer } from '../../../src/lab/acme-server.ts';
import { inspectContainer } from '../../../src/lab/docker.ts';
import { TEST_LABEL, type TestHost } from './lab-hosts.ts';

export interface TestAcmeServer extends AcmeServer {
  /** Local file holding caBundlePem (removed by stop()). */
  caBundlePath: string;
}

export async function startTestAcmeServer(
  neighbour: TestHost,
  options: { siteNames: string[]; resolveTo: string; certificateValiditySeconds?: number },
): Promise<TestAcmeServer> {
  const info = await inspectContainer(neighbour.containerId);
  const runId = info?.labels[TEST_LABEL];
  // The test network is the one whose name the harness derives from the run id.
  const network = Object.keys(info?.addresses ?? {}).find((name) => name.startsWith('shipshape-test-'));
  if (!runId || !network) throw new Error(`${neighbour.name}: not a test host (no ${TEST_LABEL} label or test network)`);
  const server = await startAcmeServer({
    network,
    siteNames: options.siteNames,
    resolveTo: options.resolveTo,
    labels: { [TEST_LABEL]: runId },
    containerName: `shipshape-test-${runId}-acme`,
    certificateValiditySeconds: options.certificateValiditySeconds,
  });
  const dir = mkdtempSync(join(tmpdir(), 'shipshape-acme-'));
  const caBundlePath = join(dir, 'acme-ca.pem');
  writeFileSync(caBundlePath, server.caBundlePem);
  return {
    ...server,
    caBundlePath,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
