/**
 * `shipshape lab proof`: evidence, gathered independently of shipshape's own report, that the lab's
 * site works: HTTPS requests through the load balancer (certificate verified against the ACME test
 * server's issuing root, for the site's name) answered in turn by each web host, a write through the
 * application replicated to the replica, and the replica's replication state.
 */
import { ConfigError } from '../errors.ts';
import { connectAcmeServer } from './acme-server.ts';
import { httpsGet, type HttpAnswer } from './acme/http.ts';
import { dockerExec } from './docker.ts';
import { LAB_DOMAIN, LAB_LOAD_BALANCER } from './lab-site.ts';
import { requireLabState } from './state.ts';
import { proveFailover } from './proof-ha.ts';

/** GET https://<site name><path> from the load balancer at `address`, verified for the site's name. */
function get(address: string, path: string, ca: string): Promise<HttpAnswer> {
  // agent: false, so each request is a new connection and HAProxy balances it.
  return httpsGet(`https://${address}${path}`, ca, { servername: LAB_DOMAIN, headers: { Host: LAB_DOMAIN }, agent: false });
}

export async function labProof(print: (line: string) => void): Promise<boolean> {
  const state = requireLabState();
  const lb = state.hosts.find((host) => host.name === LAB_LOAD_BALANCER);
  if (!lb || !state.acme) throw new ConfigError(`the lab has no ${LAB_LOAD_BALANCER} or no ACME server: run \`shipshape lab up\``);
  const acme = await connectAcmeServer(state.acme.containerId, state.network);
  const root = await acme.fetchIssuerRoot();
  let ok = true;
  // The --ha lab: requests go to the floating address, wherever it is.
  const front = state.virtualAddress ?? lb.address;

  // Right after provisioning, HAProxy may not count a web host healthy yet (2 good checks, 2 s
  // apart): wait, bounded, until every web host has answered once.
  const webHosts = state.hosts.filter((host) => host.name.startsWith('web-')).length;
  const seen = new Set<string>();
  const deadline = Date.now() + 30_000;
  while (seen.size < webHosts && Date.now() < deadline) {
    const answer = await get(front, '/', root).catch(() => undefined);
    if (answer?.status === 200) seen.add(answer.body.trim());
    else await new Promise((resolve) => setTimeout(resolve, 500));
  }

  print(`HTTPS through the load balancer (${front}) for ${LAB_DOMAIN}, certificate verified against the ACME test CA:`);
  const servedBy: string[] = [];
  for (let i = 1; i <= 6; i++) {
    const answer = await get(front, '/', root);
    servedBy.push(answer.body.trim());
    print(`  GET / #${i}: ${answer.status} ${answer.body.trim()}`);
    if (answer.status !== 200) ok = false;
  }
  const alternates = servedBy.every((name, i) => i === 0 || name !== servedBy[i - 1]) && new Set(servedBy).size > 1;
  print(alternates ? '  → round robin: answers alternate between the web hosts' : '  → NOT alternating');
  ok &&= alternates;

  const visit = await get(front, '/visits', root);
  print(`  GET /visits: ${visit.status} ${visit.body.trim()}`);
  ok &&= visit.status === 200;

  const replica = state.hosts.find((host) => host.name === 'web-02');
  if (replica) {
    const status = await dockerExec(replica.containerId, 'mysql -E -e "SHOW REPLICA STATUS"');
    const fields = ['Source_Host', 'Replica_IO_Running', 'Replica_SQL_Running', 'Seconds_Behind_Source', 'Retrieved_Gtid_Set', 'Executed_Gtid_Set', 'Last_IO_Error', 'Last_SQL_Error'];
    print('Replication on web-02 (SHOW REPLICA STATUS):');
    for (const line of status.stdout.split('\n')) {
      const [key] = line.trim().split(':');
      if (fields.includes(key)) print(`  ${line.trim()}`);
    }
    ok &&= /Replica_IO_Running: Yes/.test(status.stdout) && /Replica_SQL_Running: Yes/.test(status.stdout);
    const count = await dockerExec(replica.containerId, 'mysql -N -B -e "SELECT COUNT(*) FROM app.visits"');
    print(`  visits on the replica: ${count.stdout.trim() || count.stderr.trim()}`);
  }
  if (state.virtualAddress) ok = (await proveFailover(state, state.virtualAddress, (address, path) => get(address, path, root), print)) && ok;
  await printMonitoring(lb.containerId, print);
  print(ok ? 'proof: the site works' : 'proof: something is wrong (see above)');
  return ok;
}

/**
 * Monitoring as Prometheus sees it (its API on the load balancer's loopback) and the alerts the
 * webhook recorder received there, newest last. Informational: a lab without monitoring says so.
 */
async function printMonitoring(containerId: string, print: (line: string) => void): Promise<void> {
  const targets = await dockerExec(containerId, "curl -sf 'http://127.0.0.1:9090/api/v1/targets?state=active'");
  if (targets.exitCode !== 0) {
    print('Monitoring: no Prometheus answers on the load balancer (no `monitoring` group in the inventory?)');
    return;
  }
  type Target = { labels: Record<string, string>; health: string };
  const active = (JSON.parse(targets.stdout) as { data: { activeTargets: Target[] } }).data.activeTargets;
  const down = active.filter((t) => t.health !== 'up').map((t) => `${t.labels.job}/${t.labels.instance}`);
  print(`Monitoring: ${active.length - down.length} of ${active.length} Prometheus targets up${down.length ? ` (down: ${down.join(', ')})` : ''}`);
  const record = await dockerExec(containerId, 'tail -n 20 /var/lib/alert-recorder/alerts.jsonl 2>/dev/null');
  type Post = { alerts: { status: string; labels: Record<string, string>; startsAt: string; endsAt: string }[] };
  const posts = record.stdout.split('\n').filter(Boolean).flatMap((line) => {
    try {
      return [JSON.parse(line) as Post];
    } catch {
      return [];
    }
  });
  print(`Alerts received by the webhook recorder (last ${posts.length} posts):`);
  if (posts.length === 0) print('  none');
  for (const post of posts) {
    for (const alert of post.alerts) {
      const where = alert.labels.instance ?? alert.labels.host ?? '';
      print(`  ${alert.status.padEnd(8)} ${alert.labels.alertname} ${where} (since ${alert.startsAt}${alert.status === 'resolved' ? `, resolved ${alert.endsAt}` : ''})`);
    }
  }
}
