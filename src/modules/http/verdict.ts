import type { HttpAnswer, HttpCheckArgs } from './schema.ts';

function excerpt(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/** Why an answer is not the expected one, or null when it is. Pure. */
export function judgeAnswer(args: Pick<HttpCheckArgs, 'status' | 'bodyContains' | 'bodyMatches'>, answer: HttpAnswer): string | null {
  const expected = Array.isArray(args.status) ? args.status : [args.status];
  if (!expected.includes(answer.status)) {
    return `status ${answer.status}, expected ${expected.join(' or ')}${answer.body ? ` (body: ${excerpt(answer.body)})` : ''}`;
  }
  if (args.bodyContains !== undefined && !answer.body.includes(args.bodyContains)) {
    return `body does not contain ${JSON.stringify(args.bodyContains)} (body: ${excerpt(answer.body)})`;
  }
  if (args.bodyMatches !== undefined) {
    const pattern = typeof args.bodyMatches === 'string' ? new RegExp(args.bodyMatches) : args.bodyMatches;
    if (!pattern.test(answer.body)) return `body does not match ${pattern} (body: ${excerpt(answer.body)})`;
  }
  return null;
}
