import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
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
  // The cases on recorded `systemctl show` output are data: test/fixtures/planners/service.json (planner-fixtures.test.ts).

  it('resets the start limit before every start or restart (a failed unit, or a crash loop a package left behind)', () => {
    const reset = '{ systemctl reset-failed ssh.service 2>/dev/null || true; } && ';
    const failed = { ...unit('ssh.service'), activeState: 'failed', subState: 'failed' };
    expect(planUnit(failed, { state: 'started' }, context).map((s) => s.command)).toEqual([`${reset}systemctl start ssh.service`]);
    expect(planUnit(failed, { state: 'restarted' }, context).map((s) => s.command)).toEqual([`${reset}systemctl restart ssh.service`]);
    // Running, but near the limit after the package's crash loop: the handler's restart resets it too.
    expect(planUnit(unit('ssh.service'), { state: 'restarted' }, context).map((s) => s.command)).toEqual([`${reset}systemctl restart ssh.service`]);
    const looping = { ...unit('ssh.service'), activeState: 'activating', subState: 'auto-restart' };
    expect(planUnit(looping, { state: 'started' }, context).map((s) => s.command)).toEqual([`${reset}systemctl start ssh.service`]);
  });

  it('a unit in a crash loop (activating/auto-restart) is not running: started starts it, stopped still stops it', () => {
    const looping = { ...unit('ssh.service'), activeState: 'activating', subState: 'auto-restart' };
    const plan = (wanted: UnitWanted) => planUnit(looping, wanted, context).map((s) => s.change.description);
    expect(plan({ state: 'started' })).toEqual(['start ssh.service (not running: activating/auto-restart, a crash loop)']);
    expect(plan({ state: 'stopped' })).toEqual(['stop ssh.service']);
    // A unit still starting (its start job running) is on its way: nothing to do.
    expect(planUnit({ ...looping, subState: 'start' }, { state: 'started' }, context)).toEqual([]);
  });

  it('daemon-reloads only when the unit changed on disk, and first', () => {
    const changed = { ...unit('ssh.service'), needDaemonReload: true };
    expect(planUnit(changed, { state: 'restarted', daemonReload: true }, context).map((s) => s.command)).toEqual([
      'systemctl daemon-reload',
      '{ systemctl reset-failed ssh.service 2>/dev/null || true; } && systemctl restart ssh.service',
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
