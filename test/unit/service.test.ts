import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TaskError } from '../../src/errors.ts';
import { parseSystemctlShow, unitName, type UnitState } from '../../src/modules/systemd/probe.ts';
import { planUnit, type UnitWanted } from '../../src/modules/systemd/unit-plan.ts';
import { serviceModule } from '../../src/modules/service/service.ts';

const context = { host: 'web-01', task: 'service' };
// Recorded on Debian 13: ssh.service (running, enabled), nope.service (absent), journald (static),
// ssh.socket (stopped, disabled), cron.service (masked).
const units = new Map(
  parseSystemctlShow(readFileSync(new URL('../fixtures/facts/systemctl-show-debian13.txt', import.meta.url), 'utf8')).map((u) => [u.id, u]),
);
const unit = (id: string): UnitState => units.get(id)!;
const describe_ = (id: string, wanted: UnitWanted) => planUnit(unit(id), wanted, context).map((s) => s.change.description);

describe('systemctl show parsing', () => {
  it('reads one block per unit', () => {
    expect([...units.keys()]).toEqual(['ssh.service', 'nope.service', 'systemd-journald.service', 'ssh.socket', 'cron.service']);
    expect(unit('ssh.service')).toEqual({
      id: 'ssh.service',
      loadState: 'loaded',
      activeState: 'active',
      subState: 'running',
      unitFileState: 'enabled',
      needDaemonReload: false,
      canReload: true,
      fragmentPath: '/usr/lib/systemd/system/ssh.service',
    });
  });

  it('adds .service like systemctl', () => {
    expect(unitName('nginx')).toBe('nginx.service');
    expect(unitName('ssh.socket')).toBe('ssh.socket');
    expect(unitName('getty@tty1')).toBe('getty@tty1.service');
  });
});

describe('planUnit', () => {
  it('is ok when running and enabled as wanted', () => {
    expect(describe_('ssh.service', { state: 'started', enabled: true })).toEqual([]);
    expect(describe_('ssh.socket', { state: 'stopped', enabled: false })).toEqual([]);
  });

  it('plans enable before start, with the commands to run', () => {
    const steps = planUnit(unit('ssh.socket'), { state: 'started', enabled: true }, context);
    expect(steps).toEqual([
      { change: { description: 'enable ssh.socket' }, command: 'systemctl enable ssh.socket' },
      { change: { description: 'start ssh.socket' }, command: 'systemctl start ssh.socket', starts: true },
    ]);
  });

  it('a unit in a crash loop (activating/auto-restart) is not running: started starts it, stopped still stops it', () => {
    const looping = { ...unit('ssh.service'), activeState: 'activating', subState: 'auto-restart' };
    const plan = (wanted: UnitWanted) => planUnit(looping, wanted, context).map((s) => s.change.description);
    expect(plan({ state: 'started' })).toEqual(['start ssh.service (not running: activating/auto-restart, a crash loop)']);
    expect(plan({ state: 'stopped' })).toEqual(['stop ssh.service']);
    // A unit still starting (its start job running) is on its way: nothing to do.
    expect(planUnit({ ...looping, subState: 'start' }, { state: 'started' }, context)).toEqual([]);
  });

  it('always restarts; reloads only what can reload; starts a stopped unit asked to reload', () => {
    expect(describe_('ssh.service', { state: 'restarted' })).toEqual(['restart ssh.service']);
    expect(describe_('ssh.service', { state: 'reloaded' })).toEqual(['reload ssh.service']);
    expect(describe_('ssh.socket', { state: 'reloaded' })).toEqual(['start ssh.socket (not running, so reloaded means started)']);
    expect(() => describe_('systemd-journald.service', { state: 'reloaded' })).toThrow(/cannot reload/);
  });

  it('treats static units as neither enableable nor disableable', () => {
    expect(describe_('systemd-journald.service', { enabled: true })).toEqual([]);
    expect(describe_('systemd-journald.service', { enabled: false })).toEqual([]);
  });

  it('fails clearly for a missing or masked unit', () => {
    expect(() => describe_('nope.service', { state: 'started' })).toThrow(TaskError);
    expect(() => describe_('nope.service', { state: 'started' })).toThrow('unit nope.service not found');
    expect(() => describe_('cron.service', { state: 'started' })).toThrow(/masked/);
    expect(describe_('cron.service', { state: 'stopped', enabled: false })).toEqual([]);
  });

  it('daemon-reloads only when the unit changed on disk, and first', () => {
    const changed = { ...unit('ssh.service'), needDaemonReload: true };
    expect(planUnit(changed, { state: 'restarted', daemonReload: true }, context).map((s) => s.command)).toEqual([
      'systemctl daemon-reload',
      'systemctl restart ssh.service',
    ]);
    expect(describe_('ssh.service', { state: 'started', daemonReload: true })).toEqual([]);
  });
});

describe('service arguments', () => {
  it('needs something to ensure and a sane unit name', () => {
    expect(serviceModule.schema.safeParse({ name: 'nginx' }).success).toBe(false);
    expect(serviceModule.schema.safeParse({ name: 'nginx; reboot', state: 'started' }).success).toBe(false);
    expect(serviceModule.schema.safeParse({ name: 'nginx', state: 'started', enabled: true }).success).toBe(true);
  });
});
