import type { FieldError } from './problem';

/**
 * What PostgreSQL cannot store, or what would hurt before validation even runs, found anywhere in a
 * request's path parameters, query or JSON body: a NUL character (text and jsonb refuse \u0000), text
 * that is not well-formed Unicode (a lone surrogate: jsonb refuses it), the key `__proto__` (a JavaScript
 * object cannot hold it as data), and nesting deeper than MAX_DEPTH (recursive validation would
 * overflow the stack long before the body limit is reached).
 */

export const MAX_DEPTH = 32;
const MAX_REPORTED = 20;
// eslint-disable-next-line no-control-regex -- a NUL is exactly what must not reach a path in an answer
const UNPRINTABLE_IN_PATH = /[\u0000\ud800-\udfff]/g;

function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
  if (!text.isWellFormed()) return 'is not well-formed Unicode (it holds a lone surrogate such as \\ud800)';
  return undefined;
}

/** A place in the input, linked to its parent: paths are only spelled out for the problems found. */
type Place = { value: unknown; parent: Place | null; key: string | null; depth: number };

function pathOf(place: Place, root: readonly string[]): string[] {
  const keys: string[] = [];
  for (let at: Place | null = place; at && at.key !== null; at = at.parent) keys.push(at.key);
  return [...root, ...keys.reverse()];
}

export function unstorableInput(value: unknown, root: string[] = []): FieldError[] {
  const problems: FieldError[] = [];
  const report = (path: string[], message: string) => {
    if (problems.length < MAX_REPORTED) problems.push({ path: path.join('.') || '(body)', message });
  };
  // Iterative, so that the check itself cannot overflow the stack whatever the depth.
  const stack: Place[] = [{ value, parent: null, key: null, depth: 0 }];
  while (stack.length > 0 && problems.length < MAX_REPORTED) {
    const place = stack.pop()!;
    const current = place.value;
    if (typeof current === 'string') {
      const problem = textProblem(current);
      if (problem) report(pathOf(place, root), problem);
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (place.depth >= MAX_DEPTH) {
      report(pathOf(place, root), `nested more than ${MAX_DEPTH} levels deep`);
      continue;
    }
    if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index--) {
        const item: unknown = current[index];
        // Numbers, booleans and null need no place of their own.
        if (typeof item === 'string' || (item !== null && typeof item === 'object'))
          stack.push({ value: item, parent: place, key: String(index), depth: place.depth + 1 });
      }
      continue;
    }
    const keys = Object.keys(current);
    for (let index = keys.length - 1; index >= 0; index--) {
      const key = keys[index];
      const keyProblem = key === '__proto__' ? 'the key __proto__ is not allowed' : textProblem(key);
      if (keyProblem) {
        report(
          [...pathOf(place, root), key.replace(UNPRINTABLE_IN_PATH, '?')],
          keyProblem.startsWith('the key') ? keyProblem : `this key ${keyProblem}`,
        );
        continue;
      }
      const item: unknown = (current as Record<string, unknown>)[key];
      if (typeof item === 'string' || (item !== null && typeof item === 'object'))
        stack.push({ value: item, parent: place, key, depth: place.depth + 1 });
    }
  }
  return problems;
}
