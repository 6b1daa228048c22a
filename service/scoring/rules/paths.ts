/**
 * Plain property paths for rule conditions: `$`, `$.a.b`, `$.a[0]`, `$['key with spaces']`.
 * User paths never reach JSONPath: no filters, wildcards, recursion or script expressions.
 */
export type PathSegment = string | number;

const SEGMENT = /^(?:\.([A-Za-z_$][A-Za-z0-9_$]*)|\[(\d{1,9})\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\])/;

/** Parses a path into segments, or returns an error message. */
export function parsePath(path: string): PathSegment[] | string {
  if (typeof path !== 'string' || !path.startsWith('$')) return 'a path starts with $';
  if (path.length > 500) return 'a path has at most 500 characters';
  const segments: PathSegment[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    const match = SEGMENT.exec(rest);
    if (!match) return `only plain property paths such as $.a.b or $.a[0] are allowed (at "${rest.slice(0, 20)}")`;
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push((match[3] ?? match[4]).replace(/\\(.)/g, '$1'));
    rest = rest.slice(match[0].length);
  }
  return segments;
}

/** Follows the segments through own properties only (never the prototype chain); undefined when absent. */
export function resolveSegments(value: unknown, segments: readonly PathSegment[]): unknown {
  let current = value;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

const cache = new Map<string, PathSegment[]>();

/** json-rules-engine `pathResolver`: the reference engine resolves paths exactly as the compiled evaluator does. */
export function pathResolver(value: unknown, path: string): unknown {
  let segments = cache.get(path);
  if (!segments) {
    const parsed = parsePath(path);
    if (typeof parsed === 'string') throw new Error(`Invalid path ${path}: ${parsed}`);
    segments = parsed;
    if (cache.size < 10_000) cache.set(path, segments);
  }
  return resolveSegments(value, segments);
}
