import { z } from 'zod';
import { addressFamily, normalizeAddress, parseNetwork } from './address.ts';
import { isSinglePort, normalizePorts, parsePorts } from './ports.ts';

const policy = z.enum(['allow', 'deny', 'reject']);

/** IP protocols ufw (0.36+) knows that have no ports: `ufw allow proto vrrp from 10.0.0.2`. */
export const PORTLESS_PROTOCOLS = ['vrrp', 'gre', 'esp', 'ah', 'igmp', 'ipv6'] as const;

const address = z
  .string()
  .refine((text) => text === 'any' || parseNetwork(text) !== null, {
    message: "expected 'any', an IPv4/IPv6 address or a CIDR like 10.0.0.0/8",
  })
  .transform(normalizeAddress);

const port = z
  .union([z.number(), z.string()])
  .transform(String)
  .refine((spec) => parsePorts(spec) !== null, {
    message: "expected a port (22), a range ('6000:6007') or a list ('80,443'), at most 15 ports, ranges low:high",
  })
  .transform(normalizePorts);

export const ruleSchema = z
  .strictObject({
    rule: z.enum(['allow', 'deny', 'reject', 'limit']),
    /** Destination port; absent = every port. */
    port: port.optional(),
    /** tcp, udp, any, or a portless IP protocol such as vrrp (keepalived) or gre. */
    proto: z.enum(['tcp', 'udp', 'any', ...PORTLESS_PROTOCOLS]).default('any'),
    from: address.default('any'),
    to: address.default('any'),
    // ufw refuses a comment with a single quote ("Invalid syntax") and stores one line.
    comment: z
      .string()
      .min(1)
      .refine((c) => !/['\n\r]/.test(c), { message: 'ufw does not accept single quotes or newlines in a comment' })
      .optional(),
    direction: z.enum(['in', 'out']).default('in'),
  })
  .refine((r) => r.port === undefined || !(PORTLESS_PROTOCOLS as readonly string[]).includes(r.proto), {
    message: 'this protocol has no ports: leave port out',
    path: ['port'],
  })
  .refine((r) => r.port === undefined || isSinglePort(r.port) || r.proto !== 'any', {
    message: "a port range or list needs proto 'tcp' or 'udp' (ufw refuses it with any)",
    path: ['proto'],
  })
  .refine((r) => {
    const a = addressFamily(r.from);
    const b = addressFamily(r.to);
    return a === null || b === null || a === b;
  }, { message: "'from' and 'to' mix IPv4 and IPv6", path: ['to'] });

export type FirewallRule = z.output<typeof ruleSchema>;

/** What makes two rules the same rule for ufw (the comment does not). */
export function declaredRuleKey(r: FirewallRule): string {
  return [r.rule, r.direction, r.proto, r.port ?? 'any', r.from, r.to].join(' ');
}

export const firewallSchema = z
  .strictObject({
    state: z.enum(['enabled', 'disabled']).default('enabled'),
    /** Default policies; an omitted one is left as it is. */
    defaults: z
      .strictObject({ incoming: policy.optional(), outgoing: policy.optional(), routed: policy.optional() })
      .default({}),
    /** `on` accepts any level but off (as `ufw logging on` keeps the current level). */
    logging: z.enum(['off', 'on', 'low', 'medium', 'high', 'full']).optional(),
    rules: z.array(ruleSchema).default([]),
    /** Delete every rule ufw has that is not declared here (app, route and logging rules included). */
    purge: z.boolean().default(false),
    /** Enable (or keep enabled) a firewall whose rules do not admit this SSH session. */
    force: z.boolean().default(false),
    /** The SSH port to keep open; default: the port of the session itself, else 22. */
    sshPort: z.number().int().min(1).max(65535).optional(),
  })
  .superRefine((args, ctx) => {
    const seen = new Map<string, number>();
    args.rules.forEach((r, i) => {
      const key = declaredRuleKey(r);
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', message: `the same rule as rules[${first}] (only the comment may differ)`, path: ['rules', i] });
      } else {
        seen.set(key, i);
      }
    });
  });

export type FirewallArgs = z.output<typeof firewallSchema>;
export type FirewallInput = z.input<typeof firewallSchema>;
