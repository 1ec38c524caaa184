/** ufw: the host firewall (Debian/Ubuntu's uncomplicated firewall). */
import { moduleFunction } from '../../task/task.ts';
import { ufwFirewallModule } from './firewall.ts';

export { ufwFirewallModule };
export type { FirewallInput, FirewallArgs, FirewallRule } from './schema.ts';

/**
 * `ufw.firewall({ defaults: { incoming: 'deny' }, rules: [{ rule: 'allow', port: 22, proto: 'tcp' }] })`.
 * Refuses to enable a firewall that would not admit this SSH session, unless `force: true`.
 */
export const firewall = moduleFunction(ufwFirewallModule);
