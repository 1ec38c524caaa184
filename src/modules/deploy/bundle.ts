import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../../errors.ts';

/** One file of a release, as it will be on the host. */
export interface BundleFile {
  path: string;
  sha256: string;
  executable: boolean;
}

/** The local application directory, hashed: identical content gives the identical release id. */
export interface Bundle {
  root: string;
  files: BundleFile[];
  /** First 12 hex digits of the hash over every file's path, mode bit and content. */
  id: string;
  /** `sha256sum -c` input, so the host can check its copy in one command. */
  manifest: string;
}

async function walk(root: string, dir: string, exclude: (rel: string) => boolean, out: string[]): Promise<void> {
  const entries = await readdir(path.join(root, dir), { withFileTypes: true });
  for (const entry of entries) {
    const rel = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (exclude(rel)) continue;
    if (entry.isDirectory()) await walk(root, rel, exclude, out);
    else if (entry.isFile()) out.push(rel);
    // Symlinks and special files are left out on purpose: a release is plain files.
  }
}

export async function readBundle(root: string, excludePatterns: string[] = []): Promise<Bundle> {
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw new ConfigError(`deploy: source directory ${root} does not exist`, { field: 'src' });
  const exclude = excludedBy(excludePatterns);
  const names: string[] = [];
  await walk(root, '', exclude, names);
  names.sort();
  const total = createHash('sha256');
  const files: BundleFile[] = [];
  for (const name of names) {
    const full = path.join(root, name);
    const [content, fileStat] = await Promise.all([readFile(full), stat(full)]);
    const sha256 = createHash('sha256').update(content).digest('hex');
    const executable = (fileStat.mode & 0o111) !== 0;
    files.push({ path: name, sha256, executable });
    total.update(`${name}\0${executable ? 'x' : '-'}\0${sha256}\n`);
  }
  const manifest = files.map((f) => `${f.sha256}  ./${f.path}\n`).join('');
  return { root, files, id: total.digest('hex').slice(0, 12), manifest };
}

/** Whether a relative path is left out by `exclude` (a path, a folder, or a glob of a path or base name). */
export function excludedBy(patterns: string[]): (rel: string) => boolean {
  // A path under an excluded folder is excluded too (`__pycache__/x.pyc` under `__pycache__`).
  return (rel) => {
    const parts = rel.split('/');
    return parts.some((_, i) => {
      const prefix = parts.slice(0, i + 1).join('/');
      return patterns.some((g) => prefix === g || matches(prefix, g));
    });
  };
}

/** Simple `*` globs against the relative path or its base name (e.g. `*.pyc`, `node_modules`). */
function matches(rel: string, glob: string): boolean {
  const regex = new RegExp(`^${glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
  return regex.test(rel) || regex.test(path.posix.basename(rel));
}

/** A tar stream of the bundle's files (the controller's tar: present on every Linux and macOS). */
export function tarBundle(bundle: Bundle): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-C', bundle.root, '-cf', '-', '--', ...bundle.files.map((f) => `./${f.path}`)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (error) => reject(new ConfigError(`deploy: cannot run tar on the controller: ${error.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(chunks));
      else reject(new ConfigError(`deploy: tar of ${bundle.root} failed: ${stderr.trim()}`));
    });
  });
}
