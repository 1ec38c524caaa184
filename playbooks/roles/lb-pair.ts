import { apt, file, http, service, sysctl, user, type HostView, type TaskList } from 'shipshape';
import { lbPair, siteVars } from './site-vars.ts';

const SCRIPT_USER = 'keepalived_script';

/**
 * Two load balancers, one floating address: keepalived (VRRP over unicast between the private
 * addresses) gives the site's public address to the node whose HAProxy runs; the other takes it
 * within a few seconds when that HAProxy or its whole node dies. Nothing here when the site has
 * one load balancer.
 */
export function lbPairRole(host: HostView): TaskList {
  const pair = lbPair(host);
  if (!pair) return [];
  const vars = siteVars(host);
  return [
    // HAProxy binds the wildcard today; this lets a config bind the floating address itself on
    // the node that does not hold it yet (keepalived's usual companion setting).
    sysctl({ key: 'net.ipv4.ip_nonlocal_bind', value: 1 }, { name: 'bind the floating address before holding it', tags: ['lb', 'ha'] }),
    apt.packages({ names: ['keepalived'] }, { name: 'keepalived', tags: ['packages', 'lb', 'ha'] }),
    user({ name: SCRIPT_USER, system: true, createHome: false, shell: '/usr/sbin/nologin', comment: 'keepalived check scripts' }, { tags: ['lb', 'ha'] }),
    file.template(
      {
        src: '../templates/keepalived.conf.ejs',
        dest: '/etc/keepalived/keepalived.conf',
        mode: '0644',
        validate: 'keepalived -t -f %s',
        vars: {
          routerName: host.name,
          scriptUser: SCRIPT_USER,
          checkScript: '/usr/bin/pgrep -x haproxy',
          iface: vars.vrrpInterface,
          routerId: vars.vrrpRouterId,
          // 150 and 100, and a dead HAProxy costs 60: below the peer either way.
          priority: pair.first ? 150 : 100,
          preempt: vars.vrrpPreempt,
          self: pair.self,
          peer: pair.peer,
          address: pair.address,
          prefix: pair.prefix,
        },
      },
      { name: 'keepalived configuration', notify: 'reload keepalived', tags: ['lb', 'ha'] },
    ),
    service({ name: 'keepalived', state: 'started', enabled: true }, { name: 'keepalived running', tags: ['lb', 'ha'] }),
  ];
}

/**
 * After the handlers ran (HAProxy reloaded with its own config, not the package's): the
 * certificate's HTTP-01 challenge arrives at the floating address, so wait until a node holds it
 * and answers there (a fresh pair elects a holder within a few seconds).
 */
export function floatingAddressReady(host: HostView): TaskList {
  const pair = lbPair(host);
  if (!pair) return [];
  return [
    http.check(
      { url: `http://${pair.address}/`, status: 301, retries: 30, delay: 1, timeout: 3 },
      { name: 'the floating address answers', tags: ['lb', 'ha'] },
    ),
  ];
}

export const lbPairHandlers = {
  'reload keepalived': service({ name: 'keepalived', state: 'reloaded' }),
};
