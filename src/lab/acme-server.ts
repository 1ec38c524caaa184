/**
 * The lab's ACME test server: a container of `shipshape-acme` (the lab image plus Debian's pebble)
 * on the lab network. pebble is a real RFC 8555 server: certbot on a lab host orders from it and
 * its validator really fetches http://<site name>/.well-known/acme-challenge/... from the address
 * pebble-challtestsrv's DNS gives for the site names (the load balancer's). Nothing leaves the lab
 * network: the names are test names answered only by that DNS.
 */
import { LabError } from '../errors.ts';
import { dockerExec, ensureNetwork, inspectContainer, removeContainers, type Labels } from './docker.ts';
import { expectOk, httpPostJson, httpsGet } from './acme/http.ts';
import { ensureAcmeImage } from './acme/image.ts';
import { ACME_PORTS, ACME_STATE_DIR } from './acme/recipe.ts';
import { ensureLabImage } from './image.ts';
import { runLocal } from './process.ts';
import { importDynamic } from '../util/dynamic-import.ts';

// Ryuk cannot be pulled here (see hosts.ts); testcontainers reads this when it loads.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

const READY_TIMEOUT_MS = 60_000;

export interface AcmeServerOptions {
  /** Docker network the lab hosts are on (the server must reach the load balancer and vice versa). */
  network: string;
  /** Names that get a certificate; their A record points at `resolveTo`. */
  siteNames: string[];
  /** Address the site names resolve to: the load balancer's, where HTTP-01 is answered. */
  resolveTo: string;
  /** Put on the container; `lab down`/test cleanup remove containers by label. */
  labels: Labels;
  /** Docker container name (optional, for a readable `docker ps`). */
  containerName?: string;
  /** Network alias of the container; also a name in its TLS certificate. */
  alias?: string;
  /** The lab image to derive from; default: the current lab image (built if missing). */
  baseImage?: string;
  /** Lifetime of issued certificates in seconds (default: pebble's 5 years); short ones test renewal. */
  certificateValiditySeconds?: number;
  log?: (line: string) => void;
}

export interface AcmeServer {
  containerId: string;
  address: string;
  /** `https://<address>:14000/dir`: certbot's `--server`. */
  directoryUrl: string;
  /** PEM of the CA that signed the ACME endpoint's TLS certificate (certbot's REQUESTS_CA_BUNDLE). */
  caBundlePem: string;
  /** The root that issues certificates in this run of pebble (it makes a new one at every start). */
  fetchIssuerRoot(): Promise<string>;
  /** Points more names at an address (pebble-challtestsrv's `add-a`). */
  addSiteNames(names: string[], address: string): Promise<void>;
  /** Removes the container. */
  stop(): Promise<void>;
}

/** The label every ACME server container carries (the lab tells it apart from its hosts by it). */
export const ACME_ROLE_LABEL = 'shipshape.role';
export const ACME_ROLE = 'acme-server';

export async function startAcmeServer(options: AcmeServerOptions): Promise<AcmeServer> {
  const log = options.log ?? (() => {});
  const baseImage = options.baseImage ?? (await ensureLabImage(log)).tag;
  const { tag } = await ensureAcmeImage(baseImage, log);
  await ensureNetwork(options.network, options.labels);
  const { GenericContainer } = await importDynamic<typeof import('testcontainers')>('testcontainers');
  let container = new GenericContainer(tag)
    .withLabels({ ...options.labels, [ACME_ROLE_LABEL]: ACME_ROLE })
    .withNetworkMode(options.network)
    .withEnvironment(options.certificateValiditySeconds ? { SHIPSHAPE_ACME_VALIDITY: String(options.certificateValiditySeconds) } : {});
  if (options.alias) container = container.withNetworkAliases(options.alias).withHostname(options.alias);
  if (options.containerName) container = container.withName(options.containerName);
  const started = await container.start();
  const containerId = started.getId();
  try {
    const server = await connectAcmeServer(containerId, options.network);
    await server.addSiteNames(options.siteNames, options.resolveTo);
    return server;
  } catch (error) {
    await removeContainers([containerId]);
    throw error;
  }
}

/**
 * A handle on an ACME server container that is already running (started by `startAcmeServer`,
 * maybe in an earlier process such as a previous `lab up`): waits until pebble answers.
 */
export async function connectAcmeServer(containerId: string, network: string): Promise<AcmeServer> {
  const info = await inspectContainer(containerId);
  const address = info?.addresses[network];
  if (!info?.running || !address) throw new LabError(`ACME server container ${containerId.slice(0, 12)} is not running on network ${network}`);
  const base = `https://${address}:${ACME_PORTS.acme}`;
  const caBundlePem = await waitForEndpointCa(containerId);
  await waitForDirectory(`${base}/dir`, caBundlePem, containerId);
  return {
    containerId,
    address,
    directoryUrl: `${base}/dir`,
    caBundlePem,
    async fetchIssuerRoot() {
      const url = `https://${address}:${ACME_PORTS.management}/roots/0`;
      return expectOk(await httpsGet(url, caBundlePem), `GET ${url}`);
    },
    async addSiteNames(names, target) {
      for (const host of names) {
        const url = `http://${address}:${ACME_PORTS.dnsManagement}/add-a`;
        expectOk(await httpPostJson(url, { host, addresses: [target] }), `POST ${url} (${host} → ${target})`);
      }
    },
    stop: () => removeContainers([containerId]),
  };
}

/** The start script writes the CA first, then starts pebble: read it once the server cert exists too. */
async function waitForEndpointCa(containerId: string): Promise<string> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const result = await dockerExec(containerId, `test -s ${ACME_STATE_DIR}/cert.pem && cat ${ACME_STATE_DIR}/ca.pem`);
    if (result.exitCode === 0 && result.stdout.includes('BEGIN CERTIFICATE')) return result.stdout;
    await delay(200);
  }
  throw new LabError(`ACME server: no endpoint CA in ${ACME_STATE_DIR} after ${READY_TIMEOUT_MS / 1000} s${await logTail(containerId)}`);
}

async function waitForDirectory(url: string, ca: string, containerId: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const answer = await httpsGet(url, ca);
      if (answer.status === 200 && answer.body.includes('newOrder')) return;
      last = `HTTP ${answer.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await delay(200);
  }
  throw new LabError(`ACME server: ${url} did not answer within ${READY_TIMEOUT_MS / 1000} s (${last})${await logTail(containerId)}`);
}

async function logTail(containerId: string): Promise<string> {
  const logs = await runLocal('docker', ['logs', '--tail', '20', containerId], { allowFailure: true });
  const text = `${logs.stdout}${logs.stderr}`.trim();
  return text ? `\ncontainer log:\n${text}` : '';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
