import { describe, expect, it } from 'vitest';
import { formatGtidSet, gtidSubset, parseGtidSet, subtractGtids } from '../../src/modules/mysql/gtid.ts';
import { planReplication } from '../../src/modules/mysql/replication-plan.ts';
import { checkTopology, errantGtids, planFailover, planSwitchover, planWritable, type LiveDbState } from '../../src/modules/mysql/topology-plan.ts';

const A = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const B = '4f22ab58-82db-22f2-af44-d91bba53a673';
const C = '5a33bc69-93ec-33a3-b055-ea2ccb64b784';

function state(name: string, over: Partial<LiveDbState>): LiveDbState {
  return { name, readOnly: false, superReadOnly: false, serverUuid: A, gtidExecuted: '', sourceHost: '', ioRunning: '', sqlRunning: '', retrievedGtids: '', ...over };
}

const addresses: Record<string, string> = { '10.0.0.1': 'db-1', '10.0.0.2': 'db-2' };
const nameOf = (address: string) => addresses[address];

// The converged site: db-1 primary, db-2 its read-only replica seeded from it.
const primary = state('db-1', { serverUuid: A, gtidExecuted: `${A}:1-100` });
const replica = state('db-2', { serverUuid: B, gtidExecuted: `${A}:1-100`, readOnly: true, superReadOnly: true, sourceHost: '10.0.0.1', ioRunning: 'Yes', sqlRunning: 'Yes' });

describe('GTID sets', () => {
  it('subtracts per server and interval, and prints MySQL’s spelling', () => {
    const a = parseGtidSet(`${A}:1-10:15-20,\n${B}:1-3`);
    const b = parseGtidSet(`${A}:5-16,${B}:1-3`);
    expect(formatGtidSet(subtractGtids(a, b))).toBe(`${A}:1-4:17-20`);
    expect(gtidSubset(parseGtidSet(`${A}:2-3`), a)).toBe(true);
    expect(gtidSubset(parseGtidSet(`${A}:11`), a)).toBe(false);
    expect(formatGtidSet(parseGtidSet(`${A}:1-3:4:6`))).toBe(`${A}:1-4:6`);
  });
});

describe('the re-run guard (checkTopology)', () => {
  it('agrees with the converged site, and with fresh hosts that hold only their own install transactions', () => {
    expect(checkTopology('db-1', [primary, replica], nameOf)).toBeUndefined();
    const fresh = state('db-2', { serverUuid: B, gtidExecuted: `${B}:1-5` });
    expect(checkTopology('db-1', [primary, fresh], nameOf)).toBeUndefined();
    // A replica whose threads an operator stopped and made writable still has its source: no primary.
    expect(checkTopology('db-1', [primary, { ...replica, superReadOnly: false, readOnly: false, ioRunning: 'No' }], nameOf)).toBeUndefined();
  });

  it('after a switchover: the inventory primary replicates from the live one, named with the variable to change', () => {
    const oldPrimary = { ...primary, readOnly: true, superReadOnly: true, sourceHost: '10.0.0.2' };
    const newPrimary = { ...replica, readOnly: false, superReadOnly: false, sourceHost: '' };
    expect(checkTopology('db-1', [oldPrimary, newPrimary], nameOf)).toMatch(/^mysqlPrimary is db-1, but db-1 is a replica of db-2 \(live\).*set mysqlPrimary=db-2 in the inventory/);
    expect(checkTopology('db-2', [oldPrimary, newPrimary], nameOf)).toBeUndefined();
  });

  it('after a failover with the old primary down or fenced: the promoted replica is named', () => {
    const promoted = { ...replica, readOnly: false, superReadOnly: false, sourceHost: '' };
    expect(checkTopology('db-1', [promoted], nameOf)).toMatch(/db-2 is the live primary.*set mysqlPrimary=db-2/);
    const fenced = { ...primary, readOnly: true, superReadOnly: true };
    expect(checkTopology('db-1', [fenced, promoted], nameOf)).toMatch(/set mysqlPrimary=db-2/);
    expect(checkTopology('db-2', [fenced, promoted], nameOf)).toBeUndefined();
  });
});

describe('runtime read-only state (planWritable)', () => {
  it('lifts super_read_only before read_only on a primary, sets it last on a replica, nothing when right', () => {
    expect(planWritable(true, { readOnly: true, superReadOnly: true }).sql).toEqual(['SET GLOBAL super_read_only = OFF;', 'SET GLOBAL read_only = OFF;']);
    expect(planWritable(false, { readOnly: false, superReadOnly: false }).sql).toEqual(['SET GLOBAL read_only = ON;', 'SET GLOBAL super_read_only = ON;']);
    expect(planWritable(false, { readOnly: true, superReadOnly: false }).lines).toEqual(['set global super_read_only = ON (running: OFF)']);
    expect(planWritable(true, { readOnly: false, superReadOnly: false }).lines).toEqual([]);
  });
});

describe('planSwitchover', () => {
  it('plans fence, wait, errant check, promote, repoint in that order', () => {
    const plan = planSwitchover(primary, replica, '10.0.0.2', '10.0.0.1', 30);
    expect(plan).toMatchObject({ ok: true, steps: ['fence', 'wait', 'errant-check', 'promote', 'repoint'] });
    if (plan.ok) expect(plan.lines[0]).toBe('fence db-1: super_read_only = ON (no new writes)');
  });

  it('refuses a candidate with errant transactions, naming them, before fencing anything', () => {
    const errant = { ...replica, gtidExecuted: `${A}:1-100,${B}:1-2` };
    const plan = planSwitchover(primary, errant, '10.0.0.2', '10.0.0.1', 30);
    expect(plan).toEqual({ ok: false, error: expect.stringContaining(`db-2 has errant transactions that db-1 does not have: ${B}:1-2;`) });
    expect(errantGtids(`${A}:1-100,${C}:7`, `${A}:1-101`)).toBe(`${C}:7`);
  });

  it('plans nothing once done, and only the rest after an interrupted run', () => {
    const promoted = { ...replica, readOnly: false, superReadOnly: false, sourceHost: '' };
    const repointed = { ...primary, readOnly: true, superReadOnly: true, sourceHost: '10.0.0.2' };
    expect(planSwitchover(repointed, promoted, '10.0.0.2', '10.0.0.1', 30)).toEqual({ ok: true, steps: [], lines: [] });
    const fencedOnly = { ...primary, readOnly: true, superReadOnly: true };
    expect(planSwitchover(fencedOnly, promoted, '10.0.0.2', '10.0.0.1', 30)).toMatchObject({ ok: true, steps: ['repoint'] });
    expect(planSwitchover(primary, promoted, '10.0.0.2', '10.0.0.1', 30)).toMatchObject({ ok: false, error: expect.stringContaining('both db-1 and db-2 are writable') });
  });
});

describe('planFailover', () => {
  it('promotes after applying the relay log; says what an unreachable primary costs', () => {
    const broken = { ...replica, ioRunning: 'Connecting', retrievedGtids: `${A}:1-103` };
    const plan = planFailover(broken, [], undefined, 'db-1');
    expect(plan).toMatchObject({ ok: true, steps: ['drain-relay-log', 'promote'] });
    if (plan.ok) expect(plan.lines[0]).toBe('apply the relay log (3 received transactions not yet executed)');
    expect(plan.notes?.[0]).toMatch(/db-1 is unreachable/);
  });

  it('refuses a candidate behind another replica, and a primary that still answers writable', () => {
    const ahead = state('db-3', { serverUuid: C, gtidExecuted: `${A}:1-105`, readOnly: true, superReadOnly: true, sourceHost: '10.0.0.1' });
    expect(planFailover(replica, [ahead], undefined, 'db-1')).toMatchObject({ ok: false, error: expect.stringContaining(`db-3 is more advanced than db-2 (it has ${A}:101-105): promote db-3 instead`) });
    expect(planFailover(replica, [], primary, 'db-1')).toMatchObject({ ok: false, error: expect.stringContaining('use playbooks/db-switchover.ts') });
  });

  it('plans nothing once the candidate is promoted', () => {
    expect(planFailover({ ...replica, readOnly: false, superReadOnly: false, sourceHost: '' }, [], undefined, 'db-1')).toEqual({ ok: true, steps: [], lines: [] });
  });
});

describe('rejoining a former primary (planReplication with both GTID histories)', () => {
  const want = { sourceHost: '10.0.0.2', sourcePort: 3306, user: 'replication', autoPosition: true, getSourcePublicKey: true, seedFrom: 'db-2', databases: ['app'] };

  it('does not re-seed when every transaction of the host is on the new primary', () => {
    const plan = planReplication(undefined, want, undefined, { own: `${A}:1-100`, source: `${A}:1-100,${B}:1-7` });
    expect(plan).toMatchObject({ ok: true, steps: [{ kind: 'configure' }, { kind: 'start' }] });
    if (plan.ok) expect(plan.lines[0]).toBe('rejoin: every transaction of this host is on db-2, no re-seed');
  });

  it('re-seeds a diverged host and names the transactions it discards', () => {
    const plan = planReplication(undefined, want, undefined, { own: `${A}:1-103`, source: `${A}:1-100,${B}:1-7` });
    expect(plan).toMatchObject({ ok: true, steps: [{ kind: 'seed' }, { kind: 'configure' }, { kind: 'start' }] });
    if (plan.ok) expect(plan.lines[0]).toBe(`re-seed: this host diverged from db-2; its 3 transaction(s) not on db-2 are discarded: ${A}:101-103`);
  });

  it('seeds a fresh host (no common history) without calling it diverged', () => {
    const plan = planReplication(undefined, want, undefined, { own: `${C}:1-5`, source: `${A}:1-100` });
    expect(plan).toMatchObject({ ok: true, steps: [{ kind: 'seed' }, { kind: 'configure' }, { kind: 'start' }] });
    if (plan.ok) expect(plan.lines[0]).toMatch(/^seed from db-2/);
  });
});
