import { describe, expect, it } from 'vitest';
import { TaskError } from '../../src/errors.ts';
import { attributeChanges, normalizeMode, setAttributesCommand } from '../../src/modules/file/attributes.ts';
import { planAbsent } from '../../src/modules/file/absent.ts';
import { planContent, sha256 } from '../../src/modules/file/content.ts';
import { copySchema } from '../../src/modules/file/copy.ts';
import { directorySchema, planDirectory } from '../../src/modules/file/directory.ts';
import { editText, lineSchema, planLine } from '../../src/modules/file/line.ts';
import { linkSchema, planLink } from '../../src/modules/file/link.ts';
import { parseProbe, type PathState } from '../../src/modules/file/probe.ts';

/** A probe's recorded output, as the host prints it. */
function probed(lines: string[], content?: string | Buffer): PathState {
  const head = Buffer.from(lines.map((l) => `${l}\n`).join(''));
  if (content === undefined) return parseProbe(head);
  return parseProbe(Buffer.concat([head, Buffer.from('--content--\n'), Buffer.from(content)]));
}

const oldText = 'listen 80\nworkers 2\n';
const newText = 'listen 80\nworkers 4\n';
const regular = (mode = '644', owner = 'root', content: string | Buffer | undefined = oldText) =>
  probed([`state:regular file|${mode}|${owner}|root|${Buffer.byteLength(content ?? oldText)}`, `sha256:${sha256(Buffer.from(content ?? oldText))}`], content);

describe('modes and attributes', () => {
  it('normalizes string and number modes to four digits', () => {
    expect(normalizeMode('644')).toBe('0644');
    expect(normalizeMode('0600')).toBe('0600');
    expect(normalizeMode(0o644)).toBe('0644');
    expect(normalizeMode('1777')).toBe('1777');
    expect(copySchema.parse({ dest: '/a', content: '', mode: 0o600 }).mode).toBe('0600');
    expect(copySchema.safeParse({ dest: '/a', content: '', mode: '0999' }).success).toBe(false);
  });

  it('reports only the attributes the task sets', () => {
    const current = { owner: 'root', group: 'root', mode: '0644' };
    expect(attributeChanges(current, { mode: '0600' }, '/etc/x').map((c) => c.description)).toEqual(['mode of /etc/x: 0644 → 0600']);
    expect(attributeChanges(current, { owner: 'root', group: 'adm' }, '/etc/x').map((c) => c.description)).toEqual([
      'group of /etc/x: root → adm',
    ]);
    expect(attributeChanges(current, {}, '/etc/x')).toEqual([]);
  });

  it('compares a numeric owner or group with the numeric id, not the name', () => {
    const current = parseProbe(Buffer.from('state:regular file|640|UNKNOWN|adm|1001|4|6\n'));
    expect(current).toMatchObject({ owner: 'UNKNOWN', uid: '1001', group: 'adm', gid: '4', size: 6 });
    const wanted = copySchema.parse({ dest: '/a', content: '', owner: 1001, group: '4' });
    expect(wanted.owner).toBe('1001');
    expect(attributeChanges(current as never, wanted, '/a')).toEqual([]);
    expect(attributeChanges(current as never, { owner: '0', group: 'adm' }, '/a').map((c) => c.description)).toEqual(['owner of /a: UNKNOWN (1001) → 0']);
  });

  it('chowns before chmod (chown clears setuid bits)', () => {
    expect(setAttributesCommand('/srv/a b', { owner: 'deploy', group: 'www-data', mode: '4755' })).toBe(
      "chown -- deploy:www-data '/srv/a b' && chmod 4755 -- '/srv/a b'",
    );
  });
});

describe('probe output parser', () => {
  it('parses absent, directory, link and file with binary content', () => {
    expect(probed(['state:absent'])).toEqual({ kind: 'absent' });
    expect(probed(['state:directory|2775|deploy|www-data|4096'])).toEqual({
      kind: 'directory', mode: '2775', owner: 'deploy', group: 'www-data', size: 4096,
    });
    expect(probed(['state:symbolic link|777|root|root|11', 'link:/etc/target'])).toMatchObject({ kind: 'link', linkTarget: '/etc/target' });
    const binary = Buffer.from([0, 1, 2, 10, 45, 45, 10, 255]);
    const state = probed(['state:regular file|600|root|root|8', 'sha256:abc'], binary);
    expect(state).toMatchObject({ kind: 'file', mode: '0600', sha256: 'abc' });
    expect((state as { content: Buffer }).content.equals(binary)).toBe(true);
  });
});

describe('file.copy / file.template planner', () => {
  const wanted = { path: '/etc/app.conf', content: Buffer.from(newText) };

  it('creates a missing file with its full content as the diff', () => {
    const plan = planContent({ kind: 'absent' }, { ...wanted, mode: '0600', owner: 'app' });
    expect(plan.changes).toEqual([
      { description: 'create /etc/app.conf (owner app, mode 0600)', diff: { path: '/etc/app.conf', before: '', after: newText } },
    ]);
    expect(plan.data!.write).toBe(true);
  });

  it('is a no-op when hash and attributes match', () => {
    const same = probed(['state:regular file|644|root|root|20', `sha256:${sha256(Buffer.from(newText))}`]);
    expect(planContent(same, { ...wanted, mode: '0644', owner: 'root' }).changes).toEqual([]);
  });

  it('reports a content change with before/after, and mode drift as its own line', () => {
    const plan = planContent(regular('644'), { ...wanted, mode: '0600' });
    expect(plan.changes).toEqual([
      { description: 'update /etc/app.conf', diff: { path: '/etc/app.conf', before: oldText, after: newText } },
      { description: 'mode of /etc/app.conf: 0644 → 0600' },
    ]);
    expect(plan.data!.write).toBe(true);
  });

  it('a mode-only drift is a chmod, not a rewrite', () => {
    const same = probed(['state:regular file|644|root|root|20', `sha256:${sha256(Buffer.from(newText))}`]);
    const plan = planContent(same, { ...wanted, mode: '0600' });
    expect(plan.changes.map((c) => c.description)).toEqual(['mode of /etc/app.conf: 0644 → 0600']);
    expect(plan.data).toMatchObject({ write: false, attributes: { mode: '0600' } });
  });

  it('says binary content differs without a text diff', () => {
    const plan = planContent(regular('644', 'root', Buffer.from([0, 1, 2])), { path: '/bin/x', content: Buffer.from([0, 1, 3]) });
    expect(plan.changes).toEqual([{ description: 'update /bin/x: binary content differs (3 → 3 bytes)' }]);
  });

  it('says a large file differs without its content', () => {
    const big = probed(['state:regular file|644|root|root|5000000', 'sha256:0000']);
    expect(planContent(big, wanted).changes).toEqual([{ description: 'update /etc/app.conf: content differs (5000000 → 20 bytes, too large to diff)' }]);
  });

  it('replaces a symlink and refuses a directory', () => {
    const link = probed(['state:symbolic link|777|root|root|9', 'link:/elsewhere']);
    expect(planContent(link, wanted).changes[0].description).toBe('replace symbolic link /etc/app.conf (→ /elsewhere) with a file');
    expect(() => planContent(probed(['state:directory|755|root|root|4096']), wanted)).toThrow(TaskError);
  });

  it('needs exactly one of content and src, and %s in validate', () => {
    expect(copySchema.safeParse({ dest: '/a' }).success).toBe(false);
    expect(copySchema.safeParse({ dest: '/a', content: 'x', src: 'y' }).success).toBe(false);
    expect(copySchema.safeParse({ dest: 'relative', content: 'x' }).success).toBe(false);
    expect(copySchema.safeParse({ dest: '/a', content: 'x', validate: 'nginx -t' }).success).toBe(false);
    expect(copySchema.safeParse({ dest: '/a', content: 'x', validate: 'nginx -t -c %s' }).success).toBe(true);
  });
});

describe('file.directory planner', () => {
  const args = directorySchema.parse({ path: '/srv/app', owner: 'deploy', mode: '0750' });

  it('creates a missing directory', () => {
    expect(planDirectory({ kind: 'absent' }, args).changes).toEqual([{ description: 'create directory /srv/app (owner deploy, mode 0750)' }]);
  });

  it('reports owner and mode drift, and nothing when it matches', () => {
    const drift = probed(['state:directory|755|root|root|4096']);
    expect(planDirectory(drift, args).changes.map((c) => c.description)).toEqual([
      'owner of /srv/app: root → deploy',
      'mode of /srv/app: 0755 → 0750',
    ]);
    expect(planDirectory(probed(['state:directory|750|deploy|root|4096']), args).changes).toEqual([]);
  });

  it('counts drift inside with recurse', () => {
    const recurse = directorySchema.parse({ path: '/srv/app', owner: 'deploy', recurse: true });
    const ok = probed(['state:directory|755|deploy|root|4096']);
    expect(planDirectory(ok, recurse, 3).changes).toEqual([{ description: 'owner/group/mode of 3 entries inside /srv/app' }]);
    expect(planDirectory(ok, recurse, 0).changes).toEqual([]);
  });

  it('refuses a file in the way', () => {
    expect(() => planDirectory(regular(), args)).toThrow(/exists and is not a directory/);
  });
});

describe('file.absent planner', () => {
  it('removes what is there, nothing when absent', () => {
    expect(planAbsent({ kind: 'absent' }, '/x').changes).toEqual([]);
    expect(planAbsent(regular(), '/x').changes).toEqual([{ description: 'remove file /x' }]);
    expect(planAbsent(probed(['state:directory|755|root|root|4096']), '/x').changes).toEqual([
      { description: 'remove directory (and everything in it) /x' },
    ]);
  });
});

describe('file.link planner', () => {
  const args = linkSchema.parse({ src: '/etc/nginx/sites-available/app', dest: '/etc/nginx/sites-enabled/app' });

  it('links, relinks, leaves a correct link alone', () => {
    expect(planLink({ kind: 'absent' }, args).changes).toEqual([{ description: 'link /etc/nginx/sites-enabled/app → /etc/nginx/sites-available/app' }]);
    const wrong = probed(['state:symbolic link|777|root|root|4', 'link:/old']);
    expect(planLink(wrong, args).changes).toEqual([
      { description: 'relink /etc/nginx/sites-enabled/app: /old → /etc/nginx/sites-available/app' },
    ]);
    const right = probed(['state:symbolic link|777|root|root|4', 'link:/etc/nginx/sites-available/app']);
    expect(planLink(right, args).changes).toEqual([]);
  });

  it('replaces a file only with force, never a directory', () => {
    expect(() => planLink(regular(), args)).toThrow(/force: true/);
    expect(planLink(regular(), { ...args, force: true }).changes[0].description).toMatch(/^replace file/);
    expect(() => planLink(probed(['state:directory|755|root|root|4096']), { ...args, force: true })).toThrow(/is a directory/);
  });
});

describe('file.line', () => {
  const line = (input: Record<string, unknown>) => lineSchema.parse({ path: '/etc/ssh/sshd_config', ...input });
  const config = '#PermitRootLogin yes\nPort 22\nPasswordAuthentication yes\n';

  it('replaces the last line matching regexp', () => {
    expect(editText(config, line({ regexp: '^#?PermitRootLogin', line: 'PermitRootLogin no' }))).toBe(
      'PermitRootLogin no\nPort 22\nPasswordAuthentication yes\n',
    );
  });

  it('does nothing when the line is already there (with or without a matching regexp)', () => {
    const args = line({ regexp: '^Nope', line: 'Port 22' });
    expect(editText(config, args)).toBe(config);
    expect(editText(config, line({ line: 'Port 22' }))).toBe(config);
  });

  it('inserts at EOF, after or before a match, at BOF', () => {
    expect(editText(config, line({ line: 'UseDNS no' }))).toBe(`${config}UseDNS no\n`);
    expect(editText(config, line({ line: 'UseDNS no', insertAfter: '^Port' }))).toBe(
      '#PermitRootLogin yes\nPort 22\nUseDNS no\nPasswordAuthentication yes\n',
    );
    expect(editText(config, line({ line: 'UseDNS no', insertBefore: '^Port' }))).toBe(
      '#PermitRootLogin yes\nUseDNS no\nPort 22\nPasswordAuthentication yes\n',
    );
    expect(editText(config, line({ line: 'UseDNS no', insertBefore: 'BOF' }))).toBe(`UseDNS no\n${config}`);
    expect(editText(config, line({ line: 'UseDNS no', insertAfter: '^NoMatch' }))).toBe(`${config}UseDNS no\n`);
  });

  it('adds a newline to a file that lacks a final one', () => {
    expect(editText('a\nb', line({ line: 'c' }))).toBe('a\nb\nc\n');
  });

  it('removes lines by regexp or exact text', () => {
    expect(editText(config, line({ state: 'absent', regexp: 'yes$' }))).toBe('Port 22\n');
    expect(editText(config, line({ state: 'absent', line: 'Port 22' }))).toBe('#PermitRootLogin yes\nPasswordAuthentication yes\n');
    expect(editText(config, line({ state: 'absent', line: 'Port 23' }))).toBe(config);
  });

  it('plans a diff, and nothing when already right', () => {
    const current = regular('644', 'root', config);
    const plan = planLine(current, line({ regexp: '^PasswordAuthentication', line: 'PasswordAuthentication no' }));
    expect(plan.changes).toEqual([
      {
        description: 'set line "PasswordAuthentication no" in /etc/ssh/sshd_config',
        diff: { path: '/etc/ssh/sshd_config', before: config, after: '#PermitRootLogin yes\nPort 22\nPasswordAuthentication no\n' },
      },
    ]);
    expect(planLine(current, line({ line: 'Port 22' })).changes).toEqual([]);
  });

  it('fails on a missing file unless create; absent is then a no-op', () => {
    expect(() => planLine({ kind: 'absent' }, line({ line: 'x' }))).toThrow(/create: true/);
    expect(planLine({ kind: 'absent' }, line({ line: 'x', create: true, mode: '0600' })).changes).toEqual([
      { description: 'create /etc/ssh/sshd_config (mode 0600)', diff: { path: '/etc/ssh/sshd_config', before: '', after: 'x\n' } },
    ]);
    expect(planLine({ kind: 'absent' }, line({ state: 'absent', line: 'x' })).changes).toEqual([]);
  });

  it('validates its arguments', () => {
    expect(lineSchema.safeParse({ path: '/a' }).success).toBe(false);
    expect(lineSchema.safeParse({ path: '/a', line: 'x', regexp: '(' }).success).toBe(false);
    expect(lineSchema.safeParse({ path: '/a', line: 'a\nb' }).success).toBe(false);
    expect(lineSchema.safeParse({ path: '/a', state: 'absent', regexp: '^x' }).success).toBe(true);
  });
});
