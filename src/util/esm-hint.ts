/**
 * Playbooks and TypeScript inventories are ES modules (they `import` shipshape). In a folder whose
 * package.json says nothing (or "commonjs"), Node loads a `.ts` file as CommonJS and fails with a
 * cryptic "Cannot require() ES Module ... in a cycle". Say what to do instead.
 */
export function esmHint(error: unknown, file: string): string | undefined {
  const message = error instanceof Error ? error.message : String(error);
  if (!/Cannot require\(\) ES Module|require\(\) of ES Module|ERR_REQUIRE_(?:CYCLE_MODULE|ESM)/.test(message + String((error as { code?: string }).code ?? ''))) {
    return undefined;
  }
  return `${file} is loaded as CommonJS because the nearest package.json has no "type": "module"; playbooks and inventories are ES modules: add "type": "module" to that package.json, or name the file .mts`;
}
