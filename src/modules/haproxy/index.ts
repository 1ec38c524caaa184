/** haproxy: HAProxy's runtime state, through its admin socket. */
import { moduleFunction } from '../../task/task.ts';
import { haproxyServerModule } from './server.ts';

export { haproxyServerModule };
export type { HaproxyServerArgs, HaproxyServerInput } from './schema.ts';

/**
 * `haproxy.server({ backend: 'web', server: 'web-1', state: 'drain', loadBalancers: ['lb-1'] })`:
 * drains / readies a backend server on every listed load balancer, waiting (bounded) for its
 * sessions to end or for HAProxy to see it UP.
 */
export const server = moduleFunction(haproxyServerModule);
