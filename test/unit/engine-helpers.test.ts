import { describe, expect, it } from 'vitest';
import { serialBatches } from '../../src/engine/serial.ts';
import { selectedByTags } from '../../src/engine/tags.ts';
import { exitCode, emptyTally } from '../../src/engine/result.ts';
import { mapLimit } from '../../src/engine/concurrency.ts';

describe('serial batches', () => {
  it('splits by count and by percentage, at least one host per batch', () => {
    expect(serialBatches([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(serialBatches([1, 2, 3, 4], '50%')).toEqual([[1, 2], [3, 4]]);
    expect(serialBatches([1, 2, 3], '10%')).toEqual([[1], [2], [3]]);
    expect(serialBatches([1, 2], undefined)).toEqual([[1, 2]]);
    expect(serialBatches([], 2)).toEqual([]);
  });
  it('names a malformed serial value', () => {
    expect(() => serialBatches([1], 'half')).toThrow(/serial: expected a number or a percentage/);
  });
});

describe('tags', () => {
  it('follows Ansible: always, never, skip-tags win, untagged', () => {
    expect(selectedByTags([], {})).toBe(true);
    expect(selectedByTags(['never'], {})).toBe(false);
    expect(selectedByTags(['web'], { tags: ['db'] })).toBe(false);
    expect(selectedByTags(['web', 'db'], { tags: ['db'] })).toBe(true);
    expect(selectedByTags(['always'], { tags: ['db'] })).toBe(true);
    expect(selectedByTags(['always'], { tags: ['db'], skipTags: ['always'] })).toBe(false);
    expect(selectedByTags(['web'], { skipTags: ['web'] })).toBe(false);
    expect(selectedByTags([], { tags: ['untagged'] })).toBe(true);
  });
});

describe('exit codes', () => {
  const recap = (tally: Partial<ReturnType<typeof emptyTally>>, check = false) => ({
    hosts: { a: { ...emptyTally(), ...tally } },
    durationMs: 0,
    check,
    interrupted: false,
  });
  it('0 success, 1 failure or unreachable, 2 check with changes', () => {
    expect(exitCode(recap({ ok: 3, changed: 2 }))).toBe(0);
    expect(exitCode(recap({ failed: 1, changed: 2 }, true))).toBe(1);
    expect(exitCode(recap({ unreachable: 1 }))).toBe(1);
    expect(exitCode(recap({ changed: 1 }, true))).toBe(2);
    expect(exitCode(recap({ ok: 1 }, true))).toBe(0);
    expect(exitCode({ ...recap({ ok: 1 }), interrupted: true })).toBe(1);
  });
});

describe('mapLimit', () => {
  it('never runs more than the limit at once and runs everything', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await mapLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 1));
      running--;
      done.push(n);
    });
    expect(peak).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});
