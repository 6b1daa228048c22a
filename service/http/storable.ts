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

export function unstorableInput(value: unknown, root: string[] = []): FieldError[] {
  const problems: FieldError[] = [];
  const report = (path: string[], message: string) => {
    if (problems.length < MAX_REPORTED) problems.push({ path: path.join('.') || '(body)', message });
  };
  // Iterative, so that the check itself cannot overflow the stack whatever the depth.
  const stack: { value: unknown; path: string[]; depth: number }[] = [{ value, path: root, depth: 0 }];
  while (stack.length > 0 && problems.length < MAX_REPORTED) {
    const { value: current, path, depth } = stack.pop()!;
    if (typeof current === 'string') {
      const problem = textProblem(current);
      if (problem) report(path, problem);
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= MAX_DEPTH) {
      report(path, `nested more than ${MAX_DEPTH} levels deep`);
      continue;
    }
    if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index--)
        stack.push({ value: current[index], path: [...path, String(index)], depth: depth + 1 });
      continue;
    }
    for (const key of Object.keys(current).reverse()) {
      const keyProblem = key === '__proto__' ? 'the key __proto__ is not allowed' : textProblem(key);
      if (keyProblem) {
        report([...path, key.replace(UNPRINTABLE_IN_PATH, '?')], keyProblem.startsWith('the key') ? keyProblem : `this key ${keyProblem}`);
        continue;
      }
      stack.push({ value: (current as Record<string, unknown>)[key], path: [...path, key], depth: depth + 1 });
    }
  }
  return problems;
}
