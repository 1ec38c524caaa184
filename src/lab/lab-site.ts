/**
 * What the lab adds for the flagship site beyond bare hosts (the ACME server is src/lab/acme/lab.ts):
 * the site's name, which lab host is the load balancer, and random MySQL passwords kept in .lab/
 * (never committed) for inventory/lab.ts.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { labPaths } from './paths.ts';

/** The site's name in the lab: `.test` is reserved, and only the ACME server's DNS answers it. */
export const LAB_DOMAIN = 'www.shipshape.test';
/** The lab host that plays the load balancer (the ACME name points at it). */
export const LAB_LOAD_BALANCER = 'lb-01';
/** `lab up --ha`: the second load balancer, and the network the pair's floating address lives on. */
export const LAB_HA_PEER = 'lb-02';
export const LAB_HA_NETWORK = 'shipshape-lab-ha';
/** Docker allocates container addresses only from the lower half; the floating address is above it. */
export const LAB_HA_SUBNET = { subnet: '10.213.0.0/24', ipRange: '10.213.0.0/25', gateway: '10.213.0.1' };
export const LAB_HA_VIRTUAL_ADDRESS = '10.213.0.200';
export interface LabSecrets {
  mysqlAppPassword: string;
  mysqlReplicationPassword: string;
  mysqlExporterPassword: string;
}

const newPassword = () => randomBytes(18).toString('base64url');

/** Random passwords made once per lab, in a 0600 file beside the lab's SSH key. */
export function ensureLabSecrets(): LabSecrets {
  const file = labPaths.secrets();
  const existing = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<LabSecrets>) : {};
  const secrets: LabSecrets = {
    mysqlAppPassword: existing.mysqlAppPassword ?? newPassword(),
    mysqlReplicationPassword: existing.mysqlReplicationPassword ?? newPassword(),
    // Added with monitoring: a lab made before it gets this one on its next use.
    mysqlExporterPassword: existing.mysqlExporterPassword ?? newPassword(),
  };
  if (Object.keys(existing).length === Object.keys(secrets).length) return secrets;
  // A new file: created with mode 0600 (a umask can only take bits away), never readable by others.
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}
