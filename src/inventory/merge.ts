import { setOwn } from './own.ts';

export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Merges `source` over `target` into a new object: nested plain objects merge key by key, anything
 * else (scalars, arrays, Secrets) replaces. Used for extra vars, where `-e db.port=3307` must change
 * one leaf and keep `db.host` from the inventory.
 */
export function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(source)) {
    const existing = out[key];
    setOwn(out, key, isPlainRecord(existing) && isPlainRecord(value) ? deepMerge(existing, value) : value);
  }
  return out;
}
