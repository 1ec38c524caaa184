/**
 * `--shard K/N`: a stable 1/N of the hosts, so N controllers (the jobs of a CI matrix) provision one
 * fleet between them. A host's shard depends only on its name and N, never on the inventory's order
 * or on which other hosts exist: adding a host moves no other host to another shard, and every run of
 * job K with the same N selects the same hosts.
 */
import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.ts';

export interface Shard {
  /** 1-based, as CI systems number their jobs (GitLab's CI_NODE_INDEX, a matrix of 1..N). */
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw new ConfigError(`--shard "${text}": expected K/N, e.g. --shard 2/4 for the second of four jobs`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1) throw new ConfigError(`--shard "${text}": N must be at least 1`);
  if (index < 1 || index > count) throw new ConfigError(`--shard "${text}": K must be between 1 and ${count}`);
  return { index, count };
}

/** Which shard (1-based) of `count` a host belongs to: the first 6 bytes of SHA-256 of its name, modulo count. */
export function shardOf(host: string, count: number): number {
  const digest = createHash('sha256').update(host).digest();
  return (digest.readUIntBE(0, 6) % count) + 1;
}

export function inShard(host: string, shard: Shard): boolean {
  return shardOf(host, shard.count) === shard.index;
}
