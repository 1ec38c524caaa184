/**
 * The data a template sees, made strict: reading a property that does not exist throws
 * UndefinedVariableError naming its full path (`backend.port`), where plain JavaScript would
 * silently render an empty string and ship a broken config (Ansible's StrictUndefined).
 * Secrets read through the view come out revealed: the rendered file needs the real value.
 */
import { isSecret } from '../secrets/secret.ts';

export class UndefinedVariableError extends Error {
  constructor(readonly variable: string) {
    super(`undefined variable "${variable}"`);
    this.name = 'UndefinedVariableError';
  }
}

/**
 * Names the EJS generated code declares itself. The `with` scope must not claim them, or a host
 * variable called `include` would shadow the include function.
 */
const EJS_INTERNALS = new Set([
  'locals', 'escapeFn', 'include', 'rethrow', '__output', '__append', '__line', '__lines', '__filename',
]);

/**
 * Properties that libraries probe on any object (JSON.stringify, promises, util.inspect, test
 * matchers). Probing them must not count as a template bug.
 */
const PROBED = new Set(['toJSON', 'then', 'inspect', 'constructor', 'asymmetricMatch', '$$typeof', 'nodeType']);

function isPlainContainer(value: unknown): value is object {
  if (Array.isArray(value)) return true;
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function childPath(parent: string, key: string, isArray: boolean): string {
  if (isArray && /^\d+$/.test(key)) return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/** Called each time a template reads a Secret: what it renders is then sensitive. */
export type SecretRead = () => void;

/** Wraps one value: containers become strict views, Secrets their plain text, the rest as is. */
export function strictValue(value: unknown, path: string, onSecret?: SecretRead): unknown {
  if (isSecret(value)) {
    onSecret?.();
    return value.reveal();
  }
  if (!isPlainContainer(value)) return value;
  const isArray = Array.isArray(value);
  return new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key === 'symbol') return Reflect.get(target, key, receiver);
      // A property set to undefined is as missing as one never set (TypeScript inventories can hold one).
      const found = key in target ? Reflect.get(target, key, receiver) : undefined;
      if (found !== undefined) return strictValue(found, childPath(path, key, isArray), onSecret);
      if (PROBED.has(key)) return undefined;
      throw new UndefinedVariableError(childPath(path, key, isArray));
    },
  });
}

/**
 * The top-level object handed to EJS as `locals`, which EJS opens with `with (locals)`. Its `has`
 * answers only for real variables, so an unknown bare name falls through the `with` to the global
 * scope and JavaScript itself throws `ReferenceError: name is not defined`; `typeof name` still
 * works for optional variables. `locals.name` reads leniently (undefined), the explicit way to
 * test an optional variable; nested reads are strict.
 */
export function strictLocals(data: Record<string, unknown>, onSecret?: SecretRead): Record<string, unknown> {
  return new Proxy(data, {
    has(target, key) {
      if (typeof key === 'symbol') return false;
      return !EJS_INTERNALS.has(key) && Object.prototype.hasOwnProperty.call(target, key) && target[key] !== undefined;
    },
    get(target, key) {
      if (typeof key === 'symbol') return Reflect.get(target, key);
      if (!Object.prototype.hasOwnProperty.call(target, key)) return undefined;
      return strictValue(target[key], key, onSecret);
    },
  });
}
