import { TaskError } from '../../errors.ts';
import type { UnitState } from './probe.ts';
import { sh } from '../../transport/quote.ts';
import type { Change } from '../../task/types.ts';

/** A planned change and the command that makes it. */
export interface UnitStep {
  change: Change;
  command: string;
  /** The step starts the unit: apply then waits to see it stay running (see unit-apply.ts). */
  starts?: boolean;
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

  // `activating/auto-restart`: the process died and systemd waits to start it again (a crash
  // loop). It is not running; it still needs a stop to stay stopped.
  const crashLoop = unit.activeState === 'activating' && unit.subState.startsWith('auto-restart');
  const running = RUNNING.has(unit.activeState) && !crashLoop;
  // Every start or restart shipshape asks for is deliberate, so it first resets systemd's start
  // limit: a package's postinst that started the unit before its configuration existed leaves a
  // crash loop behind that counts against the limit (5 starts in 10 s), and the start that follows
  // the configuration (or the restart its handler asks for a moment later) would be refused as
  // "attempted too often" — or, once the unit is `failed`, refused until its state is reset.
  const resetFailed = sh`{ systemctl reset-failed ${name} 2>/dev/null || true; } && `;
  const start = `${resetFailed}${sh`systemctl start ${name}`}`;
  switch (wanted.state) {
    case 'started':
      if (!running) {
        const why = crashLoop ? ` (not running: ${unit.activeState}/${unit.subState}, a crash loop)` : '';
        steps.push({ change: { description: `start ${name}${why}` }, command: start, starts: true });
      }
      break;
    case 'stopped':
      if (running || crashLoop) steps.push({ change: { description: `stop ${name}` }, command: sh`systemctl stop ${name}` });
      break;
    case 'restarted':
      steps.push({
        change: { description: running ? `restart ${name}` : `start ${name} (restart of a stopped unit)` },
        command: `${resetFailed}${sh`systemctl restart ${name}`}`,
        starts: true,
      });
      break;
    case 'reloaded':
      if (!running) {
        // Reloading a stopped service fails in systemd; what the user wants is its config in effect.
        steps.push({ change: { description: `start ${name} (not running, so reloaded means started)` }, command: start, starts: true });
      } else if (!unit.canReload) {
        throw new TaskError(`unit ${name} cannot reload (no ExecReload=): use state 'restarted'`, context);
      } else {
        steps.push({ change: { description: `reload ${name}` }, command: sh`systemctl reload ${name}` });
      }
      break;
  }
  return steps;
}
