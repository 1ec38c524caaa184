/**
 * Sets a property as an own data property. Keys come from user files, and a plain `obj[key] = v`
 * with the key `__proto__` would replace the object's prototype instead of storing a value.
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
