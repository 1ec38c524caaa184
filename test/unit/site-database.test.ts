/**
 * The site's database tasks: replication over TLS pinned to the primary's CA, and the semi-sync
 * option (both plugins on both db hosts, the side of each host's role enabled), built from
 * playbooks/site.ts as the engine builds them.
 */
import { describe, expect, it } from 'vitest';
import type { HostView } from '../../src/task/types.ts';
import { flattenTasks } from '../../src/playbook/define.ts';
import { loadPlaybook } from '../../src/playbook/load.ts';
import { onlyTasks } from '../../src/playbook/flush-handlers.ts';
import { siteHostView } from './support/site-host.ts';


function view(name: string, vars: Record<string, unknown> = {}): HostView {
  return siteHostView(name, { vars });
}

async function tasksOf(host: HostView) {
  const { playbook } = await loadPlaybook('playbooks/site.ts');
  return playbook.plays.flatMap((play) => {
    if (typeof play.hosts === 'string' && !['all', ...host.groups, host.name].some((p) => play.hosts === p)) return [];
    return onlyTasks(flattenTasks(typeof play.tasks === 'function' ? play.tasks(host) : play.tasks)).map((t) => ({
      module: t.module.name,
      name: t.name,
      notify: t.options.notify,
      args: t.args as Record<string, unknown>,
    }));
  });
}

const semiSyncTasks = async (host: HostView) => (await tasksOf(host)).filter((t) => t.name?.startsWith('MySQL semi-sync'));

describe('site database tasks', () => {
  it('replication runs over TLS pinned to the primary CA; its account requires TLS', async () => {
    const replica = (await tasksOf(view('web-02'))).find((t) => t.module === 'mysql.replication');
    expect(replica?.args).toMatchObject({ ssl: true, sslCaFrom: 'web-01', sourceHost: '10.0.0.21' });
    const user = (await tasksOf(view('web-01'))).find((t) => t.name === 'replication user');
    expect(user?.args).toMatchObject({ name: 'replication', requireSsl: true });
  });

  it('without mysqlSemiSync: no semi-sync task', async () => {
    expect(await semiSyncTasks(view('web-01'))).toEqual([]);
  });

  it('mysqlSemiSync: both plugins everywhere (restart once), the role side live', async () => {
    const on = { mysqlSemiSync: true, mysqlSemiSyncTimeoutMs: 3000 };
    const [primaryPlugins, primarySide] = await semiSyncTasks(view('web-01', on));
    const [replicaPlugins, replicaSide] = await semiSyncTasks(view('web-02', on));
    for (const plugins of [primaryPlugins, replicaPlugins]) {
      expect(plugins).toMatchObject({ notify: 'restart mysql', args: { settings: { 'plugin-load-add': 'semisync_source.so;semisync_replica.so' } } });
    }
    expect(primarySide).toMatchObject({ name: 'MySQL semi-sync (source side)', notify: undefined });
    expect(primarySide.args.settings).toEqual({ rpl_semi_sync_source_enabled: 'ON', rpl_semi_sync_source_timeout: 3000, rpl_semi_sync_replica_enabled: 'OFF' });
    expect(replicaSide.args.settings).toEqual({ rpl_semi_sync_source_enabled: 'OFF', rpl_semi_sync_source_timeout: 3000, rpl_semi_sync_replica_enabled: 'ON' });
    expect(primarySide.args.path).not.toBe(primaryPlugins.args.path);
  });
});

describe('semiSyncRoleSql (for a switchover or failover)', () => {
  it('flips both sides at runtime', async () => {
    const { semiSyncRoleSql } = await import('../../src/modules/mysql/semisync.ts');
    expect(semiSyncRoleSql('source')).toBe('SET GLOBAL rpl_semi_sync_source_enabled = ON;\nSET GLOBAL rpl_semi_sync_replica_enabled = OFF;');
    expect(semiSyncRoleSql('replica')).toBe('SET GLOBAL rpl_semi_sync_source_enabled = OFF;\nSET GLOBAL rpl_semi_sync_replica_enabled = ON;');
  });
});
