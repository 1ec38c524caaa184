import { describe, expect, it } from 'vitest';
import { aptSourcesFile, imageTag, labImageRecipe, LAB_PACKAGES } from '../../src/lab/image-recipe.ts';

const mirror = { archive: 'http://deb.debian.org/debian', security: 'http://deb.debian.org/debian-security' };

describe('lab image recipe', () => {
  it('tags the image with 12 hex digits of the recipe hash, stable across calls', () => {
    const tag = imageTag(labImageRecipe(mirror));
    expect(tag).toMatch(/^shipshape-lab:[0-9a-f]{12}$/);
    expect(imageTag(labImageRecipe({ ...mirror }))).toBe(tag);
  });

  it('changes the tag when the packages, the script or the suite change', () => {
    const recipe = labImageRecipe(mirror);
    const tag = imageTag(recipe);
    expect(imageTag({ ...recipe, packages: [...recipe.packages, 'vim'] })).not.toBe(tag);
    expect(imageTag({ ...recipe, setupScript: recipe.setupScript + '\ntrue\n' })).not.toBe(tag);
    expect(imageTag({ ...recipe, suite: 'forky' })).not.toBe(tag);
    expect(imageTag(labImageRecipe({ archive: 'http://other.example/debian' }))).not.toBe(tag);
  });

  it('is a fresh server: sshd, sudo and systemd, but no python', () => {
    expect(LAB_PACKAGES).toEqual(expect.arrayContaining(['openssh-server', 'sudo', 'systemd', 'systemd-sysv']));
    expect(LAB_PACKAGES.some((name) => name.startsWith('python'))).toBe(false);
  });

  it('sets up the deploy user, per-container host keys and the mirror quirk', () => {
    const script = labImageRecipe(mirror).setupScript;
    expect(script).toContain("'deploy ALL=(ALL) NOPASSWD:ALL'");
    expect(script).toContain('rm -f /etc/ssh/ssh_host_*');
    expect(script).toContain('ConditionFirstBoot=');
    expect(script).toContain('Acquire::Check-Valid-Until "false";');
    expect(script).toContain('PasswordAuthentication no');
  });

  it('writes deb822 sources for the suite, with security only when known', () => {
    expect(aptSourcesFile('trixie', mirror)).toBe(
      'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie trixie-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' +
        '\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: trixie-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n',
    );
    expect(aptSourcesFile('trixie', { archive: 'http://m/debian' })).not.toContain('security');
  });
});
