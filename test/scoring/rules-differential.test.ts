import fc from 'fast-check';
import {
  compileConditions,
  validateNamedConditions,
  validateTopLevel,
  type ConditionProblem,
  type Facts,
  type ValidationContext,
} from '../../service/scoring/rules/conditions';
import { decoratorNames, operatorNames } from '../../service/scoring/rules/operators';
import { referenceMatches, referenceValidationError } from '../../service/scoring/rules/reference';

/**
 * The compiled evaluator against json-rules-engine's engine.run() on thousands of random rules and
 * facts: the same rules fire, and it throws exactly when the engine rejects the run.
 */

const keys = ['a', 'b', 'type', 'tags', 'n'];
const scalar = fc.oneof(
  fc.constantFrom(0, 1, 2, 10, -1, 2.5, '1', '10', '2.5', 'x', 'y', 'abc', '', 'a', true, false, null),
  fc.integer({ min: -5, max: 20 }),
);
const jsonValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...keys), tie('value'), { maxKeys: 3 }),
  ),
})).value;
const factObject = fc.dictionary(fc.constantFrom(...keys), jsonValue, { maxKeys: 5 });
const facts: fc.Arbitrary<Facts> = fc.record({ interaction: factObject, contact: factObject });

const path = fc.oneof(
  fc.constant(undefined),
  fc.constant('$'),
  fc.constantFrom(...keys).map((key) => `$.${key}`),
  fc.tuple(fc.constantFrom(...keys), fc.constantFrom(...keys)).map(([first, second]) => `$.${first}.${second}`),
  fc.tuple(fc.constantFrom(...keys), fc.integer({ min: 0, max: 2 })).map(([key, index]) => `$.${key}[${index}]`),
  fc.constantFrom(...keys).map((key) => `$['${key}']`),
);
const operator = fc
  .tuple(fc.array(fc.constantFrom(...decoratorNames), { maxLength: 2 }), fc.constantFrom(...operatorNames))
  .map(([decorators, base]) => [...decorators, base].join(':'));
const factName = fc.constantFrom('interaction', 'contact');
const withPath = <T extends Record<string, unknown>>(base: T, given: string | undefined) =>
  given === undefined ? base : { ...base, path: given };
const value = fc.oneof(
  { weight: 5, arbitrary: jsonValue },
  { weight: 1, arbitrary: fc.tuple(factName, path).map(([fact, given]) => withPath({ fact }, given)) },
);
const priority = fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined });
const withPriority = <T extends Record<string, unknown>>(node: T, given: number | undefined) =>
  given === undefined ? node : { ...node, priority: given };

const factCondition = fc
  .tuple(factName, path, operator, value, priority)
  .map(([fact, given, op, v, p]) => withPriority(withPath({ fact, operator: op, value: v }, given), p));

function conditionTree(namedNames: string[]) {
  const reference =
    namedNames.length > 0
      ? [fc.tuple(fc.constantFrom(...namedNames), priority).map(([name, p]) => withPriority({ condition: name }, p))]
      : [];
  return fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      factCondition,
      ...reference,
      fc
        .tuple(fc.constantFrom('all', 'any'), fc.array(tie('node'), { maxLength: 4 }), priority)
        .map(([op, children, p]) => withPriority({ [op]: children }, p)),
      fc.tuple(tie('node'), priority).map(([child, p]) => withPriority({ not: child }, p)),
    ),
  })).node;
}

function topLevel(namedNames: string[]) {
  const tree = conditionTree(namedNames);
  return fc.oneof(
    fc.tuple(fc.constantFrom('all', 'any'), fc.array(tree, { maxLength: 4 })).map(([op, children]) => ({ [op]: children })),
    tree.map((child) => ({ not: child })),
    ...(namedNames.length > 0 ? [fc.constantFrom(...namedNames).map((name) => ({ condition: name }))] : []),
  );
}

const scenario = fc.tuple(topLevel([]), topLevel(['first'])).chain(([firstNamed, secondNamed]) =>
  fc.record({
    named: fc.constant({ first: firstNamed, second: secondNamed }),
    rules: fc.array(fc.record({ conditions: topLevel(['first', 'second']), priority }), { minLength: 1, maxLength: 4 }),
    facts: fc.array(facts, { minLength: 1, maxLength: 3 }),
  }),
);

function validate(rules: { conditions: unknown }[], named: Record<string, unknown>): ConditionProblem[] {
  const ctx: ValidationContext = { facts: ['interaction', 'contact'], named, used: new Set() };
  const problems: ConditionProblem[] = [];
  validateNamedConditions(named, ctx, problems);
  rules.forEach((rule, index) => validateTopLevel(rule.conditions, `rules.${index}.conditions`, ctx, problems));
  return problems;
}

function compiledOutcome(rules: { conditions: unknown }[], named: Record<string, unknown>, input: Facts): number[] | 'throws' {
  const cache = new Map();
  const compiled = rules.map((rule) => compileConditions(rule.conditions, named, cache));
  try {
    return compiled.flatMap((rule, index) => (rule.strict(input) ? [index] : []));
  } catch {
    return 'throws';
  }
}

async function referenceOutcome(
  rules: { conditions: unknown; priority?: number }[],
  named: Record<string, unknown>,
  input: Facts,
): Promise<number[] | 'throws'> {
  try {
    return await referenceMatches(rules, named, input);
  } catch {
    return 'throws';
  }
}

describe('compiled rules decide exactly as json-rules-engine', () => {
  it('on random rules, named conditions, priorities, decorators and facts', async () => {
    let compared = 0;
    let threw = 0;
    let matched = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async ({ named, rules, facts: inputs }) => {
        const problems = validate(rules, named);
        fc.pre(problems.length === 0);
        expect(referenceValidationError(rules, named)).toBeUndefined();
        for (const input of inputs) {
          const expected = await referenceOutcome(rules, named, input);
          const actual = compiledOutcome(rules, named, input);
          expect(actual).toEqual(expected);
          compared++;
          if (expected === 'throws') threw++;
          else if (expected.length > 0) matched++;
        }
      }),
      { numRuns: 3000, seed: Number(process.env.FC_SEED ?? 20261123) },
    );
    // The generator must exercise all three outcomes, or this test proves little.
    expect(compared).toBeGreaterThan(3000);
    expect(matched).toBeGreaterThan(300);
    expect(threw).toBeGreaterThan(20);
  });

  it('treats an evaluation error as no match in production (lenient) mode', () => {
    const conditions = { all: [{ fact: 'contact', path: '$.n', operator: 'in', value: { fact: 'interaction', path: '$.n' } }] };
    const compiled = compileConditions(conditions);
    expect(() => compiled.strict({ contact: { n: 1 }, interaction: { n: 5 } })).toThrow(TypeError);
    expect(compiled.lenient({ contact: { n: 1 }, interaction: { n: 5 } })).toBe(false);
    expect(compiled.lenient({ contact: { n: 1 }, interaction: { n: [1, 2] } })).toBe(true);
  });
});
