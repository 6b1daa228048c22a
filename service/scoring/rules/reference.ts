import { Engine, type RuleProperties, type TopLevelCondition } from 'json-rules-engine';
import type { Facts, NamedConditions } from './conditions';
import { pathResolver } from './paths';

export type ReferenceRule = { conditions: unknown; priority?: number };

/**
 * json-rules-engine itself, configured like the compiled evaluator (same plain path resolver). It is
 * the reference the compiled rules are proven against, and a second validator of saved profiles.
 * A new Engine per run: one Engine shared by concurrent runs silently skips rules.
 */
export function buildReferenceEngine(rules: ReferenceRule[], named: NamedConditions = {}): Engine {
  const engine = new Engine([], { pathResolver, allowUndefinedFacts: false });
  for (const [name, conditions] of Object.entries(named)) engine.setCondition(name, conditions as TopLevelCondition);
  rules.forEach((rule, index) => {
    const properties: RuleProperties = {
      name: String(index),
      conditions: rule.conditions as TopLevelCondition,
      event: { type: 'match', params: { index } },
      ...(rule.priority === undefined ? {} : { priority: rule.priority }),
    };
    engine.addRule(properties);
  });
  return engine;
}

/** Indexes of the rules json-rules-engine fires for these facts (rejects when the engine does). */
export async function referenceMatches(rules: ReferenceRule[], named: NamedConditions, facts: Facts): Promise<number[]> {
  const { events } = await buildReferenceEngine(rules, named).run(facts);
  return events.map((event) => (event.params as { index: number }).index).sort((a, b) => a - b);
}

/** The error json-rules-engine raises for a rule (or named condition), if any, without running it. */
export function referenceValidationError(
  rules: ReferenceRule[],
  named: NamedConditions,
): { index: number | null; message: string } | undefined {
  const engine = new Engine([], { pathResolver, allowUndefinedFacts: false });
  for (const [name, conditions] of Object.entries(named)) {
    try {
      engine.setCondition(name, conditions as TopLevelCondition);
    } catch (error) {
      return { index: null, message: `${name}: ${(error as Error).message}` };
    }
  }
  for (let index = 0; index < rules.length; index++) {
    try {
      engine.addRule({
        name: String(index),
        conditions: rules[index].conditions as TopLevelCondition,
        event: { type: 'match' },
        priority: rules[index].priority,
      });
    } catch (error) {
      return { index, message: (error as Error).message };
    }
  }
  return undefined;
}
