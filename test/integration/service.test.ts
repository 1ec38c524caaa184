/**
 * systemd.unit and service on a real Debian 13 host with systemd as PID 1: apply → check with
 * systemctl by hand (docker exec, not shipshape) → apply again changes nothing → drift by hand →
 * --check reports it and changes nothing → apply fixes it.
 */
import { describe, expect, it } from 'vitest';
import { service } from '../../src/modules/service/index.ts';
import * as systemd from '../../src/modules/systemd/index.ts';
import type { TaskResult } from '../../src/task/types.ts';
import { useModuleHost } from './support/module-host.ts';

const lab = useModuleHost('svc-01');
const { onHost, run } = lab;

const lines = (result: TaskResult) => result.changes.map((c) => c.description);
/** `active enabled` as systemctl reports it (both exit non-zero for other states: only stdout counts). */
const unitState = async (unit: string) => (await lab.host.shell(`echo $(systemctl is-active ${unit}) $(systemctl is-enabled ${unit} 2>/dev/null)`)).stdout.trim();

const content = (message: string) =>
  `[Unit]\nDescription=shipshape test service\n\n[Service]\nExecStart=/bin/sh -c 'echo ${message}; exec sleep infinity'\nExecReload=/bin/sh -c 'echo reloaded >> /run/demo-reloads'\n\n[Install]\nWantedBy=multi-user.target\n`;

describe('systemd.unit', () => {
  const task = systemd.unit({ name: 'demo', content: content('one'), enabled: true, started: true });

  it('check mode on a fresh host reports the whole install and changes nothing', async () => {
    const checked = await run(task, { check: true });
    expect(lines(checked)).toEqual(['create /etc/systemd/system/demo.service', 'daemon-reload (demo.service changed)', 'enable demo.service', 'start demo.service']);
    expect(checked.changes[0].diff).toEqual({ path: '/etc/systemd/system/demo.service', before: '', after: content('one') });
    expect(await unitState('demo')).toBe('inactive not-found');
  });

  it('installs, enables and starts; converges; restarts after a content change', async () => {
    expect((await run(task)).status).toBe('changed');
    expect(await unitState('demo')).toBe('active enabled');
    expect(await onHost('cat /etc/systemd/system/demo.service')).toBe(content('one'));
    expect((await run(task)).status).toBe('ok');

    const pid = await onHost('systemctl show -p MainPID --value demo');
    const changed = await run(systemd.unit({ name: 'demo', content: content('two'), enabled: true, started: true }));
    expect(lines(changed)).toEqual(['update /etc/systemd/system/demo.service', 'daemon-reload (demo.service changed)', 'restart demo.service (its unit file changed)']);
    expect(await onHost('systemctl show -p MainPID --value demo')).not.toBe(pid);
    expect(await onHost('systemctl show -p NeedDaemonReload --value demo')).toBe('no\n');
  });

  it('reports a hand edit as a diff in check mode, then restores the file', async () => {
    await onHost("sed -i 's/echo two/echo hacked/' /etc/systemd/system/demo.service");
    const wanted = systemd.unit({ name: 'demo', content: content('two'), enabled: true, started: true });
    const checked = await run(wanted, { check: true });
    expect(lines(checked)[0]).toBe('update /etc/systemd/system/demo.service');
    expect(checked.changes[0].diff?.before).toContain('echo hacked');
    expect(await onHost('grep -c hacked /etc/systemd/system/demo.service')).toBe('1\n');
    expect((await run(wanted)).status).toBe('changed');
    expect(await onHost('cat /etc/systemd/system/demo.service')).toBe(content('two'));
    expect((await run(wanted)).status).toBe('ok');
  });
});

describe('service', () => {
  const task = service({ name: 'demo', state: 'started', enabled: true });

  it('is ok when running and enabled; reports and fixes a stop and a disable', async () => {
    expect((await run(task)).status).toBe('ok');
    await onHost('systemctl disable --now demo');
    expect(await unitState('demo')).toBe('inactive disabled');
    const checked = await run(task, { check: true });
    expect(lines(checked)).toEqual(['enable demo.service', 'start demo.service']);
    expect(await unitState('demo')).toBe('inactive disabled');
    expect((await run(task)).status).toBe('changed');
    expect(await unitState('demo')).toBe('active enabled');
    expect((await run(task)).status).toBe('ok');
  });

  it('stops and disables', async () => {
    const stopped = service({ name: 'demo', state: 'stopped', enabled: false });
    expect(lines(await run(stopped))).toEqual(['disable demo.service', 'stop demo.service']);
    expect(await unitState('demo')).toBe('inactive disabled');
    expect((await run(stopped)).status).toBe('ok');
  });

  it('restarted always restarts; reloaded reloads a running unit', async () => {
    await onHost('systemctl start demo');
    const pid = await onHost('systemctl show -p MainPID --value demo');
    expect(lines(await run(service({ name: 'demo', state: 'restarted' })))).toEqual(['restart demo.service']);
    const restartedPid = await onHost('systemctl show -p MainPID --value demo');
    expect(restartedPid).not.toBe(pid);
    expect(lines(await run(service({ name: 'demo', state: 'reloaded' })))).toEqual(['reload demo.service']);
    expect(await onHost('cat /run/demo-reloads')).toBe('reloaded\n');
    expect(await onHost('systemctl show -p MainPID --value demo')).toBe(restartedPid);
  });

  it('daemon-reloads a unit whose file changed on disk', async () => {
    // Only a loaded (here: running) unit can be stale; systemd reads an unloaded one afresh anyway.
    expect(await unitState('demo')).toBe('active disabled');
    await onHost("sed -i 's/shipshape test service/edited by hand/' /etc/systemd/system/demo.service");
    expect(await onHost('systemctl show -p NeedDaemonReload --value demo')).toBe('yes\n');
    const reload = service({ name: 'demo', daemonReload: true });
    expect(lines(await run(reload))).toEqual(['daemon-reload (demo.service changed on disk)']);
    expect(await onHost('systemctl show -p Description --value demo')).toBe('edited by hand\n');
    expect((await run(reload)).status).toBe('ok');
  });

  it('fails clearly for a unit that does not exist, and a start that fails carries the status', async () => {
    const missing = await run(service({ name: 'no-such-unit', state: 'started' }));
    expect(missing.status).toBe('failed');
    expect(missing.error).toBe('unit no-such-unit.service not found');

    await onHost("printf '[Service]\\nType=exec\\nExecStart=/nonexistent/binary\\n' > /etc/systemd/system/broken.service && systemctl daemon-reload");
    const broken = await run(service({ name: 'broken', state: 'started' }));
    expect(broken.status).toBe('failed');
    expect(broken.error).toMatch(/systemctl failed for broken.service[\s\S]*\/nonexistent\/binary/);
  });

  it('a unit in a crash loop (activating, auto-restart) is not started: plan says so, apply fails naming it', async () => {
    await onHost("printf '[Service]\\nExecStart=/bin/sh -c \"exit 1\"\\nRestart=always\\nRestartSec=3\\n' > /etc/systemd/system/crashloop.service && systemctl daemon-reload && systemctl start crashloop");
    const state = async () => {
      const values = new Map((await onHost('systemctl show -p ActiveState -p SubState -p NRestarts crashloop')).trim().split('\n').map((l) => l.split('=') as [string, string]));
      return { state: `${values.get('ActiveState')}/${values.get('SubState')}`, restarts: Number(values.get('NRestarts')) };
    };
    // Each run starts just after a fresh crash (NRestarts went up): 3 s of auto-restart ahead, so
    // the plan cannot land on the few milliseconds the process lives.
    const justCrashed = async () => {
      const { restarts } = await state();
      await expect.poll(state, { timeout: 15_000, interval: 50 }).toEqual({ state: 'activating/auto-restart', restarts: restarts + 1 });
    };
    await justCrashed();

    const task = service({ name: 'crashloop', state: 'started' });
    const checked = await run(task, { check: true });
    expect(checked.status, checked.error).toBe('changed');
    expect(lines(checked)).toEqual(['start crashloop.service (not running: activating/auto-restart, a crash loop)']);

    await justCrashed();
    const applied = await run(task);
    expect(applied.status, JSON.stringify(applied.changes)).toBe('failed');
    expect(applied.error).toMatch(/crashloop\.service did not stay running/);
    await onHost('systemctl stop crashloop && rm /etc/systemd/system/crashloop.service && systemctl daemon-reload');
  });

  it('removes a unit with systemd.unit state absent', async () => {
    const absent = systemd.unit({ name: 'demo', state: 'absent' });
    expect(lines(await run(absent))).toEqual(['stop demo.service', 'remove /etc/systemd/system/demo.service', 'daemon-reload']);
    expect(await onHost('test -e /etc/systemd/system/demo.service || echo gone')).toBe('gone\n');
    expect((await run(absent)).status).toBe('ok');
  });
});
