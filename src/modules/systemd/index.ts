/** The `systemd` namespace of the public API: `systemd.unit(...)`. */
export { unit, systemdUnitModule } from './unit.ts';
