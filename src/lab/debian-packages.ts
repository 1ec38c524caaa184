/**
 * Installs missing host tools (docker.io, debootstrap) on the controller, only where that is safe
 * to do unasked: a Debian machine where we are root (a fresh CI box, a throwaway VM).
 */
import { existsSync, readdirSync } from 'node:fs';
import { ConfigError } from '../errors.ts';
import { isRoot, runLocal } from './process.ts';

export function canInstallDebianPackages(): boolean {
  return isRoot() && existsSync('/etc/debian_version');
}

/** apt-get install, refreshing the package lists first when they are empty (fresh machines). */
export async function installDebianPackages(packages: string[], purpose: string): Promise<void> {
  if (!canInstallDebianPackages()) {
    throw new ConfigError(
      `${purpose} needs ${packages.join(', ')}, which is not installed. Install it with ` +
        `\`sudo apt-get install -y ${packages.join(' ')}\` (or your system's equivalent) and run again.`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!hasPackageLists()) await runLocal('apt-get', ['update'], { env });
  try {
    await runLocal('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env });
  } catch {
    // Stale lists give 404s on download: refresh once and retry.
    await runLocal('apt-get', ['update'], { env });
    await runLocal('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env });
  }
}

function hasPackageLists(): boolean {
  try {
    return readdirSync('/var/lib/apt/lists').some((name) => name.endsWith('_Packages') || name.endsWith('_Packages.lz4'));
  } catch {
    return false;
  }
}
