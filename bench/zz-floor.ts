import { readFileSync } from 'node:fs';
import { floorScript } from './floor.ts';
import { runFloor } from './tools.ts';
const state = JSON.parse(readFileSync('.lab/state.json', 'utf8'));
const groups: Record<string, string[]> = { 'lb-01': ['lb'], 'web-01': ['web', 'db'], 'web-02': ['web', 'db'] };
for (let i = 0; i < 5; i++) {
  const r = await runFloor(state.hosts.map((h: any) => ({ name: h.name, address: h.address, user: h.user, script: floorScript({ groups: groups[h.name], isPrimary: h.name === 'web-01' }, 'site') })), state.privateKey, state.knownHosts, '/tmp');
  console.log(r.seconds.toFixed(3), JSON.stringify(r.detail), r.ok ? '' : r.output);
  await new Promise((r) => setTimeout(r, 7000));
}
