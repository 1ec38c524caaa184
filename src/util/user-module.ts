import { pathToFileURL } from 'node:url';

let loaderReady: Promise<void> | undefined;

async function registerTypeScriptLoader(): Promise<void> {
  // Running as TypeScript (from source under tsx, or under vitest): something already loads .ts.
  if (import.meta.url.endsWith('.ts')) return;
  const { register } = await import('tsx/esm/api');
  register();
}

/**
 * Imports a user's module (a playbook or a TypeScript inventory). tsx's loader is registered on
 * first use only: commands that load no TypeScript (`--version`, `facts` on a YAML inventory) never
 * pay for it, and shipshape's own code, loaded before, never goes through its hooks.
 */
export async function importUserModule(file: string): Promise<{ default?: unknown }> {
  loaderReady ??= registerTypeScriptLoader();
  await loaderReady;
  return (await import(pathToFileURL(file).href)) as { default?: unknown };
}
