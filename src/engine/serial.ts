import { ConfigError } from '../errors.ts';

/** Splits hosts into rolling batches: `serial: 2` or `serial: '50%'` (at least one host per batch). */
export function serialBatches<T>(hosts: T[], serial: number | string | undefined): T[][] {
  if (serial === undefined || hosts.length === 0) return hosts.length === 0 ? [] : [hosts];
  let size: number;
  if (typeof serial === 'number') {
    size = serial;
  } else {
    const match = serial.trim().match(/^(\d+(?:\.\d+)?)%$/);
    if (!match) throw new ConfigError(`serial: expected a number or a percentage like "50%", got "${serial}"`, { field: 'serial' });
    size = Math.floor((hosts.length * Number(match[1])) / 100);
  }
  size = Math.max(1, Math.floor(size));
  const batches: T[][] = [];
  for (let i = 0; i < hosts.length; i += size) batches.push(hosts.slice(i, i + size));
  return batches;
}
