/**
 * The site's task lists with one load balancer (exactly today's) and with two plus a
 * virtualAddress (a keepalived pair): built from playbooks/site.ts as the engine builds them.
 */
import ejs from 'ejs';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { HostView } from '../../src/task/types.ts';
import { flattenTasks, type Play } from '../../src/playbook/define.ts';
import { isFlushHandlers } from '../../src/playbook/flush-handlers.ts';
import { loadPlaybook } from '../../src/playbook/load.ts';
import { renderTemplateFile } from '../../src/template/render.ts';
import { siteHostView } from './support/site-host.ts';


function view(name: string, lbs: string[], vars: Record<string, unknown> = {}): HostView {
  return siteHostView(name, { lbs, vars });
}

async function serversPlay(): Promise<Play> {
  const { playbook } = await loadPlaybook('playbooks/site.ts');
  return playbook.plays[0];
}

async function tasksOf(host: HostView) {
  const play = await serversPlay();
  const tasks = flattenTasks(typeof play.tasks === 'function' ? play.tasks(host) : play.tasks);
  return tasks.map((t) => (isFlushHandlers(t) ? { module: 'flushHandlers', name: t.name, args: {} } : { module: t.module.name, name: t.name, args: t.args as Record<string, unknown> }));
}

const ONE_LB_TASKS = [
  'base packages',
  'firewall',
  'load balancer packages',
  'file.directory',
  'placeholder certificate',
  'backend CA certificate',
  'haproxy configuration',
  'file.directory',
  'haproxy keeps drain/maint across reloads',
  'haproxy running',
  'flush handlers',
  'certificate for shop.example.test',
];

describe('site with load balancers', () => {
  it('one lb host (even with a virtualAddress): the task list of the single-lb site, no VRRP rule', async () => {
    for (const vars of [{}, { virtualAddress: '10.0.0.100' }]) {
      const tasks = await tasksOf(view('lb-01', ['lb-01'], vars));
      expect(tasks.map((t) => (t.module === 'file.directory' ? t.module : t.name))).toEqual(ONE_LB_TASKS);
      expect(JSON.stringify(tasks[1].args)).not.toMatch(/vrrp/);
    }
  });

  it('two lb hosts without a virtualAddress: two independent load balancers, as before', async () => {
    const tasks = await tasksOf(view('lb-02', ['lb-01', 'lb-02']));
    expect(tasks.map((t) => (t.module === 'file.directory' ? t.module : t.name))).toEqual(ONE_LB_TASKS);
  });

  it('two lb hosts and a virtualAddress: sysctl, keepalived, its user, validated config and service; VRRP from the peer only', async () => {
    const tasks = await tasksOf(view('lb-02', ['lb-01', 'lb-02'], { virtualAddress: '10.0.0.100/24' }));
    const names = tasks.map((t) => t.name);
    expect(names.slice(names.indexOf('haproxy running') + 1, names.indexOf('flush handlers'))).toEqual([
      'bind the floating address before holding it',
      'keepalived',
      'user keepalived_script',
      'keepalived configuration',
      'keepalived running',
    ]);
    // After the flush (HAProxy reloaded with its config), before the certificate.
    expect(names.slice(names.indexOf('flush handlers') + 1)).toEqual(['the floating address answers', 'certificate for shop.example.test']);
    const config = tasks.find((t) => t.name === 'keepalived configuration')!;
    expect(config.args).toMatchObject({ validate: 'keepalived -t -f %s', vars: { self: '10.0.0.12', peer: '10.0.0.11', priority: 100, address: '10.0.0.100', prefix: 24 } });
    const rules = (tasks[1].args.rules as Array<Record<string, unknown>>).filter((r) => r.proto === 'vrrp');
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ rule: 'allow', proto: 'vrrp', from: '10.0.0.11', comment: 'vrrp from lb-01' });
    expect(rules[0].port).toBeUndefined();
    // The web hosts' firewalls are those of the single-lb site plus the second lb's port 80.
    const web = await tasksOf(view('web-01', ['lb-01', 'lb-02'], { virtualAddress: '10.0.0.100/24' }));
    expect(JSON.stringify(web[1].args)).not.toMatch(/vrrp/);
  });

  it('HAProxy hands ACME challenges to the peer only on a pair; the single-lb config keeps its one certbot server', async () => {
    const haproxyVars = async (h: HostView) => (await tasksOf(h)).find((t) => t.name === 'haproxy configuration')!.args.vars as Record<string, unknown>;
    const certbotBackend = (vars: Record<string, unknown>) => /backend certbot\n[\s\S]*?\n\n/.exec(renderTemplateFile('templates/haproxy.cfg.ejs', vars, '.'))![0];
    expect(certbotBackend(await haproxyVars(view('lb-01', ['lb-01'], { virtualAddress: '10.0.0.100' })))).toBe('backend certbot\n    server certbot 127.0.0.1:8888\n\n');
    const pair = certbotBackend(await haproxyVars(view('lb-01', ['lb-01', 'lb-02'], { virtualAddress: '10.0.0.100' })));
    expect(pair).toMatch(/retry-on conn-failure empty-response 404\n\s+option redispatch 1\n\s+retries 2\n\s+server certbot 127\.0\.0\.1:8888\n\s+server lb-02 10\.0\.0\.12:8888\n\n$/);
    const rules = (await tasksOf(view('lb-01', ['lb-01', 'lb-02'], { virtualAddress: '10.0.0.100' })))[1].args.rules as Array<Record<string, unknown>>;
    expect(rules.filter((r) => String(r.port) === '8888')).toMatchObject([{ proto: 'tcp', from: '10.0.0.12' }]);
  });

  it('refuses a virtualAddress with three lb hosts, naming them', async () => {
    await expect(tasksOf(view('lb-01', ['lb-01', 'lb-02', 'lb-03'], { virtualAddress: '10.0.0.100' }))).rejects.toThrow(/exactly two lb hosts.*lb-01, lb-02, lb-03/);
  });

  it('renders a keepalived.conf with the pair, the tracked HAProxy and script security', async () => {
    const tasks = await tasksOf(view('lb-01', ['lb-01', 'lb-02'], { virtualAddress: '10.0.0.100/24' }));
    const vars = tasks.find((t) => t.name === 'keepalived configuration')!.args.vars as Record<string, unknown>;
    const text = ejs.render(readFileSync('templates/keepalived.conf.ejs', 'utf8'), vars);
    expect(text).toMatch(/enable_script_security\n\s+script_user keepalived_script/);
    expect(text).toMatch(/priority 150\n/);
    expect(text).toMatch(/nopreempt/);
    expect(text).toMatch(/unicast_src_ip 10\.0\.0\.11\n\s+unicast_peer \{\n\s+10\.0\.0\.12\n/);
    expect(text).toMatch(/10\.0\.0\.100\/24 dev eth0/);
    expect(text).toMatch(/track_script \{\n\s+haproxy_alive/);
    // A dead HAProxy must put the node in FAULT: a weight would not move the address without preemption.
    expect(text).not.toMatch(/^\s*weight/m);
  });
});

describe('site: the load balancer → web hop', () => {
  const serverLines = async (h: HostView) => {
    const vars = (await tasksOf(h)).find((t) => t.name === 'haproxy configuration')!.args.vars as Record<string, unknown>;
    return renderTemplateFile('templates/haproxy.cfg.ejs', vars, '.').split('\n').filter((l) => /^\s+server web-/.test(l)).map((l) => l.trim());
  };
  const webRules = async (h: HostView) => ((await tasksOf(h))[1].args.rules as Array<Record<string, unknown>>).filter((r) => String(r.comment).includes(' from lb-'));
  const nginxListen = async (h: HostView) => {
    const vars = (await tasksOf(h)).find((t) => t.name === 'nginx site')!.args.vars as Record<string, unknown>;
    return renderTemplateFile('templates/nginx-site.conf.ejs', vars, '.').split('\n').filter((l) => /^\s+(listen|ssl_certificate)/.test(l)).map((l) => l.trim());
  };

  it('is TLS by default: HAProxy verifies each web host against the private CA on the first lb; Nginx serves 443; ufw opens only 443, to the lbs', async () => {
    expect(await serverLines(view('lb-02', ['lb-01', 'lb-02']))).toEqual([
      'server web-01 10.0.0.21:443 check ssl verify required ca-file /etc/haproxy/backend-ca.crt verifyhost web-01',
      'server web-02 10.0.0.22:443 check ssl verify required ca-file /etc/haproxy/backend-ca.crt verifyhost web-02',
    ]);
    const lbTasks = await tasksOf(view('lb-02', ['lb-01', 'lb-02']));
    expect(lbTasks.find((t) => t.name === 'backend CA certificate')!.args).toMatchObject({ ca: { host: 'lb-01', dir: '/etc/shipshape/ca' }, dest: '/etc/haproxy/backend-ca.crt' });
    const web = view('web-02', ['lb-01', 'lb-02']);
    const webTasks = await tasksOf(web);
    const names = webTasks.map((t) => t.name);
    expect(names.indexOf('backend TLS certificate')).toBeLessThan(names.indexOf('nginx site'));
    expect(webTasks.find((t) => t.name === 'backend TLS certificate')!.args).toMatchObject({ ca: { host: 'lb-01' }, dnsNames: ['web-02'], ipAddresses: ['10.0.0.22'] });
    expect((await webRules(web)).map((r) => `${r.port} ${r.from}`)).toEqual(['443 10.0.0.11', '443 10.0.0.12']);
    expect(await nginxListen(web)).toEqual([
      'listen 443 ssl default_server;',
      'listen 80 default_server;',
      'ssl_certificate /etc/nginx/shipshape-backend.crt;',
      'ssl_certificate_key /etc/nginx/shipshape-backend.key;',
    ]);
  });

  it('backendTls: false keeps the plain HTTP hop of before: port 80, no CA, no certificate', async () => {
    const off = { backendTls: false };
    expect(await serverLines(view('lb-01', ['lb-01'], off))).toEqual(['server web-01 10.0.0.21:80 check', 'server web-02 10.0.0.22:80 check']);
    const web = view('web-01', ['lb-01'], off);
    expect((await tasksOf(web)).map((t) => t.name)).not.toContain('backend TLS certificate');
    expect((await tasksOf(view('lb-01', ['lb-01'], off))).map((t) => t.name)).not.toContain('backend CA certificate');
    expect((await webRules(web)).map((r) => `${r.port} ${r.from}`)).toEqual(['80 10.0.0.11']);
    expect(await nginxListen(web)).toEqual(['listen 80 default_server;']);
  });
});
