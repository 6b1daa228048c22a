/**
 * The profile JSON Schema reshaped for completion and hover. The service's schema describes each
 * alternative precisely (`anyOf` an all/any/not/reference/fact condition, a points or a relationship
 * event, an operator name or a decorated one), which codemirror-json-schema cannot complete through:
 * it offers nothing inside an `anyOf` until the data picks a branch. Here every `anyOf` of objects
 * becomes one object with the union of their properties (enums and consts merged), and an `anyOf`
 * of strings one string with the union of their enums — so `"fact": "` offers interaction and
 * contact, `"operator": "` the operators, `"type": "` points and weight. Validation stays the
 * service's (POST /v1/profiles/validate); this schema only suggests and documents.
 */

type Schema = Record<string, unknown>;

const isObject = (value: unknown): value is Schema => value !== null && typeof value === 'object' && !Array.isArray(value);

function resolve(root: Schema, schema: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return schema;
  let target: unknown = root;
  for (const part of ref.slice(2).split('/')) target = isObject(target) ? target[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return isObject(target) ? { ...target, ...(schema.description ? { description: schema.description } : {}) } : schema;
}

function valuesOf(schema: Schema): unknown[] {
  if (Array.isArray(schema.enum)) return schema.enum;
  if ('const' in schema) return [schema.const];
  return [];
}

function joinDescriptions(schemas: Schema[]): string | undefined {
  const texts = [
    ...new Set(schemas.map((schema) => schema.description).filter((text): text is string => typeof text === 'string' && text.length > 0)),
  ];
  return texts.length ? texts.join('\n') : undefined;
}

/** Two schemas of the same property in different branches: one that suggests the values of both. */
function mergeProperty(a: Schema, b: Schema): Schema {
  const values = [...valuesOf(a), ...valuesOf(b)];
  const merged: Schema = { ...b, ...a };
  if (values.length) {
    delete merged.const;
    merged.enum = [...new Set(values)];
  }
  if (isObject(a.properties) && isObject(b.properties)) {
    const properties: Schema = { ...b.properties };
    for (const [name, schema] of Object.entries(a.properties))
      properties[name] = isObject(properties[name]) ? mergeProperty(schema as Schema, properties[name]) : schema;
    merged.properties = properties;
  }
  const description = joinDescriptions([a, b]);
  if (description) merged.description = description;
  return merged;
}

function flatten(root: Schema, node: unknown, depth = 0): unknown {
  if (Array.isArray(node)) return node.map((item) => flatten(root, item, depth + 1));
  if (!isObject(node) || depth > 40) return node;
  let schema: Schema = node;
  if (Array.isArray(schema.anyOf) || Array.isArray(schema.oneOf)) {
    const branches = ((schema.anyOf ?? schema.oneOf) as unknown[]).filter(isObject).map((branch) => resolve(root, branch));
    const objects = branches.filter((branch) => branch.type === 'object' || isObject(branch.properties));
    const strings = branches.filter((branch) => branch.type === 'string' || Array.isArray(branch.enum) || 'const' in branch);
    const { anyOf: _anyOf, oneOf: _oneOf, ...rest } = schema;
    if (objects.length === branches.length && objects.length > 0) {
      schema = { ...rest, ...objects.slice(1).reduce(mergeProperty, objects[0]), type: 'object' };
      delete schema.required;
      delete schema.additionalProperties;
      schema.description = joinDescriptions([rest, ...objects]) ?? '';
    } else if (strings.length === branches.length && strings.length > 0) {
      const values = [...new Set(strings.flatMap(valuesOf))];
      schema = { ...rest, type: 'string', ...(values.length ? { enum: values } : {}) };
    }
  }
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema))
    out[key] = key === 'enum' || key === 'const' || key === 'examples' ? value : flatten(root, value, depth + 1);
  // json-schema-library takes a schema without a type for "whatever the data is", and then suggests nothing.
  if (Array.isArray(out.enum) && out.type === undefined && out.enum.every((value) => typeof value === 'string')) out.type = 'string';
  // A path's examples become suggestions too.
  if (Array.isArray(out.examples) && out.type === 'string' && !out.enum) out.enum = out.examples;
  return out;
}

/**
 * References inlined (json-schema-library, under codemirror-json-schema, does not step into the
 * properties of a `$ref`'d definition). Conditions nest without end, so references are followed four
 * deep — a rule's conditions and two levels of all/any/not below them — and deeper conditions are
 * left open. Shared sub-schemas are the same object, so the result stays small in memory.
 */
function inline(root: Schema, node: unknown, depth: number, memo: Map<string, unknown>): unknown {
  if (Array.isArray(node)) return node.map((item) => inline(root, item, depth, memo));
  if (!isObject(node)) return node;
  if (typeof node.$ref === 'string' && node.$ref.startsWith('#/')) {
    const { $ref: ref, ...rest } = node;
    if (depth <= 0) return { type: 'object', ...rest };
    const key = `${ref}@${depth}`;
    if (!memo.has(key)) {
      memo.set(key, {});
      memo.set(key, inline(root, resolve(root, { $ref: ref }), depth - 1, memo));
    }
    const target = memo.get(key) as Schema;
    return rest.description ? { ...target, description: rest.description } : target;
  }
  const out: Schema = {};
  for (const [key, value] of Object.entries(node))
    if (key !== '$defs') out[key] = key === 'enum' || key === 'const' || key === 'examples' ? value : inline(root, value, depth, memo);
  return out;
}

export function completionSchema(schema: Schema): Schema {
  const flat = flatten(schema, schema) as Schema;
  const { $schema: _dialect, $id: _id, ...rest } = inline(flat, flat, 4, new Map()) as Schema;
  return rest;
}
