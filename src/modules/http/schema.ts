import { z } from 'zod';
import { Secret } from '../../secrets/secret.ts';

const statusCode = z.number().int().min(100).max(599);

export const httpCheckSchema = z
  .strictObject({
    url: z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL'),
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
    /** The status (or any of the statuses) that counts as success. */
    status: z.union([statusCode, z.array(statusCode).min(1)]).default(200),
    /** The body must contain this text. */
    bodyContains: z.string().optional(),
    /** The body must match this regular expression. */
    bodyMatches: z.union([z.string(), z.instanceof(RegExp)]).optional(),
    headers: z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not a header name'), z.union([z.string(), z.instanceof(Secret)])).default({}),
    /** Request body (for POST/PUT/PATCH). */
    body: z.string().optional(),
    /** Seconds per attempt. */
    timeout: z.number().positive().default(10),
    /** Attempts after the first one, while the answer is not the expected one (waiting for a service to come up). */
    retries: z.number().int().nonnegative().default(0),
    /** Seconds between attempts. */
    delay: z.number().nonnegative().default(2),
    followRedirects: z.boolean().default(false),
    /** Run the request on the target host (curl), so it checks from where the service lives. */
    fromHost: z.boolean().default(true),
    validateCerts: z.boolean().default(true),
    /** CA bundle to trust: a path on the target host with fromHost, on the controller without. */
    caFile: z.string().min(1).optional(),
  })
  .refine((a) => a.body === undefined || !['GET', 'HEAD'].includes(a.method), {
    message: 'a request body needs a method like POST or PUT',
    path: ['body'],
  })
  .refine((a) => a.caFile === undefined || a.validateCerts, {
    message: 'caFile has no effect with validateCerts: false',
    path: ['caFile'],
  });

export type HttpCheckArgs = z.output<typeof httpCheckSchema>;
export type HttpCheckInput = z.input<typeof httpCheckSchema>;

/** One answer, from curl on the host or from the controller. */
export interface HttpAnswer {
  status: number;
  body: string;
}
