/**
 * Tasks that fight (src/engine/conflicts.ts): two tasks of one host wanting different states of one
 * thing are named before any host is contacted; the site's own task lists have none.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { conflictsOnHost, findConflicts } from '../../src/engine/conflicts.ts';
import { runPlaybook, type Connector } from '../../src/engine/run.ts';
import { loadInventory } from '../../src/inventory/load.ts';
import { selectPlayHosts } from '../../src/inventory/patterns.ts';
import type { Inventory } from '../../src/inventory/types.ts';
import { apt, definePlaybook, file, play, service, user, type Playbook } from '../../src/index.ts';
import { loadPlaybook } from '../../src/playbook/load.ts';
import type { Task } from '../../src/task/task.ts';
import { JsonReporter } from '../../src/report/json.ts';
import { PlainReporter } from '../../src/report/plain.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-conflicts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const inPlay = (play: string, tasks: Task[]) => tasks.map((task, index) => ({ play, position: index + 1, task }));

describe('conflictsOnHost', () => {
  it('a template and a line on one file: one warning naming both tasks and the file', () => {
    const found = conflictsOnHost(
      'web-01',
      inPlay('web', [
        file.template({ src: 'templates/app.conf.ejs', dest: '/etc/app.conf' }, { name: 'app config' }),
        file.line({ path: '/etc/app.conf', line: 'debug = true' }, { name: 'debug on' }),
      ]),
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      host: 'web-01',
      thing: 'file:/etc/app.conf',
      first: { play: 'web', position: 1, task: 'app config', state: 'content from templates/app.conf.ejs' },
      second: { play: 'web', position: 2, task: 'debug on', state: 'line edits' },
    });
    expect(found[0].message).toBe(
      'host web-01: play "web", task 1 "app config" and play "web", task 2 "debug on" both manage file:/etc/app.conf (content from templates/app.conf.ejs vs line edits): they undo each other on every run',
    );
  });

  it('a package present in one role and absent in another; a service started and stopped; across plays', () => {
    const found = conflictsOnHost('web-01', [
      ...inPlay('base', [apt.packages({ names: ['nginx=1.26*', 'curl'] }), service({ name: 'nginx', state: 'started', enabled: true })]),
      ...inPlay('hardening', [apt.packages({ names: ['telnet', 'nginx'], state: 'absent' }), service({ name: 'nginx.service', state: 'stopped' })]),
    ]);
    expect(found.map((c) => [c.thing, c.first.play, c.second.play])).toEqual([
      ['package:nginx', 'base', 'hardening'],
      ['unit:nginx.service', 'base', 'hardening'],
    ]);
  });

  it('tasks that agree, or manage different things, are no conflict', () => {
    const found = conflictsOnHost(
      'web-01',
      inPlay('p', [
        file.line({ path: '/etc/app.conf', line: 'a = 1' }),
        file.line({ path: '/etc/app.conf', line: 'b = 2' }),
        file.template({ src: 'x.ejs', dest: '/etc/other.conf' }),
        file.template({ src: 'x.ejs', dest: '/etc/other.conf' }),
        apt.packages({ names: ['nginx'] }),
        apt.packages({ names: ['nginx'], state: 'latest' }),
        service({ name: 'nginx', state: 'started' }),
        service({ name: 'nginx', state: 'restarted' }),
        service({ name: 'nginx', enabled: true }),
        user({ name: 'deploy' }),
        // Arguments computed at run time cannot be known before: left out, never guessed.
        file.absent(() => ({ path: '/etc/app.conf' })),
      ]),
    );
    expect(found).toEqual([]);
  });
});

async function inventoryFile(name: string, content: object): Promise<Inventory> {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(content));
  return loadInventory(file);
}

const select = (inventory: Inventory) => (pattern: string) => selectPlayHosts(inventory, pattern);

describe('findConflicts on a playbook, before any host is contacted', () => {
  it('warns about a template and a line on one file; the warning is the first thing reported, before any connection', async () => {
    // Port 1 on 127.0.0.1: nothing listens, the host is unreachable.
    const inventory = await inventoryFile('unreachable.json', { hosts: { 'web-01': { address: '127.0.0.1', port: 1, user: 'x' } } });
    const book = definePlaybook([
      play({ name: 'config', hosts: 'all', tasks: [file.template({ src: 'app.ejs', dest: '/etc/app.conf' }, { name: 'app config' })] }),
      play({ name: 'tweaks', hosts: 'all', tasks: (host) => [host.vars.debug !== false && file.line({ path: '/etc/app.conf', line: 'debug = 1' }, { name: 'debug' })] }),
    ]);
    const warnings = findConflicts(book, inventory, select(inventory));
    expect(warnings.map((w) => w.message)).toEqual([
      'host web-01: play "config", task 1 "app config" and play "tweaks", task 1 "debug" both manage file:/etc/app.conf (content from app.ejs vs line edits): they undo each other on every run',
    ]);

    const events: string[] = [];
    const connector: Connector = {
      async connect(host) {
        events.push(`connect ${host.name}`);
        throw new Error('connection refused');
      },
      gatherFacts: async () => {
        throw new Error('not reached');
      },
    };
    const reporter = new JsonReporter((line) => events.push(line));
    const recap = await runPlaybook(book, inventory, connector, reporter, { check: true, forks: 1, baseDir: dir, playbookName: 'p', selectHosts: select(inventory), warnings });
    expect(recap.hosts['web-01'].unreachable).toBe(1);
    const warningAt = events.findIndex((e) => e.includes('"type":"warning"'));
    expect(warningAt).toBeGreaterThan(-1);
    expect(warningAt).toBeLessThan(events.indexOf('connect web-01'));
    expect(JSON.parse(events[warningAt])).toMatchObject({
      type: 'warning',
      kind: 'conflict',
      host: 'web-01',
      thing: 'file:/etc/app.conf',
      tasks: [
        { play: 'config', task: 'app config', state: 'content from app.ejs' },
        { play: 'tweaks', task: 'debug', state: 'line edits' },
      ],
    });
  });

  it('the text views show the warning as a line of its own', async () => {
    const inventory = await inventoryFile('text.json', { hosts: { 'web-01': { address: '127.0.0.1', port: 1, user: 'x' } } });
    const book = definePlaybook([play({ name: 'p', hosts: 'all', tasks: [apt.packages({ names: ['nginx'] }), apt.packages({ names: ['nginx'], state: 'absent' })] })]);
    const text: string[] = [];
    const warnings = findConflicts(book, inventory, select(inventory));
    new PlainReporter({ check: true, diff: false, verbose: false, write: (t) => text.push(t) }).warning(warnings[0]);
    expect(text).toEqual([
      'warning: host web-01: play "p", task 1 "apt present: nginx" and play "p", task 2 "apt absent: nginx" both manage package:nginx (present vs absent): they undo each other on every run',
    ]);
  });

  const SITE_VARS = {
    domains: ['shop.example.test'],
    acmeEmail: 'admin@example.test',
    mysqlPrimary: 'web-01',
    mysqlAptRepository: 'deb http://deb.debian.org/debian sid main',
    mysqlAptRelease: 'sid',
    mysqlAppPassword: 'app-password-x',
    mysqlReplicationPassword: 'replication-password-y',
  };
  const siteInventory = (lbs: string[], vars: Record<string, unknown> = {}) =>
    inventoryFile(`site-${lbs.length}.json`, {
      hosts: Object.fromEntries([...lbs, 'web-01', 'web-02'].map((name, i) => [name, { address: `10.0.0.${i + 11}`, user: 'deploy' }])),
      groups: { lb: { hosts: lbs }, web: { hosts: ['web-01', 'web-02'] }, db: { hosts: ['web-01', 'web-02'] } },
      vars: { ...SITE_VARS, ...vars },
    });

  it('the site (one load balancer, and the lb pair with a virtualAddress) has none, though its task lists are examined', async () => {
    const { playbook } = await loadPlaybook('playbooks/site.ts');
    for (const inventory of [await siteInventory(['lb-01']), await siteInventory(['lb-01', 'lb-02'], { virtualAddress: '10.0.0.100/24' })]) {
      expect(findConflicts(playbook, inventory, select(inventory))).toEqual([]);
      // Not vacuous: every host's lists are examined, so one fighting task added is caught on each.
      const fighting: Playbook = {
        ...playbook,
        plays: [
          ...playbook.plays,
          play({ name: 'extra lb', hosts: 'lb', tasks: [file.line({ path: '/etc/haproxy/haproxy.cfg', line: 'maxconn 10' })] }),
          play({ name: 'extra web', hosts: 'web', tasks: [apt.packages({ names: ['nginx'], state: 'absent' })] }),
        ],
      };
      const found = findConflicts(fighting, inventory, select(inventory)).map((c) => `${c.host} ${c.thing}`);
      expect(found.sort()).toEqual([...inventory.hosts.keys()].filter((h) => h.startsWith('lb')).map((h) => `${h} file:/etc/haproxy/haproxy.cfg`).concat('web-01 package:nginx', 'web-02 package:nginx').sort());
    }
  });
});
