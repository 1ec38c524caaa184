/**
 * `import()` for shipshape's own code. The bin compiles the bundle through vm.Script with V8's code
 * cache (bin/shipshape.js), and in Node 20 a script restored from that cache loses its dynamic
 * import callback ("A dynamic import callback was not specified"). So the bin lends its own
 * `import` (globalThis[Symbol.for('shipshape.import')]); elsewhere (tsx, vitest, a plain require
 * of the bundle) the native one works.
 */
type Importer = (specifier: string) => Promise<unknown>;

export function importDynamic<T>(specifier: string): Promise<T> {
  const lent = (globalThis as Record<symbol, Importer | undefined>)[Symbol.for('shipshape.import')];
  return (lent ? lent(specifier) : import(specifier)) as Promise<T>;
}
