import { describe, expect, it } from 'vitest';
import { parseSystemctlShow } from '../../src/modules/systemd/probe.ts';
import { hasInstallSection, parseProbe, planSystemdUnit, systemdUnitModule } from '../../src/modules/systemd/unit.ts';

const context = { host: 'web-01', task: 'unit' };
const content = '[Unit]\nDescription=demo\n\n[Service]\nExecStart=/usr/bin/sleep infinity\n\n[Install]\nWantedBy=multi-user.target\n';
const args = (input: Record<string, unknown>) => systemdUnitModule.schema.parse({ name: 'demo', ...input });
// Recorded on Debian 13 (`systemctl show` of a unit before its file exists, and after enable --now).
const missing = parseSystemctlShow(
  'Id=demo.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\nFragmentPath=\nUnitFileState=\nCanReload=no\nNeedDaemonReload=no\n',
)[0];
const running = parseSystemctlShow(
  'Id=demo.service\nLoadState=loaded\nActiveState=active\nSubState=running\nFragmentPath=/etc/systemd/system/demo.service\nUnitFileState=enabled\nCanReload=no\nNeedDaemonReload=no\n',
)[0];
const lines = (plan: ReturnType<typeof planSystemdUnit>) => plan.steps.map((s) => s.change.description);

describe('systemd.unit planner', () => {
  it('plans create, reload, enable and start for a new unit, with the content as a diff', () => {
    const plan = planSystemdUnit(args({ content, enabled: true, started: true }), { content: null, state: missing }, context);
    expect(lines(plan)).toEqual(['create /etc/systemd/system/demo.service', 'daemon-reload (demo.service changed)', 'enable demo.service', 'start demo.service']);
    expect(plan.steps[0].change.diff).toEqual({ path: '/etc/systemd/system/demo.service', before: '', after: content });
    expect(plan.write).toBe(content);
  });

  it('is ok when the file, enablement and run state match', () => {
    expect(lines(planSystemdUnit(args({ content, enabled: true, started: true }), { content, state: running }, context))).toEqual([]);
  });

  it('restarts a running unit whose file changed, unless told not to', () => {
    const changed = content.replace('infinity', '3600');
    expect(lines(planSystemdUnit(args({ content: changed, started: true }), { content, state: running }, context))).toEqual([
      'update /etc/systemd/system/demo.service',
      'daemon-reload (demo.service changed)',
      'restart demo.service (its unit file changed)',
    ]);
    expect(lines(planSystemdUnit(args({ content: changed, restartOnChange: false }), { content, state: running }, context))).toEqual([
      'update /etc/systemd/system/demo.service',
      'daemon-reload (demo.service changed)',
    ]);
  });

  it('stops, disables and removes with state absent', () => {
    const plan = planSystemdUnit(args({ state: 'absent' }), { content, state: running }, context);
    expect(plan.steps.map((s) => s.command)).toEqual([
      'systemctl stop demo.service',
      'systemctl disable demo.service',
      'rm -f /etc/systemd/system/demo.service',
      'systemctl daemon-reload',
    ]);
    expect(planSystemdUnit(args({ state: 'absent' }), { content: null, state: missing }, context).steps).toEqual([]);
  });

  it('reads the file and the unit state from one probe output', () => {
    const stdout = `@@file\n${Buffer.from(content).toString('base64')}\n@@show\nId=demo.service\nLoadState=loaded\nActiveState=active\n`;
    expect(parseProbe(stdout)).toMatchObject({ content, state: { id: 'demo.service', activeState: 'active' } });
    expect(parseProbe('@@file-missing\n@@show\nId=x.service\nLoadState=not-found\n')?.content).toBeNull();
  });

  it('requires an [Install] section to enable', () => {
    expect(hasInstallSection(content)).toBe(true);
    expect(hasInstallSection('[Service]\nExecStart=/bin/true\n[Install]\n')).toBe(false);
    const parsed = systemdUnitModule.schema.safeParse({ name: 'x', content: '[Service]\nExecStart=/bin/true\n', enabled: true });
    expect(parsed.error?.issues[0].message).toMatch(/\[Install\] section/);
    expect(systemdUnitModule.schema.safeParse({ name: 'x', state: 'absent', content }).success).toBe(false);
  });
});
