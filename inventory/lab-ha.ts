/**
 * The local lab with two load balancers (`shipshape lab up --ha`): lb-01 and lb-02 share the
 * site's floating address through keepalived; the lab's ACME DNS points the site's name at it.
 * Everything else is inventory/lab.ts.
 */
import { ConfigError, defineInventory } from 'shipshape';
import { labPaths, requireLabState } from 'shipshape/lab';
import lab from './lab.ts';

const state = requireLabState();
if (!state.virtualAddress || !state.hosts.some((host) => host.name === 'lb-02')) {
  throw new ConfigError(`${labPaths.state()}: the lab has no second load balancer or floating address; run \`shipshape lab up --ha\``, { file: labPaths.state() });
}

export default defineInventory<Record<string, unknown>>({
  ...lab,
  groups: { ...lab.groups, lb: { hosts: ['lb-01', 'lb-02'] } },
  // /24: the lab network's prefix, so the address is an ordinary secondary address on eth0.
  vars: { ...lab.vars, virtualAddress: `${state.virtualAddress}/24` },
});
