/**
 * The lab host image's recipe: Debian suite, package list and the setup script run in the chroot.
 * The image tag is a hash of all three, so the image is rebuilt exactly when the recipe changes.
 * The result is meant to look like a fresh cloud server: systemd, sshd, sudo, a `deploy` user with
 * passwordless sudo, and nothing else (no python3).
 */
import { createHash } from 'node:crypto';
import type { DebianMirror } from './apt-mirror.ts';

export const LAB_SUITE = 'trixie';
export const LAB_IMAGE_REPOSITORY = 'shipshape-lab';
export const LAB_USER = 'deploy';

/** Installed by debootstrap on top of the minbase variant. */
export const LAB_PACKAGES = [
  'openssh-server',
  'sudo',
  'systemd',
  'systemd-sysv',
  'dbus',
  'libpam-systemd',
  'iproute2',
  'iputils-ping',
  'netbase',
  'procps',
  'ca-certificates',
  'curl',
  'less',
  // Debian's cloud images ship cron (priority important); minbase does not.
  'cron',
] as const;

export interface ImageRecipe {
  suite: string;
  packages: readonly string[];
  mirror: DebianMirror;
  setupScript: string;
}

/** Debian's archive signing keys, shipped by debian-archive-keyring in the image itself. */
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

export function aptSourcesFile(suite: string, mirror: DebianMirror): string {
  let text = `Types: deb\nURIs: ${mirror.archive}\nSuites: ${suite} ${suite}-updates\nComponents: main\nSigned-By: ${KEYRING}\n`;
  if (mirror.security) text += `\nTypes: deb\nURIs: ${mirror.security}\nSuites: ${suite}-security\nComponents: main\nSigned-By: ${KEYRING}\n`;
  return text;
}

/** The script run once inside the debootstrapped tree (chroot, as root). */
export function setupScript(suite: string, mirror: DebianMirror): string {
  return `#!/bin/sh
set -eu

# A deploy user as cloud images make it: key-only login, passwordless sudo.
useradd --create-home --shell /bin/bash --user-group ${LAB_USER}
# '*' (not '!') so the account counts as "no password" rather than "locked" for sshd.
usermod -p '*' ${LAB_USER}
install -d -m 0700 -o ${LAB_USER} -g ${LAB_USER} /home/${LAB_USER}/.ssh
printf '%s\\n' '${LAB_USER} ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/90-${LAB_USER}
chmod 0440 /etc/sudoers.d/90-${LAB_USER}

# sshd: public keys only.
cat > /etc/ssh/sshd_config.d/10-lab.conf <<'CONF'
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
CONF

# Every container needs its own host keys: none in the image; sshd-keygen.service (ssh-keygen -A,
# ordered before ssh.service) normally runs on a systemd "first boot" only, so drop that condition.
rm -f /etc/ssh/ssh_host_*
mkdir -p /etc/systemd/system/sshd-keygen.service.d
printf '[Unit]\\nConditionFirstBoot=\\nConditionPathIsReadWrite=/etc/ssh\\n' > /etc/systemd/system/sshd-keygen.service.d/10-every-boot.conf

# A machine id of its own per container.
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id

# apt sources for ${suite}, as an installed server has them.
rm -f /etc/apt/sources.list
cat > /etc/apt/sources.list.d/debian.sources <<'SOURCES'
${aptSourcesFile(suite, mirror).trimEnd()}
SOURCES

# This mirror's quirk: sid's Release file is expired (the site installs MySQL from sid).
printf '%s\\n' 'Acquire::Check-Valid-Until "false";' > /etc/apt/apt.conf.d/99lab-mirror

# Fresh like a new server: no cached packages or lists (the first apt run updates).
apt-get clean
rm -rf /var/lib/apt/lists/* /var/log/*.log
`;
}

export function labImageRecipe(mirror: DebianMirror): ImageRecipe {
  return { suite: LAB_SUITE, packages: LAB_PACKAGES, mirror, setupScript: setupScript(LAB_SUITE, mirror) };
}

/** `shipshape-lab:<first 12 hex of sha256(recipe)>`. */
export function imageTag(recipe: ImageRecipe): string {
  const hash = createHash('sha256')
    .update(JSON.stringify({ suite: recipe.suite, packages: [...recipe.packages].sort(), setupScript: recipe.setupScript, mirror: recipe.mirror.archive }))
    .digest('hex');
  return `${LAB_IMAGE_REPOSITORY}:${hash.slice(0, 12)}`;
}
