import { describe, expect, it } from 'vitest';
import { esmHint } from '../../src/util/esm-hint.ts';

describe('esmHint', () => {
  it('explains the CommonJS-scope failure of a .ts playbook', () => {
    const error = new Error('Cannot require() ES Module /tmp/x/pb.ts in a cycle. A cycle involving require(esm) is not allowed');
    expect(esmHint(error, 'pb.ts')).toMatch(/add "type": "module" to that package.json, or name the file \.mts/);
  });
  it('leaves other failures alone', () => {
    expect(esmHint(new Error('x is not defined'), 'pb.ts')).toBeUndefined();
  });
});
