/**
 * Shell completion: the hidden completer run through the real CLI entry (main), and the generated
 * bash script run in a real bash with COMP_WORDS/COMP_CWORD set as bash sets them, calling the
 * real bin. Hosts, groups and tags come from files; nothing contacts a host.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-completion-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const inventory = path.join(dir, 'inv.yml');
writeFileSync(
  inventory,
  'hosts:\n  web-01: { address: 10.0.0.1 }\n  web-02: { address: 10.0.0.2 }\n  db-01: { address: 10.0.0.3, password: { $env: SHIPSHAPE_UNSET_FOR_COMPLETION } }\n  me: { address: localhost, connection: local }\ngroups:\n  web: { hosts: [web-01, web-02] }\n',
);
const PLAYBOOK = path.resolve('test/fixtures/playbooks/basic.ts');
const CLI = path.resolve('bin/shipshape.js');

async function complete(...words: string[]): Promise<string[]> {
  let out = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    // The last word is the one being completed: index words.length, after 'shipshape' at 0.
    await main(['node', 'shipshape', '__complete', '--', String(words.length), 'shipshape', ...words]);
  } finally {
    write.mockRestore();
  }
  return out.split('\n').filter(Boolean);
}

describe('shipshape __complete', () => {
  it('commands and their options; the hidden completer is not offered', async () => {
    expect(await complete('')).toEqual(expect.arrayContaining(['apply', 'plan', 'inventory', 'completion']));
    expect(await complete('')).not.toContain('__complete');
    expect(await complete('ap')).toEqual(['apply']);
    expect(await complete('apply', '--lo')).toEqual(['--lock-timeout']);
    expect(await complete('vault', 'enc')).toEqual(['encrypt', 'encrypt-string']);
  });

  it('host and group names from -i for --limit, keeping what is typed before a separator', async () => {
    expect(await complete('apply', PLAYBOOK, '-i', inventory, '--limit', '')).toEqual(expect.arrayContaining(['web', 'web-01', 'web-02', 'db-01', 'me']));
    expect(await complete('apply', PLAYBOOK, '-i', inventory, '-l', 'web-')).toEqual(['web-01', 'web-02']);
    expect(await complete('plan', PLAYBOOK, '-i', inventory, '-l', 'web:&d')).toEqual(['web:&db-01']);
  });

  it("tags from the playbook's tasks, comma lists continued", async () => {
    expect((await complete('apply', PLAYBOOK, '-i', inventory, '--tags', '')).sort()).toEqual(['config', 'packages']);
    expect(await complete('apply', '-i', inventory, PLAYBOOK, '-t', 'packages,')).toEqual(['packages,config']);
  });

  it('file names are left to the shell; a broken inventory completes nothing', async () => {
    expect(await complete('apply', '-i', '')).toEqual(['__files__']);
    expect(await complete('apply', '')).toEqual(['__files__']);
    expect(await complete('apply', PLAYBOOK, '-i', path.join(dir, 'missing.yml'), '-l', '')).toEqual([]);
  });
});

describe('shipshape completion bash', () => {
  it('completes in a real bash through the generated script and the real bin', async () => {
    let script = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      script += String(chunk);
      return true;
    });
    try {
      await main(['node', 'shipshape', 'completion', 'bash']);
    } finally {
      write.mockRestore();
    }
    const scriptFile = path.join(dir, 'shipshape.bash');
    writeFileSync(scriptFile, script);
    const line = (words: string[]) =>
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _shipshape; printf '%s\\n' "\${COMPREPLY[@]}"; echo ==`;
    const bash = [
      `shipshape() { node ${CLI} "$@"; }`,
      `source ${scriptFile}`,
      line(['shipshape', 'pl']),
      line(['shipshape', 'apply', PLAYBOOK, '-i', inventory, '--tags', 'con']),
      line(['shipshape', 'apply', PLAYBOOK, '-i', inventory, '-l', 'we']),
      line(['shipshape', 'apply', '-i', path.join(dir, 'in')]),
      // As bash splits `-l web:we` (COMP_WORDBREAKS has the colon), with an option after the cursor.
      `COMP_WORDS=(shipshape apply ${PLAYBOOK} -l web : we -i ${inventory}); COMP_CWORD=6; COMPREPLY=(); _shipshape; printf '%s\\n' "\${COMPREPLY[@]}"; echo ==`,
    ].join('\n');
    const out = execFileSync('bash', ['-c', bash], { encoding: 'utf8', env: { ...process.env, SHIPSHAPE_FROM_SOURCE: '1' } });
    const [commands, tags, hosts, files, afterColon] = out.split('==\n').map((part) => part.split('\n').filter(Boolean));
    expect(commands).toEqual(['plan']);
    expect(tags).toEqual(['config']);
    expect(hosts!.sort()).toEqual(['web', 'web-01', 'web-02']);
    expect(files).toEqual([inventory]);
    expect(afterColon!.sort()).toEqual(['web-01', 'web-02']);
  }, 180_000);
});

/** The script `shipshape completion SHELL` prints, written to a file. */
async function completionScript(shell: 'zsh' | 'fish'): Promise<string> {
  let script = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    script += String(chunk);
    return true;
  });
  try {
    await main(['node', 'shipshape', 'completion', shell]);
  } finally {
    write.mockRestore();
  }
  const file = path.join(dir, `shipshape.${shell}`);
  writeFileSync(file, script);
  return file;
}

function installed(shell: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${shell}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The candidates a shell offers for a command line, one per line in its output. */
const lines = (out: string) => out.split('\n').filter(Boolean);

// Each shell asked as a user's Tab asks it: zsh interactively on a pseudo-terminal with compinit,
// fish through its own `complete -C`. Both call the real bin, which runs from the bundle.
describe('shipshape completion zsh', () => {
  it('completes commands, hosts from -i, tags from the playbook and files in a real interactive zsh', async (context) => {
    if (!installed('zsh')) context.skip('zsh is not installed on this machine (apt-get install zsh): the zsh script is untested here');
    const script = await completionScript('zsh');
    const setup = path.join(dir, 'zsh-setup.zsh');
    writeFileSync(setup, `shipshape() { node ${CLI} "$@"; }\nsource ${script}\n`);
    const tab = (line: string) =>
      lines(execFileSync('zsh', ['-f', path.resolve('test/fixtures/completion/zsh-complete.zsh'), setup, line], { encoding: 'utf8', timeout: 120_000 }));
    expect(tab('shipshape pl')).toEqual(['plan']);
    expect(tab(`shipshape apply ${PLAYBOOK} -i ${inventory} -l we`).sort()).toEqual(['web', 'web-01', 'web-02']);
    // Unquoted, `&` ends a zsh command: a union is what one types there.
    expect(tab(`shipshape plan ${PLAYBOOK} -i ${inventory} -l web:d`)).toEqual(['web:db-01']);
    expect(tab(`shipshape apply ${PLAYBOOK} -i ${inventory} --tags con`)).toEqual(['config']);
    expect(tab(`shipshape apply -i ${path.join(dir, 'in')}`)).toEqual(['inv.yml']);
  }, 600_000);
});

describe('shipshape completion fish', () => {
  it('completes commands, hosts from -i, tags from the playbook and files in a real fish', async (context) => {
    if (!installed('fish')) context.skip('fish is not installed on this machine (apt-get install fish): the fish script is untested here');
    const script = await completionScript('fish');
    const ask = (line: string) => `complete -C ${JSON.stringify(line)}; echo ==`;
    const fish = [
      `function shipshape; node ${CLI} $argv; end`,
      `source ${script}`,
      ask('shipshape pl'),
      ask(`shipshape apply ${PLAYBOOK} -i ${inventory} -l we`),
      ask(`shipshape plan ${PLAYBOOK} -i ${inventory} -l web:&d`),
      ask(`shipshape apply ${PLAYBOOK} -i ${inventory} --tags con`),
      ask(`shipshape apply -i ${path.join(dir, 'in')}`),
    ].join('\n');
    const out = execFileSync('fish', ['--no-config', '-c', fish], { encoding: 'utf8', timeout: 300_000 });
    const [commands, hosts, intersection, tags, files] = out.split('==\n').map(lines);
    expect(commands).toEqual(['plan']);
    expect(hosts!.sort()).toEqual(['web', 'web-01', 'web-02']);
    expect(intersection).toEqual(['web:&db-01']);
    expect(tags).toEqual(['config']);
    expect(files).toEqual([inventory]);
  }, 600_000);
});
