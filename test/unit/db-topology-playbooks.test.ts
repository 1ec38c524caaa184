/**
 * The task lists of the database topology as the engine builds them: site.ts checks the live
 * topology before touching a db host and fences every server in its config; the switchover and
 * failover playbooks act on the new primary only and repoint the app only after checking it.
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

async function tasksOf(playbook: string, playIndex: number, host: HostView) {
  const play = (await loadPlaybook(playbook)).playbook.plays[playIndex];
  return { play, tasks: onlyTasks(flattenTasks(typeof play.tasks === 'function' ? play.tasks(host) : play.tasks)).map((t) => ({ module: t.module.name, name: t.name, args: t.args as any })) };
}

describe('site.ts: the re-run guard and fencing', () => {
  it('checks the live topology before installing or configuring MySQL, and every server starts read-only', async () => {
    const { tasks } = await tasksOf('playbooks/site.ts', 0, view('web-01'));
    const names = tasks.map((t) => t.name);
    expect(names.indexOf('MySQL topology agrees with mysqlPrimary')).toBeGreaterThanOrEqual(0);
    expect(names.indexOf('MySQL topology agrees with mysqlPrimary')).toBeLessThan(names.indexOf('MySQL server'));
    expect(tasks.find((t) => t.name === 'MySQL topology agrees with mysqlPrimary')!.args).toMatchObject({ primary: 'web-01', hosts: [{ name: 'web-01', address: '10.0.0.21' }, { name: 'web-02', address: '10.0.0.22' }] });
    for (const host of ['web-01', 'web-02']) {
      const own = (await tasksOf('playbooks/site.ts', 0, view(host))).tasks;
      expect(own.find((t) => t.name === 'MySQL starts read-only (fencing)')!.args.content).toMatch(/^super_read_only = ON$/m);
      expect(Object.keys(own.find((t) => t.name === 'MySQL replication settings')!.args.settings)).not.toContain('read_only');
      expect(own.find((t) => t.module === 'mysql.writable')!.args.writable).toBe(host === 'web-01');
    }
  });
});

describe('db-switchover.ts and db-failover.ts', () => {
  it('the switchover runs on the new primary only; the app is repointed one host at a time after a check', async () => {
    expect((await tasksOf('playbooks/db-switchover.ts', 0, view('web-02', { newPrimary: 'web-02' }))).tasks.map((t) => t.module)).toEqual(['mysql.switchover']);
    expect((await tasksOf('playbooks/db-switchover.ts', 0, view('web-01', { newPrimary: 'web-02' }))).tasks).toEqual([]);
    const { play, tasks } = await tasksOf('playbooks/db-switchover.ts', 2, view('web-01', { newPrimary: 'web-02' }));
    expect(play.serial).toBe(1);
    expect(tasks.map((t) => t.module)).toEqual(['mysql.topology', 'file.template']);
    expect(tasks[0].args.primary).toBe('web-02');
    expect(tasks[1].args.vars.primaryAddress).toBe('10.0.0.22');
  });

  it('the failover promotes the named host from the inventory primary; newPrimary must be a db host', async () => {
    const { tasks } = await tasksOf('playbooks/db-failover.ts', 0, view('web-02', { newPrimary: 'web-02' }));
    expect(tasks.map((t) => ({ module: t.module, from: t.args.from }))).toEqual([{ module: 'mysql.failover', from: 'web-01' }]);
    await expect(tasksOf('playbooks/db-failover.ts', 0, view('web-02', { newPrimary: 'lb-01' }))).rejects.toThrow(/-e newPrimary=<one of web-01, web-02> \(got "lb-01"\)/);
    await expect(tasksOf('playbooks/db-switchover.ts', 0, view('web-02'))).rejects.toThrow(/give the db host to promote: -e newPrimary=/);
  });

  it('switchover repoints over TLS (the site replicas pin the CA); both pass mysqlSemiSync', async () => {
    const off = (await tasksOf('playbooks/db-switchover.ts', 0, view('web-02', { newPrimary: 'web-02' }))).tasks[0].args;
    expect(off).toMatchObject({ ssl: true, semiSync: false });
    const on = { newPrimary: 'web-02', mysqlSemiSync: true };
    expect((await tasksOf('playbooks/db-switchover.ts', 0, view('web-02', on))).tasks[0].args).toMatchObject({ ssl: true, semiSync: true });
    expect((await tasksOf('playbooks/db-failover.ts', 0, view('web-02', on))).tasks[0].args.semiSync).toBe(true);
    expect((await tasksOf('playbooks/db-failover.ts', 0, view('web-02', { newPrimary: 'web-02' }))).tasks[0].args.semiSync).toBe(false);
  });

  it('with mysqlSemiSync each db host config file takes its new side once the new primary is live; nothing without it', async () => {
    for (const playbook of ['playbooks/db-switchover.ts', 'playbooks/db-failover.ts']) {
      for (const [host, side] of [['web-02', 'ON'], ['web-01', 'OFF']]) {
        const { tasks } = await tasksOf(playbook, 1, view(host, { newPrimary: 'web-02', mysqlSemiSync: true }));
        expect(tasks.map((t) => t.module)).toEqual(['mysql.topology', 'mysql.config']);
        expect(tasks[0].args).toMatchObject({ primary: 'web-02', variable: 'newPrimary' });
        expect(tasks[1].args.settings.rpl_semi_sync_source_enabled).toBe(side);
      }
      expect((await tasksOf(playbook, 1, view('web-01', { newPrimary: 'web-02' }))).tasks).toEqual([]);
    }
  });
});
