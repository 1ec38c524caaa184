/**
 * systemd's view of units. Command: `systemctl show -p PROPS -- UNITS` prints KEY=value lines,
 * one blank-line-separated block per unit, in the order asked; an unknown unit still gets a block
 * with `LoadState=not-found`.
 */
export const UNIT_PROPERTIES = [
  'Id',
  'LoadState',
  'ActiveState',
  'SubState',
  'UnitFileState',
  'NeedDaemonReload',
  'CanReload',
  'FragmentPath',
] as const;

export interface UnitState {
  id: string;
  /** `loaded`, `not-found`, `masked`, `bad-setting`, `error`. */
  loadState: string;
  /** `active`, `inactive`, `failed`, `activating`, `deactivating`, `reloading`. */
  activeState: string;
  subState: string;
  /** `enabled`, `disabled`, `static`, `masked`, `alias`, `indirect`, `generated`, ... ('' when not found). */
  unitFileState: string;
  /** The unit file changed on disk since systemd last loaded it. */
  needDaemonReload: boolean;
  canReload: boolean;
  fragmentPath: string;
}

export function parseSystemctlShow(text: string): UnitState[] {
  return text
    .split(/\n\s*\n/)
    .map((block) => {
      const values = new Map<string, string>();
      for (const line of block.split('\n')) {
        const eq = line.indexOf('=');
        if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1));
      }
      return values;
    })
    .filter((values) => values.has('Id'))
    .map((values) => ({
      id: values.get('Id') ?? '',
      loadState: values.get('LoadState') ?? '',
      activeState: values.get('ActiveState') ?? '',
      subState: values.get('SubState') ?? '',
      unitFileState: values.get('UnitFileState') ?? '',
      needDaemonReload: values.get('NeedDaemonReload') === 'yes',
      canReload: values.get('CanReload') === 'yes',
      fragmentPath: values.get('FragmentPath') ?? '',
    }));
}

const UNIT_SUFFIX = /\.(service|socket|timer|target|mount|automount|path|slice|scope|swap|device)$/;

/** `nginx` → `nginx.service`, as systemctl itself assumes. */
export function unitName(name: string): string {
  return UNIT_SUFFIX.test(name) ? name : `${name}.service`;
}
