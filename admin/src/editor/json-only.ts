/**
 * Stands in for codemirror-json-schema's JSON5 and YAML parsers (see admin/build.mjs): the console
 * edits JSON only, and those parsers would bring the yaml and json5 libraries (~130 KB) along.
 */
const jsonOnly = (): never => {
  throw new Error('The admin console edits JSON only (JSON5 and YAML modes are not bundled).');
};
export const parseJSON5DocumentState = jsonOnly;
export const parseYAMLDocumentState = jsonOnly;
