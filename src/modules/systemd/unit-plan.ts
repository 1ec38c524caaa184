import { TaskError } from '../../errors.ts';
import type { UnitState } from '../../facts/systemd.ts';
import { sh } from '../../transport/quote.ts';
import type { Change } from '../types.ts';

/** A planned change and the command that makes it. */
export interface UnitStep {
  change: Change;
  command: string;
}

export interface UnitWanted {
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean;
  daemonReload?: boolean;
}

// `systemctl is-enabled` exits 0 for these: the unit starts at boot or cannot be enabled at all
// (static, generated, transient), so asking for enabled is already satisfied.
const ENABLED_OK = new Set(['enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated', 'transient']);
// Units with no [Install] section or made at run time cannot be disabled either.
const DISABLED_OK = new Set(['disabled', 'static', 'indirect', 'generated', 'transient', 'linked', 'linked-runtime']);
const RUNNING = new Set(['active', 'activating', 'reloading', 'refreshing']);

/**
 * Compares one unit's state with the wanted one; returns the steps in the order systemd needs
 * them (reload definitions, then enablement, then the run state). Pure, tested on recorded output.
 */
export function planUnit(unit: UnitState, wanted: UnitWanted, context: { host: string; task: string }): UnitStep[] {
  const name = unit.id;
  if (unit.loadState === 'not-found') throw new TaskError(`unit ${name} not found`, context);
  const masked = unit.loadState === 'masked' || unit.unitFileState.startsWith('masked');
  if (masked && (wanted.enabled === true || (wanted.state !== undefined && wanted.state !== 'stopped'))) {
    throw new TaskError(`unit ${name} is masked: unmask it (systemctl unmask ${name}) or remove the mask file`, context);
  }
  if (unit.loadState === 'bad-setting' || unit.loadState === 'error') {
    throw new TaskError(`unit ${name} failed to load (${unit.loadState}): see systemd-analyze verify ${unit.fragmentPath || name}`, context);
  }

  const steps: UnitStep[] = [];
  if (wanted.daemonReload && unit.needDaemonReload) {
    steps.push({ change: { description: `daemon-reload (${name} changed on disk)` }, command: 'systemctl daemon-reload' });
  }
  if (wanted.enabled === true && !ENABLED_OK.has(unit.unitFileState)) {
    steps.push({ change: { description: `enable ${name}` }, command: sh`systemctl enable ${name}` });
  }
  if (wanted.enabled === false && !masked && !DISABLED_OK.has(unit.unitFileState)) {
    steps.push({ change: { description: `disable ${name}` }, command: sh`systemctl disable ${name}` });
  }

  const running = RUNNING.has(unit.activeState);
  switch (wanted.state) {
    case 'started':
      if (!running) steps.push({ change: { description: `start ${name}` }, command: sh`systemctl start ${name}` });
      break;
    case 'stopped':
      if (running) steps.push({ change: { description: `stop ${name}` }, command: sh`systemctl stop ${name}` });
      break;
    case 'restarted':
      steps.push({ change: { description: running ? `restart ${name}` : `start ${name} (restart of a stopped unit)` }, command: sh`systemctl restart ${name}` });
      break;
    case 'reloaded':
      if (!running) {
        // Reloading a stopped service fails in systemd; what the user wants is its config in effect.
        steps.push({ change: { description: `start ${name} (not running, so reloaded means started)` }, command: sh`systemctl start ${name}` });
      } else if (!unit.canReload) {
        throw new TaskError(`unit ${name} cannot reload (no ExecReload=): use state 'restarted'`, context);
      } else {
        steps.push({ change: { description: `reload ${name}` }, command: sh`systemctl reload ${name}` });
      }
      break;
  }
  return steps;
}
