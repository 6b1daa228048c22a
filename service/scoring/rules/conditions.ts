import { buildOperator, mayThrow, parseOperator, type OperatorFunction, type Side } from './operators';
import { parsePath, resolveSegments, type PathSegment } from './paths';

/**
 * json-rules-engine conditions, checked when a profile is saved and compiled to plain closures for
 * the hot path. The compiled form decides exactly as json-rules-engine's Rule.evaluate: the same
 * priority sets, the same short-circuits between sets, and (where a condition could throw) the same
 * evaluation of every condition inside a set, so that it throws exactly when the engine rejects.
 */
export type Facts = Record<string, unknown>;
export type ConditionJson = Record<string, unknown>;
export type NamedConditions = Record<string, unknown>;

export type ConditionProblem = { path: string; message: string };

type Compiled = {
  evaluate: (facts: Facts) => boolean;
  /** Whether evaluation can throw for some facts (decides whether a set must evaluate all members). */
  mayThrow: boolean;
  /** Priority used when the parent orders its conditions into sets (higher first). */
  priority: number;
};

const BOOLEAN_KEYS = ['all', 'any', 'not'] as const;
const FACT_CONDITION_KEYS = new Set(['fact', 'operator', 'value', 'path', 'params', 'priority', 'name']);
const BOOLEAN_CONDITION_KEYS = new Set(['all', 'any', 'not', 'priority', 'name']);
const REFERENCE_KEYS = new Set(['condition', 'priority', 'name']);
const MAX_DEPTH = 20;

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const has = (value: object, key: string) => Object.hasOwn(value, key);

/** json-rules-engine reads `value: { fact, path?, params? }` as a reference to another fact. */
const isFactReference = (value: unknown): value is { fact: string; path?: string; params?: unknown } =>
  value !== null && typeof value === 'object' && has(value, 'fact');

export type ValidationContext = {
  facts: readonly string[];
  named: NamedConditions;
  /** Facts the conditions read, filled while validating. */
  used: Set<string>;
};

function checkPriority(node: Record<string, unknown>, path: string, problems: ConditionProblem[]) {
  if (has(node, 'priority') && !(Number.isInteger(node.priority) && (node.priority as number) >= 1 && (node.priority as number) <= 1000)) {
    problems.push({ path: `${path}.priority`, message: 'priority is an integer from 1 to 1000' });
  }
  if (has(node, 'name') && typeof node.name !== 'string') problems.push({ path: `${path}.name`, message: 'name is a string' });
}

function checkFactUse(
  fact: unknown,
  path: string,
  factPath: unknown,
  pathKey: string,
  ctx: ValidationContext,
  problems: ConditionProblem[],
) {
  if (typeof fact !== 'string' || !ctx.facts.includes(fact)) {
    problems.push({ path, message: `unknown fact ${JSON.stringify(fact)}; known facts: ${ctx.facts.join(', ')}` });
  } else {
    ctx.used.add(fact);
  }
  if (factPath !== undefined) {
    const parsed = typeof factPath === 'string' ? parsePath(factPath) : 'a path is a string';
    if (typeof parsed === 'string') problems.push({ path: pathKey, message: parsed });
  }
}

/** Validates one condition (any level); `stack` holds the named conditions being expanded (cycle check). */
export function validateCondition(
  node: unknown,
  path: string,
  ctx: ValidationContext,
  problems: ConditionProblem[],
  depth = 0,
  stack: string[] = [],
): void {
  if (depth > MAX_DEPTH) {
    problems.push({ path, message: `conditions nest at most ${MAX_DEPTH} levels deep` });
    return;
  }
  if (!isObject(node)) {
    problems.push({ path, message: 'a condition is an object' });
    return;
  }
  const booleans = BOOLEAN_KEYS.filter((key) => has(node, key));
  if (booleans.length > 1) {
    problems.push({ path, message: `a condition has one of all, any, not (found ${booleans.join(', ')})` });
    return;
  }
  checkPriority(node, path, problems);
  if (booleans.length === 1) {
    const key = booleans[0];
    for (const extra of Object.keys(node).filter((name) => !BOOLEAN_CONDITION_KEYS.has(name)))
      problems.push({ path: `${path}.${extra}`, message: `unknown field ${extra}` });
    const children = node[key];
    if (key === 'not') {
      if (Array.isArray(children)) problems.push({ path: `${path}.not`, message: '"not" takes one condition, not an array' });
      else validateCondition(children, `${path}.not`, ctx, problems, depth + 1, stack);
    } else if (!Array.isArray(children)) {
      problems.push({ path: `${path}.${key}`, message: `"${key}" must be an array` });
    } else {
      if (children.length > 100) problems.push({ path: `${path}.${key}`, message: 'at most 100 conditions per list' });
      children.forEach((child, index) => validateCondition(child, `${path}.${key}.${index}`, ctx, problems, depth + 1, stack));
    }
    return;
  }
  if (has(node, 'condition')) {
    for (const extra of Object.keys(node).filter((name) => !REFERENCE_KEYS.has(name)))
      problems.push({ path: `${path}.${extra}`, message: `unknown field ${extra}` });
    const name = node.condition;
    if (typeof name !== 'string' || !has(ctx.named, name)) {
      problems.push({ path: `${path}.condition`, message: `no named condition ${JSON.stringify(name)} in the profile's "conditions"` });
    } else if (stack.includes(name)) {
      problems.push({ path: `${path}.condition`, message: `named condition ${name} refers to itself (${[...stack, name].join(' → ')})` });
    } else {
      const problemsInside: ConditionProblem[] = [];
      validateCondition(ctx.named[name], `conditions.${name}`, ctx, problemsInside, depth + 1, [...stack, name]);
      // Problems inside a named condition are reported once, where it is defined (see validateNamedConditions).
      if (problemsInside.some((problem) => problem.message.includes('refers to itself')))
        problems.push(...problemsInside.filter((problem) => problem.message.includes('refers to itself')));
    }
    return;
  }
  for (const required of ['fact', 'operator', 'value']) {
    if (!has(node, required))
      problems.push({ path: `${path}.${required}`, message: `a fact condition needs "${required}" (or use all, any, not or condition)` });
  }
  for (const extra of Object.keys(node).filter((name) => !FACT_CONDITION_KEYS.has(name)))
    problems.push({ path: `${path}.${extra}`, message: `unknown field ${extra}` });
  if (!has(node, 'fact') || !has(node, 'operator') || !has(node, 'value')) return;
  checkFactUse(node.fact, `${path}.fact`, node.path, `${path}.path`, ctx, problems);
  if (has(node, 'params') && !isObject(node.params)) problems.push({ path: `${path}.params`, message: 'params is an object' });
  const parsed = parseOperator(node.operator as string);
  if (!parsed) {
    problems.push({
      path: `${path}.operator`,
      message: `unknown operator ${JSON.stringify(node.operator)}; operators: equal, notEqual, in, notIn, contains, doesNotContain, lessThan, lessThanInclusive, greaterThan, greaterThanInclusive, with decorators someFact:, someValue:, everyFact:, everyValue:, swap:, not:`,
    });
    return;
  }
  if (isFactReference(node.value)) {
    const reference = node.value as Record<string, unknown>;
    for (const extra of Object.keys(reference).filter((name) => !['fact', 'path', 'params'].includes(name)))
      problems.push({ path: `${path}.value.${extra}`, message: `unknown field ${extra} in a fact reference` });
    checkFactUse(reference.fact, `${path}.value.fact`, reference.path, `${path}.value.path`, ctx, problems);
  } else if (
    parsed.decorators.length === 0 &&
    (parsed.operator === 'in' || parsed.operator === 'notIn') &&
    !Array.isArray(node.value) &&
    typeof node.value !== 'string'
  ) {
    problems.push({ path: `${path}.value`, message: `operator ${parsed.operator} needs a list (array) value` });
  } else if (parsed.decorators[0] === 'someValue' || parsed.decorators[0] === 'everyValue') {
    if (!Array.isArray(node.value)) problems.push({ path: `${path}.value`, message: `${parsed.decorators[0]} needs a list (array) value` });
  }
}

export function validateNamedConditions(named: unknown, ctx: ValidationContext, problems: ConditionProblem[]): void {
  if (named === undefined) return;
  if (!isObject(named)) {
    problems.push({ path: 'conditions', message: 'conditions is an object of named conditions' });
    return;
  }
  for (const [name, condition] of Object.entries(named)) {
    if (!/^[A-Za-z_][\w-]{0,99}$/.test(name))
      problems.push({ path: `conditions.${name}`, message: 'a condition name is 1–100 letters, digits, - or _' });
    validateTopLevel(condition, `conditions.${name}`, ctx, problems, [name]);
  }
}

/** A rule's (or named condition's) top level: all, any, not, or a reference to a named condition. */
export function validateTopLevel(
  node: unknown,
  path: string,
  ctx: ValidationContext,
  problems: ConditionProblem[],
  stack: string[] = [],
): void {
  if (!isObject(node) || !(BOOLEAN_KEYS.some((key) => has(node, key)) || has(node, 'condition'))) {
    problems.push({
      path,
      message: 'the top level of conditions is { all: [...] }, { any: [...] }, { not: {...} } or { condition: "name" }',
    });
    return;
  }
  validateCondition(node, path, ctx, problems, 0, stack);
}

// ---------------------------------------------------------------------------------------------
// Compilation

type CompileContext = { named: NamedConditions; cache: Map<string, Compiled> };

const TRUE: Compiled = { evaluate: () => true, mayThrow: false, priority: 1 };

/**
 * A reader of `fact` at `path`: json-rules-engine applies the path only to objects (anything else is
 * returned as it is). Short paths, the common case, get a reader of their own.
 */
function factReader(fact: string, segments: PathSegment[] | undefined): (facts: Facts) => unknown {
  if (!segments) return (facts) => facts[fact];
  if (segments.length === 1) {
    const [first] = segments as [PathSegment];
    return (facts) => {
      const value = facts[fact];
      if (value === null || typeof value !== 'object') return value;
      return Object.hasOwn(value, first) ? (value as Record<PathSegment, unknown>)[first] : undefined;
    };
  }
  if (segments.length === 2) {
    const [first, second] = segments as [PathSegment, PathSegment];
    return (facts) => {
      const value = facts[fact];
      if (value === null || typeof value !== 'object') return value;
      const inner = Object.hasOwn(value, first) ? (value as Record<PathSegment, unknown>)[first] : undefined;
      if (inner === null || typeof inner !== 'object') return undefined;
      return Object.hasOwn(inner, second) ? (inner as Record<PathSegment, unknown>)[second] : undefined;
    };
  }
  return (facts) => {
    const value = facts[fact];
    if (value === null || typeof value !== 'object') return value;
    return resolveSegments(value, segments);
  };
}

function compileFactCondition(node: Record<string, unknown>): Compiled {
  const read = factReader(node.fact as string, node.path === undefined ? undefined : (parsePath(node.path as string) as PathSegment[]));
  const parsed = parseOperator(node.operator as string)!;
  const operator: OperatorFunction = buildOperator(parsed);
  const priority = has(node, 'priority') ? (node.priority as number) : 1;
  if (isFactReference(node.value)) {
    const reference = node.value;
    const readValue = factReader(reference.fact, reference.path === undefined ? undefined : (parsePath(reference.path) as PathSegment[]));
    return {
      evaluate: (facts) => operator(read(facts), readValue(facts)),
      mayThrow: mayThrow(parsed, { known: false }, { known: false }),
      priority,
    };
  }
  const value = node.value;
  const second: Side = { known: true, value };
  const plainEqual = parsed.decorators.length === 0 && parsed.operator === 'equal';
  return {
    evaluate: plainEqual ? (facts) => read(facts) === value : (facts) => operator(read(facts), value),
    mayThrow: mayThrow(parsed, { known: false }, second),
    priority,
  };
}

/** prioritizeAndRun: empty → true, one condition → itself, else priority sets (highest first) with short-circuits between sets. */
function compileList(children: Compiled[], operator: 'all' | 'any'): Omit<Compiled, 'priority'> {
  if (children.length === 0) return TRUE;
  if (children.length === 1) return children[0];
  const byPriority = new Map<number, Compiled[]>();
  for (const child of children) {
    const set = byPriority.get(child.priority) ?? [];
    set.push(child);
    byPriority.set(child.priority, set);
  }
  const sets = [...byPriority.entries()]
    .sort((a, b) => b[0] - a[0])
    .map(([, set]) => ({ members: set, mayThrow: set.some((member) => member.mayThrow) }));
  if (sets.length === 1 && !sets[0].mayThrow) {
    // One priority and nothing that can throw: a plain short-circuiting loop.
    const members = sets[0].members.map((member) => member.evaluate);
    return {
      evaluate:
        operator === 'all'
          ? (facts) => {
              for (let index = 0; index < members.length; index++) if (!members[index](facts)) return false;
              return true;
            }
          : (facts) => {
              for (let index = 0; index < members.length; index++) if (members[index](facts)) return true;
              return false;
            },
      mayThrow: false,
    };
  }
  const evaluateSet =
    operator === 'all'
      ? (set: (typeof sets)[number], facts: Facts) => {
          if (!set.mayThrow) return set.members.every((member) => member.evaluate(facts));
          // json-rules-engine evaluates every member of a set (Promise.all) before combining them.
          let all = true;
          for (const member of set.members) if (!member.evaluate(facts)) all = false;
          return all;
        }
      : (set: (typeof sets)[number], facts: Facts) => {
          if (!set.mayThrow) return set.members.some((member) => member.evaluate(facts));
          let any = false;
          for (const member of set.members) if (member.evaluate(facts)) any = true;
          return any;
        };
  return {
    evaluate:
      operator === 'all'
        ? (facts) => {
            for (const set of sets) if (!evaluateSet(set, facts)) return false;
            return true;
          }
        : (facts) => {
            for (const set of sets) if (evaluateSet(set, facts)) return true;
            return false;
          },
    mayThrow: sets.some((set) => set.mayThrow),
  };
}

function compileNode(node: Record<string, unknown>, ctx: CompileContext): Compiled {
  const ownPriority = has(node, 'priority') ? (node.priority as number) : 1;
  if (has(node, 'any') || has(node, 'all')) {
    const operator = has(node, 'any') ? 'any' : 'all';
    const list = compileList(
      (node[operator] as Record<string, unknown>[]).map((child) => compileNode(child, ctx)),
      operator,
    );
    return { ...list, priority: ownPriority };
  }
  if (has(node, 'not')) {
    const inner = compileNode(node.not as Record<string, unknown>, ctx);
    return { evaluate: (facts) => !inner.evaluate(facts), mayThrow: inner.mayThrow, priority: ownPriority };
  }
  if (has(node, 'condition')) {
    const named = compileNamed(node.condition as string, ctx);
    return { evaluate: named.evaluate, mayThrow: named.mayThrow, priority: ownPriority };
  }
  return compileFactCondition(node);
}

function compileNamed(name: string, ctx: CompileContext): Compiled {
  let compiled = ctx.cache.get(name);
  if (!compiled) {
    compiled = compileNode(ctx.named[name] as Record<string, unknown>, ctx);
    ctx.cache.set(name, compiled);
  }
  return compiled;
}

export type CompiledConditions = {
  /** Throws where json-rules-engine would reject the run (used to prove equivalence). */
  strict: (facts: Facts) => boolean;
  /** Production: a condition that cannot be evaluated (a TypeError) makes the rule not match. */
  lenient: (facts: Facts) => boolean;
};

/** Compiles validated top-level conditions (see validateTopLevel). */
/** Named conditions compiled once per profile, shared by its rules. */
export type ConditionCache = Map<string, Compiled>;

export function compileConditions(conditions: unknown, named: NamedConditions = {}, cache: ConditionCache = new Map()): CompiledConditions {
  const compiled = compileNode(conditions as Record<string, unknown>, { named, cache });
  const strict = compiled.evaluate;
  const lenient = compiled.mayThrow
    ? (facts: Facts) => {
        try {
          return strict(facts);
        } catch {
          return false;
        }
      }
    : strict;
  return { strict, lenient };
}
