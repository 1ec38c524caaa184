/**
 * A value that must never be printed. Its string forms are masked; `reveal()` is the one way to the
 * plain text, so every place that needs it is easy to find. Every revealed value is registered with
 * the masker, which scrubs it from all output (terminal, JSON, diffs, errors).
 */
import { registerSecretValue } from './mask.ts';

export const MASK = '********';

export class Secret {
  readonly #value: string;
  /** Where the value came from (`env:NAME`, `vault`), for messages. */
  readonly origin: string;

  constructor(value: string, origin: string) {
    this.#value = value;
    this.origin = origin;
    registerSecretValue(value);
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return MASK;
  }

  toJSON(): string {
    return MASK;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${this.origin})`;
  }
}

export function isSecret(value: unknown): value is Secret {
  return value instanceof Secret;
}

/** The plain text of a string or Secret. */
export function revealed(value: string | Secret): string {
  return typeof value === 'string' ? value : value.reveal();
}
