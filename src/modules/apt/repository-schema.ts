import { z } from 'zod';

const word = z.string().regex(/^[A-Za-z0-9.+_~/-]+$/, 'not a single word');

/** A deb822 source (`/etc/apt/sources.list.d/NAME.sources`), the format Debian 13 uses itself. */
const deb822 = z.strictObject({
  types: z.array(z.enum(['deb', 'deb-src'])).min(1).default(['deb']),
  uris: z.array(z.string().regex(/^[a-z+]+:\S+$/, 'not a URI')).min(1),
  suites: z.array(word).min(1),
  components: z.array(word).default([]),
  architectures: z.array(word).optional(),
  /** A keyring path, or an ASCII-armored public key block embedded in the file. */
  signedBy: z.string().min(1).optional(),
  /** `false` for archives whose Release file is expired (e.g. a mirror of sid). */
  checkValidUntil: z.boolean().optional(),
  trusted: z.boolean().optional(),
});

export const aptRepositorySchema = z
  .strictObject({
    /** File name (without extension) under sources.list.d and preferences.d. */
    name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only (apt ignores other file names)'),
    /** A one-line entry (`deb [opts] URI SUITE COMPONENTS`, written to NAME.list) or a deb822 source (NAME.sources). */
    source: z.union([z.string().regex(/^deb(-src)?\s+\S/, 'a one-line source starts with "deb " or "deb-src "'), deb822]),
    /** Pin priority for this source's packages (apt_preferences(5)). */
    pin: z
      .strictObject({
        /** `sid` (a codename) or a full release expression like `a=unstable` or `o=Debian,n=sid`. */
        release: z.string().min(1).optional(),
        /** The origin host, e.g. `deb.example.org`. */
        origin: z.string().min(1).optional(),
        packages: z.string().min(1).default('*'),
        priority: z.number().int(),
      })
      .refine((p) => (p.release === undefined) !== (p.origin === undefined), { message: 'give exactly one of release or origin' })
      .optional(),
    state: z.enum(['present', 'absent']).default('present'),
    /** Run `apt-get update` when a file changed, so later tasks see the packages. */
    updateCache: z.boolean().default(true),
    /**
     * Seconds to wait, in all, for other apt and dpkg runs (cloud-init, apt-daily, unattended-upgrades
     * on a first boot) to release apt's lists lock and dpkg's locks. A fresh cloud image's first
     * unattended-upgrades run often holds dpkg's lock for minutes; past this the task fails naming
     * the holder.
     */
    lockTimeout: z.number().int().nonnegative().default(300),
    /** Before any apt run, wait for `cloud-init status --wait` (within lockTimeout); skipped where cloud-init is absent. */
    waitForCloudInit: z.boolean().default(false),
  });

export type AptRepositoryArgs = z.output<typeof aptRepositorySchema>;
export type AptRepositoryInput = z.input<typeof aptRepositorySchema>;
export type Deb822Source = z.output<typeof deb822>;
