/**
 * A rolling deploy of the application with zero failed requests: one web host at a time
 * (`serial: 1`), and the first host that fails stops the rollout (`maxFail: 0`) with the others
 * still serving the previous release.
 *
 * For each web host: out of rotation on every load balancer (HAProxy `drain`, waiting until its
 * sessions end) → the new release → the app restarted → health checked locally through Nginx →
 * back in rotation (`ready`), waiting until every HAProxy sees it UP → the next host.
 *
 *   shipshape apply playbooks/deploy.ts -i inventory/production.ts
 *
 * `-e deployDrain=false` skips the drain and the wait (a naive restart), only to measure what the
 * drain is for: requests fail while the app restarts.
 */
import { definePlaybook, flushHandlers, haproxy, http, play, service, type HostView, type TaskList } from 'shipshape';
import { groupMembers } from './roles/site-vars.ts';
import { appRelease, webHandlers } from './roles/web.ts';

/** The HAProxy backend the web hosts are servers of (templates/haproxy.cfg.ejs), by inventory name. */
const BACKEND = 'web';

function rollingDeploy(host: HostView): TaskList {
  const loadBalancers = groupMembers(host, 'lb');
  const drain = host.vars.deployDrain !== false && host.vars.deployDrain !== 'false';
  const inRotation = (state: 'drain' | 'ready', name: string) =>
    haproxy.server({ backend: BACKEND, server: host.name, state, loadBalancers, drainTimeout: 60, upTimeout: 60 }, { name, tags: ['deploy'] });
  return [
    drain && inRotation('drain', 'out of rotation on every load balancer'),
    appRelease(host),
    flushHandlers(),
    http.check({ url: 'http://127.0.0.1/health', retries: 20, delay: 1, timeout: 5 }, { name: 'healthy locally (through Nginx)', tags: ['deploy'] }),
    drain && inRotation('ready', 'back in rotation, UP on every load balancer'),
  ];
}

export default definePlaybook({
  name: 'deploy',
  plays: [
    // The load balancers take part in the run (the web hosts' tasks reach them through their
    // connections): HAProxy must be running before anything is drained.
    play({ name: 'load balancers ready', hosts: 'lb', tasks: [service({ name: 'haproxy', state: 'started' }, { name: 'haproxy running', tags: ['deploy'] })] }),
    play({ name: 'rolling deploy of the application', hosts: 'web', serial: 1, maxFail: 0, tasks: rollingDeploy, handlers: webHandlers }),
  ],
});
