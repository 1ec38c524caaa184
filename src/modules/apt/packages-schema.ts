import { z } from 'zod';
import { PACKAGE_SPEC } from './package-spec.ts';

export const aptPackagesSchema = z
  .strictObject({
    names: z
      .array(z.string().regex(PACKAGE_SPEC, 'not a Debian package name (name, name:arch or name=version-glob)'))
      .default([]),
    state: z.enum(['present', 'absent', 'latest']).default('present'),
    /** Run `apt-get update` (before installing; see cacheValidTime). */
    updateCache: z.boolean().default(false),
    /** Seconds: update only when the lists are older than this. Implies updateCache. */
    cacheValidTime: z.number().int().nonnegative().optional(),
    /** apt's `-t`: prefer this release (e.g. `sid` pinned low in apt.repository). */
    defaultRelease: z.string().regex(/^[A-Za-z0-9.+_-]+$/, 'not a release name').optional(),
    /** Like a lean server: recommended packages are not pulled in unless asked. */
    installRecommends: z.boolean().default(false),
    /** With state absent: also remove configuration files (dpkg's purge). */
    purge: z.boolean().default(false),
    /**
     * Seconds to wait, in all, for other apt and dpkg runs (cloud-init, apt-daily, unattended-upgrades
     * on a first boot) to release apt's lists lock and dpkg's locks. A fresh cloud image's first
     * unattended-upgrades run often holds dpkg's lock for minutes; past this the task fails naming
     * the holder.
     */
    lockTimeout: z.number().int().nonnegative().default(300),
    /**
     * Ansible's `policy_rc_d`: the exit code /usr/sbin/policy-rc.d gives during the transaction.
     * 101 keeps the packages' maintainer scripts from starting their services, so a service first
     * starts with the configuration the playbook writes after the install (not with the package's
     * defaults, which may crash-loop or scrape the wrong targets). An existing policy-rc.d is put
     * back afterwards.
     */
    policyRcD: z.number().int().min(0).max(255).optional(),
    /** Before any apt run, wait for `cloud-init status --wait` (within lockTimeout); skipped where cloud-init is absent. */
    waitForCloudInit: z.boolean().default(false),
  })
  .refine((a) => a.names.length > 0 || a.updateCache || a.cacheValidTime !== undefined, {
    message: 'give names, or updateCache/cacheValidTime to only update the cache',
    path: ['names'],
  })
  .refine((a) => a.state === 'present' || !a.names.some((n) => n.includes('=')), {
    message: 'version pins (name=version) only make sense with state present',
    path: ['names'],
  })
  .refine((a) => new Set(a.names.map((n) => n.split('=')[0])).size === a.names.length, {
    message: 'a package is listed twice',
    path: ['names'],
  })
  .refine((a) => a.state !== 'absent' || a.defaultRelease === undefined, {
    message: 'defaultRelease has no meaning with state absent',
    path: ['defaultRelease'],
  });

export type AptPackagesArgs = z.output<typeof aptPackagesSchema>;
export type AptPackagesInput = z.input<typeof aptPackagesSchema>;
