/**
 * The comparison operators and decorators of json-rules-engine 7, with the same semantics
 * (callbacks and fact-value validators copied from its engine-default-operators.js and
 * engine-default-operator-decorators.js), so compiled rules decide exactly as engine.run() does.
 */
export type OperatorFunction = (factValue: unknown, jsonValue: unknown) => boolean;

type Validator = (factValue: unknown) => boolean;

const always: Validator = () => true;
const isArray: Validator = (value) => Array.isArray(value);
const isNumberLike: Validator = (value) => Number.parseFloat(value as string).toString() !== 'NaN';

type Indexable = { indexOf(value: unknown): number };

const operators: Record<string, { run: OperatorFunction; validate: Validator }> = {
  equal: { run: (a, b) => a === b, validate: always },
  notEqual: { run: (a, b) => a !== b, validate: always },
  in: { run: (a, b) => (b as Indexable).indexOf(a) > -1, validate: always },
  notIn: { run: (a, b) => (b as Indexable).indexOf(a) === -1, validate: always },
  contains: { run: (a, b) => (a as Indexable).indexOf(b) > -1, validate: isArray },
  doesNotContain: { run: (a, b) => (a as Indexable).indexOf(b) === -1, validate: isArray },
  lessThan: { run: (a, b) => (a as number) < (b as number), validate: isNumberLike },
  lessThanInclusive: { run: (a, b) => (a as number) <= (b as number), validate: isNumberLike },
  greaterThan: { run: (a, b) => (a as number) > (b as number), validate: isNumberLike },
  greaterThanInclusive: { run: (a, b) => (a as number) >= (b as number), validate: isNumberLike },
};

type Decorator = { run: (factValue: unknown, jsonValue: unknown, next: OperatorFunction) => boolean; validate: Validator };

const decorators: Record<string, Decorator> = {
  someFact: { run: (f, j, next) => (f as unknown[]).some((fv) => next(fv, j)), validate: isArray },
  someValue: { run: (f, j, next) => (j as unknown[]).some((jv) => next(f, jv)), validate: always },
  everyFact: { run: (f, j, next) => (f as unknown[]).every((fv) => next(fv, j)), validate: isArray },
  everyValue: { run: (f, j, next) => (j as unknown[]).every((jv) => next(f, jv)), validate: always },
  swap: { run: (f, j, next) => next(j, f), validate: always },
  not: { run: (f, j, next) => !next(f, j), validate: always },
};

export const operatorNames = Object.keys(operators);
export const decoratorNames = Object.keys(decorators);

export type ParsedOperator = { decorators: string[]; operator: string };

/** `everyFact:not:equal` → decorators [everyFact, not], operator equal; undefined when unknown (as OperatorMap.get). */
export function parseOperator(name: string): ParsedOperator | undefined {
  if (typeof name !== 'string') return undefined;
  const parts: string[] = [];
  let rest = name;
  while (!Object.prototype.hasOwnProperty.call(operators, rest)) {
    const colon = rest.indexOf(':');
    if (colon <= 0) return undefined;
    const decorator = rest.slice(0, colon);
    if (!Object.prototype.hasOwnProperty.call(decorators, decorator)) return undefined;
    parts.push(decorator);
    rest = rest.slice(colon + 1);
  }
  return { decorators: parts, operator: rest };
}

/** The operator function, decorated as json-rules-engine decorates it (innermost decorator applied first). */
export function buildOperator(parsed: ParsedOperator): OperatorFunction {
  const base = operators[parsed.operator];
  const { run, validate } = base;
  // Operators without a fact-value validator skip the call (the hot path of most rules).
  let evaluate: OperatorFunction = validate === always ? run : (a, b) => validate(a) && run(a, b);
  for (let index = parsed.decorators.length - 1; index >= 0; index--) {
    const decorator = decorators[parsed.decorators[index]];
    const next = evaluate;
    evaluate = (a, b) => decorator.validate(a) && decorator.run(a, b, next);
  }
  return evaluate;
}

/** What is known, when a rule is saved, about one argument position of an operator. */
export type Side = { known: true; value: unknown } | { known: false };

/**
 * Whether evaluating can throw for some fact values (a TypeError inside json-rules-engine rejects the
 * whole run): `in`/`notIn` call indexOf on the second argument, someValue/everyValue call .some/.every
 * on it, `swap` exchanges the arguments and someFact/everyFact iterate over the first. Conservative:
 * true whenever an unknown (fact) value reaches one of those places.
 */
export function mayThrow(parsed: ParsedOperator, first: Side, second: Side): boolean {
  return mayThrowFrom(parsed.decorators, 0, parsed.operator, first, second);
}

/**
 * Whether converting the value to a primitive (as `<` and parseFloat do, and String#indexOf does to
 * its argument) can throw: unknown values can (an object from user data may carry a `toString` key).
 */
function conversionMayThrow(side: Side): boolean {
  if (!side.known) return true;
  const value = side.value;
  if (value === null || typeof value !== 'object') return false;
  try {
    Number.parseFloat(value as unknown as string);
    void ((value as unknown as number) < 0);
    return false;
  } catch {
    return true;
  }
}

function baseMayThrow(operator: string, first: Side, second: Side): boolean {
  switch (operator) {
    case 'in':
    case 'notIn':
      if (!second.known) return true;
      if (Array.isArray(second.value)) return false;
      // String#indexOf converts its argument to a string.
      return typeof second.value === 'string' ? conversionMayThrow(first) : true;
    case 'lessThan':
    case 'lessThanInclusive':
    case 'greaterThan':
    case 'greaterThanInclusive':
      return conversionMayThrow(first) || conversionMayThrow(second);
    default:
      return false;
  }
}

function mayThrowFrom(chain: string[], at: number, operator: string, first: Side, second: Side): boolean {
  if (at === chain.length) return baseMayThrow(operator, first, second);
  switch (chain[at]) {
    case 'swap':
      return mayThrowFrom(chain, at + 1, operator, second, first);
    case 'someFact':
    case 'everyFact':
      if (!first.known) return mayThrowFrom(chain, at + 1, operator, { known: false }, second);
      // The validator stops a non-array before anything is called.
      return (
        Array.isArray(first.value) &&
        first.value.some((element) => mayThrowFrom(chain, at + 1, operator, { known: true, value: element }, second))
      );
    case 'someValue':
    case 'everyValue':
      if (!second.known || !Array.isArray(second.value)) return true;
      return second.value.some((element) => mayThrowFrom(chain, at + 1, operator, first, { known: true, value: element }));
    default:
      return mayThrowFrom(chain, at + 1, operator, first, second);
  }
}
