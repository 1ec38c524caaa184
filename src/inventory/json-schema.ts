/**
 * The JSON Schema of shipshape's inventory file shape, generated from the zod schema so the two never
 * disagree. Editors use it (a `$schema` key in JSON, a `# yaml-language-server: $schema=` line in
 * YAML) to validate an inventory as it is typed. The committed file is schema/inventory.schema.json;
 * `npm run schema` regenerates it and a unit test fails when it is stale.
 */
import { z } from 'zod';
import { NAME_PATTERN, RESERVED_GROUPS, inventorySchema, secretText } from './schema.ts';

const SECRET_TEXT = {
  description: 'a string, { "$env": NAME } or { "$vault": "<encrypted value>" }',
  anyOf: [
    { type: 'string', minLength: 1 },
    {
      type: 'object',
      description: 'the value of an environment variable on the controller',
      properties: { $env: { type: 'string', minLength: 1 } },
      required: ['$env'],
      additionalProperties: false,
    },
    {
      type: 'object',
      description: 'a value encrypted with `shipshape vault encrypt-string`',
      properties: { $vault: { type: 'string', minLength: 1 } },
      required: ['$vault'],
      additionalProperties: false,
    },
  ],
};

type JsonObject = Record<string, unknown>;

export function inventoryJsonSchema(): JsonObject {
  const schema = z.toJSONSchema(inventorySchema, {
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      // Secret objects exist only in TypeScript inventories; files spell them as references.
      if (ctx.zodSchema === secretText) {
        for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as JsonObject)[key];
        Object.assign(ctx.jsonSchema, { $ref: '#/$defs/secretText' });
      }
    },
  }) as JsonObject;
  // Host and group names are checked by a refinement (to report every problem at once); say it here too.
  const properties = schema.properties as Record<string, JsonObject>;
  const names = { type: 'string', pattern: NAME_PATTERN.source, maxLength: 253 };
  properties.hosts.propertyNames = names;
  properties.groups.propertyNames = { ...names, not: { enum: [...RESERVED_GROUPS] } };
  return {
    $schema: schema.$schema,
    title: 'shipshape inventory',
    description: 'hosts, groups, vars and connection defaults (an Ansible INI or YAML inventory is read too, without this schema)',
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema')),
    $defs: { secretText: SECRET_TEXT },
  };
}

/** The committed file's text: stable key order, two-space indent, final newline. */
export function inventoryJsonSchemaText(): string {
  return `${JSON.stringify(inventoryJsonSchema(), null, 2)}\n`;
}
