// Module resolution hook (node:module register): `shipshape` and `shipshape/lab`, imported by a
// playbook or an inventory, resolve to the very build the CLI runs, so both share one instance of
// every module (Secret, errors, the secret masker) whichever copy of shipshape a project has installed.
let entries = {};

export function initialize(data) {
  entries = data.entries;
}

export function resolve(specifier, context, nextResolve) {
  const url = entries[specifier];
  if (url) return { url, shortCircuit: true, format: 'module' };
  return nextResolve(specifier, context);
}
