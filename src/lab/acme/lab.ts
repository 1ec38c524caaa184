/**
 * The ACME server as part of `lab up`: kept when already running from the current image (pebble's
 * roots and accounts live only in its memory, so a kept server keeps issued certificates valid),
 * otherwise (re)started; the site names are pointed at the load balancer again either way (its
 * address changes when its container is recreated). The endpoint CA is written where the lab
 * inventory's `acmeCaBundle` points.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { ACME_ROLE, ACME_ROLE_LABEL, connectAcmeServer, startAcmeServer, type AcmeServer } from '../acme-server.ts';
import { containersWithLabels, inspectContainer, removeContainers, type Labels } from '../docker.ts';
import { labDir, labPaths } from '../paths.ts';
import { acmeImageTag } from './recipe.ts';


export interface LabAcmeOptions {
  /** The lab's labels (`shipshape.lab=<id>`): `lab down` removes the server with the hosts. */
  labels: Labels;
  network: string;
  /** The lab image the hosts run (the ACME image derives from it). */
  baseImage: string;
  siteNames: string[];
  /** The load balancer's address on the lab network. */
  resolveTo: string;
  /** Docker container name, e.g. `shipshape-lab-<id>-acme`. */
  containerName?: string;
  log?: (line: string) => void;
}

export interface LabAcmeServer extends AcmeServer {
  /** `.lab/acme-ca.pem`: the inventory's `acmeCaBundle`. */
  caBundlePath: string;
  kept: boolean;
}

/** Whether a container of this lab is the ACME server (lab up must not treat it as a stale host). */
export function isAcmeContainer(labels: Labels): boolean {
  return labels[ACME_ROLE_LABEL] === ACME_ROLE;
}

export async function ensureLabAcmeServer(options: LabAcmeOptions): Promise<LabAcmeServer> {
  const tag = acmeImageTag(options.baseImage);
  let server: AcmeServer | undefined;
  const stale: string[] = [];
  for (const id of await containersWithLabels({ ...options.labels, [ACME_ROLE_LABEL]: ACME_ROLE })) {
    const info = await inspectContainer(id);
    if (!server && info?.running && info.image === tag && info.addresses[options.network]) {
      server = await connectAcmeServer(id, options.network);
      await server.addSiteNames(options.siteNames, options.resolveTo);
    } else {
      stale.push(id);
    }
  }
  await removeContainers(stale);
  const kept = server !== undefined;
  server ??= await startAcmeServer({
    network: options.network,
    siteNames: options.siteNames,
    resolveTo: options.resolveTo,
    labels: options.labels,
    containerName: options.containerName,
    baseImage: options.baseImage,
    log: options.log,
  });
  const caBundlePath = labPaths.acmeCaBundle();
  mkdirSync(labDir(), { recursive: true });
  writeFileSync(caBundlePath, server.caBundlePem);
  return { ...server, caBundlePath, kept };
}
