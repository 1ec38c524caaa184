/**
 * A package argument: `nginx`, `libc6:i386`, or with a version pin `nginx=1.26*` (a glob over
 * apt's version strings, resolved against the versions apt offers).
 */
export interface PackageSpec {
  /** As written by the user, for messages. */
  spec: string;
  /** Name with any `:arch` qualifier, as dpkg and apt-get accept it. */
  name: string;
  /** Name without the arch qualifier. */
  baseName: string;
  arch?: string;
  /** Version glob, when pinned. */
  version?: string;
}

// Debian policy §5.6.1 for names; versions additionally allow the glob characters * and ?.
export const PACKAGE_SPEC = /^([a-z0-9][a-z0-9+.-]+)(?::([a-z0-9-]+))?(?:=([A-Za-z0-9.+~:*?-]+))?$/;

export function parsePackageSpec(spec: string): PackageSpec {
  const match = PACKAGE_SPEC.exec(spec);
  if (!match) throw new TypeError(`not a package name: ${spec}`);
  const [, baseName, arch, version] = match;
  return { spec, name: arch ? `${baseName}:${arch}` : baseName, baseName, ...(arch ? { arch } : {}), ...(version ? { version } : {}) };
}

/** Shell-style glob match (only * and ?), anchored at both ends. */
export function versionMatches(glob: string, version: string): boolean {
  const pattern = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${pattern}$`).test(version);
}
