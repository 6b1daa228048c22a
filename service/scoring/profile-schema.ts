import { z } from 'zod/v4';
import { profileDocumentSchema, RULE_FACTS, SUGGESTION_FACTS } from './profile';
import { decoratorNames, operatorNames } from './rules/operators';

/**
 * The JSON Schema of profile documents (GET /v1/schemas/profile.json), for editors: generated from
 * the zod schema that validates documents, with the structure of conditions spelled out (facts,
 * operators with their decorators, paths with examples), which the service checks in code
 * (rules/conditions.ts) to name the exact place of a mistake.
 */

type JsonSchema = Record<string, unknown>;

const operatorDocs: Record<string, string> = {
  equal: 'fact value === value',
  notEqual: 'fact value !== value',
  in: 'fact value is one of value (a list)',
  notIn: 'fact value is none of value (a list)',
  contains: 'fact value (a list) contains value',
  doesNotContain: 'fact value (a list) does not contain value',
  lessThan: 'fact value < value',
  lessThanInclusive: 'fact value <= value',
  greaterThan: 'fact value > value',
  greaterThanInclusive: 'fact value >= value',
};
const decoratorDocs: Record<string, string> = {
  someFact: 'true when the operator holds for some item of the fact value (a list)',
  someValue: 'true when the operator holds for some item of value (a list)',
  everyFact: 'true when the operator holds for every item of the fact value (a list)',
  everyValue: 'true when the operator holds for every item of value (a list)',
  swap: 'swaps the fact value and value',
  not: 'negates the operator',
};

const factDocs: Record<string, { description: string; paths: string[] }> = {
  interaction: {
    description: 'The interaction being scored: id, type, occurredAt, actorId, channel, direction, properties',
    paths: ['$.type', '$.channel', '$.direction', '$.actorId', '$.occurredAt', '$.properties'],
  },
  contact: {
    description: 'The contact: id, tags, attributes, accountId, ownerId (a rule reading only the contact is a state rule: it holds or not)',
    paths: ['$.tags', '$.attributes', '$.accountId', '$.ownerId', '$.id'],
  },
  score: { description: 'The score now (suggestions)', paths: [] },
  previousScore: { description: 'The score before the change (deliveries) or 7 days ago (score answers)', paths: [] },
  delta: { description: 'score − previousScore', paths: [] },
  band: { description: 'The name of the band the score is in', paths: [] },
  daysSinceLastInteraction: { description: 'Days since the last interaction (null if none)', paths: [] },
  lastInteractionType: { description: 'The type of the last interaction', paths: [] },
  interactionsLast30d: { description: 'Interactions in the last 30 days', paths: [] },
};

const operatorPattern = `^((${decoratorNames.join('|')}):)*(${operatorNames.join('|')})$`;

function conditionDefinitions(prefix: string, facts: readonly string[]): Record<string, JsonSchema> {
  const ref = (name: string) => ({ $ref: `#/$defs/${prefix}${name}` });
  const common = {
    priority: { type: 'integer', minimum: 1, maximum: 1000, description: 'json-rules-engine priority (higher runs first)' },
    name: { type: 'string', description: 'A label for this condition' },
  };
  return {
    [`${prefix}TopLevel`]: {
      description: 'The top level of conditions: { "all": [...] }, { "any": [...] }, { "not": {...} } or { "condition": "name" }',
      anyOf: [ref('All'), ref('Any'), ref('Not'), ref('Reference')],
    },
    [`${prefix}Condition`]: { anyOf: [ref('All'), ref('Any'), ref('Not'), ref('Reference'), ref('Fact')] },
    [`${prefix}All`]: {
      type: 'object',
      description: 'Holds when every condition holds',
      required: ['all'],
      properties: { all: { type: 'array', maxItems: 100, items: ref('Condition') }, ...common },
      additionalProperties: false,
    },
    [`${prefix}Any`]: {
      type: 'object',
      description: 'Holds when some condition holds',
      required: ['any'],
      properties: { any: { type: 'array', maxItems: 100, items: ref('Condition') }, ...common },
      additionalProperties: false,
    },
    [`${prefix}Not`]: {
      type: 'object',
      description: 'Holds when the condition does not',
      required: ['not'],
      properties: { not: ref('Condition'), ...common },
      additionalProperties: false,
    },
    [`${prefix}Reference`]: {
      type: 'object',
      description: 'A named condition of the profile’s "conditions"',
      required: ['condition'],
      properties: { condition: { type: 'string' }, ...common },
      additionalProperties: false,
    },
    [`${prefix}Fact`]: {
      type: 'object',
      description: 'Compares a fact (or a value inside it, at path) with value using operator',
      required: ['fact', 'operator', 'value'],
      properties: {
        fact: { enum: [...facts], description: facts.map((fact) => `${fact}: ${factDocs[fact]?.description ?? ''}`).join('\n') },
        path: {
          type: 'string',
          pattern: '^\\$',
          description: "A plain property path into the fact: $.a.b, $.a[0] or $['a b'] (no filters, wildcards or scripts)",
          examples: [...new Set(facts.flatMap((fact) => factDocs[fact]?.paths ?? []))],
        },
        operator: {
          description: `${Object.entries(operatorDocs)
            .map(([name, doc]) => `${name}: ${doc}`)
            .join('\n')}\nDecorators, written before the operator with a colon (e.g. not:equal, someFact:in): ${Object.entries(
            decoratorDocs,
          )
            .map(([name, doc]) => `${name}: ${doc}`)
            .join('; ')}`,
          anyOf: [
            {
              enum: [
                ...operatorNames,
                ...operatorNames.map((name) => `not:${name}`),
                'someFact:equal',
                'everyFact:equal',
                'someValue:equal',
              ],
            },
            { type: 'string', pattern: operatorPattern },
          ],
        },
        value: { description: 'What the fact value is compared with; { "fact": ..., "path": ... } compares with another fact' },
        params: { type: 'object', description: 'Parameters of the fact (unused by the built-in facts)' },
        ...common,
      },
      additionalProperties: false,
    },
  };
}

let cached: JsonSchema | undefined;

export function profileJsonSchema(schemaUrl: string): JsonSchema {
  cached ??= (() => {
    const generated = z.toJSONSchema(profileDocumentSchema, {
      io: 'input',
      target: 'draft-2020-12',
      unrepresentable: 'any',
    }) as JsonSchema & {
      properties: Record<string, JsonSchema & { items?: JsonSchema & { properties: Record<string, JsonSchema> } }>;
      $defs?: Record<string, JsonSchema>;
    };
    const {
      $schema: _dialect,
      id: _id,
      $defs,
      ...document
    } = generated as JsonSchema & { id?: string; $defs?: Record<string, JsonSchema> };
    const properties = document.properties as typeof generated.properties;
    const describe = (schema: JsonSchema | undefined, ref: string) => ({
      ...(schema?.description ? { description: schema.description } : {}),
      $ref: ref,
    });
    properties.rules.items!.properties.conditions = describe(properties.rules.items!.properties.conditions, '#/$defs/ruleTopLevel');
    properties.suggestions.items!.properties.conditions = describe(
      properties.suggestions.items!.properties.conditions,
      '#/$defs/suggestionTopLevel',
    );
    properties.conditions = {
      type: 'object',
      description: properties.conditions?.description,
      propertyNames: { pattern: '^[A-Za-z_][\\w-]{0,99}$' },
      additionalProperties: { $ref: '#/$defs/ruleCondition' },
    };
    return {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: 'Engagement Score profile document',
      description:
        'A score profile: rules (json-rules-engine) over interactions and contacts, decay, window, range, bands and suggestions.',
      ...document,
      $defs: { ...($defs ?? {}), ...conditionDefinitions('rule', RULE_FACTS), ...conditionDefinitions('suggestion', SUGGESTION_FACTS) },
    };
  })();
  return { $id: schemaUrl, ...cached };
}
