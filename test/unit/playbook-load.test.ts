import { describe, expect, it } from 'vitest';
import { loadPlaybook } from '../../src/playbook/load.ts';

describe('loadPlaybook', () => {
  it('names a missing playbook file plainly', async () => {
    await expect(loadPlaybook('no/such/playbook.ts')).rejects.toThrow(/^no\/such\/playbook\.ts: playbook file not found$/);
  });
  it('loads a playbook and names its plays', async () => {
    const { playbook } = await loadPlaybook('test/fixtures/playbooks/readme-example.ts');
    expect(playbook.plays.map((p) => p.name)).toEqual(['nginx']);
  });
});
