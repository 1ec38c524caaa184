/**
 * Bakes the ACME server image once: a container of the lab image installs pebble and the start
 * script, and `docker commit` turns it into `shipshape-acme:<recipe hash>`. Installing at every
 * start would cost an apt run (and the mirror) per test; the committed image starts in a second.
 */
import { randomBytes } from 'node:crypto';
import { imageExists } from '../image.ts';
import { runLocal } from '../process.ts';
import { ACME_START_SCRIPT, ACME_START_SCRIPT_PATH, acmeBuildScript, acmeImageTag } from './recipe.ts';

export interface AcmeImageResult {
  tag: string;
  built: boolean;
}

/** Returns the ACME image's tag for this base (lab) image, building it first when missing. */
export async function ensureAcmeImage(baseImage: string, log: (line: string) => void = () => {}): Promise<AcmeImageResult> {
  const tag = acmeImageTag(baseImage);
  if (await imageExists(tag)) return { tag, built: false };
  log(`building ${tag} (the lab image plus Debian's pebble)`);
  const builder = `shipshape-acme-build-${randomBytes(4).toString('hex')}`;
  try {
    // Not `--rm`: the stopped container is what gets committed. Plain processes, no systemd: apt
    // needs none. Two processes building at once both commit the same recipe; the last tag wins.
    await runLocal('docker', ['run', '-i', '--name', builder, '--label', 'shipshape.acme-build=1', '--entrypoint', '/bin/sh', baseImage, '-c', acmeBuildScript()], {
      input: ACME_START_SCRIPT,
    });
    await runLocal('docker', [
      'commit',
      '--change', `CMD ["${ACME_START_SCRIPT_PATH}"]`,
      '--change', 'ENTRYPOINT []',
      // The lab image's STOPSIGNAL (SIGRTMIN+3, for systemd) stays: Docker 20.10 cannot change it
      // on commit, and its default action terminates pebble just as well.
      builder,
      tag,
    ]);
  } finally {
    await runLocal('docker', ['rm', '-f', builder], { allowFailure: true });
  }
  return { tag, built: true };
}
