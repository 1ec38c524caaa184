// Regenerates schema/inventory.schema.json from the zod inventory schema (`npm run schema`).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inventoryJsonSchemaText } from '../src/inventory/json-schema.ts';

const target = fileURLToPath(new URL('../schema/inventory.schema.json', import.meta.url));
writeFileSync(target, inventoryJsonSchemaText());
process.stdout.write(`wrote ${target}\n`);
