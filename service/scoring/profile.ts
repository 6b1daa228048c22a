import { z } from 'zod/v4';
import {
  compileConditions,
  validateNamedConditions,
  validateTopLevel,
  type CompiledConditions,
  type ConditionCache,
  type ConditionProblem,
  type ValidationContext,
} from './rules/conditions';
import { referenceValidationError } from './rules/reference';

/** The profile document admins write (docs/profile-format.md), its validation and its compiled form. */

export const RULE_FACTS = ['interaction', 'contact'] as const;
export const SUGGESTION_FACTS = [
  'score',
  'previousScore',
  'delta',
  'band',
  'daysSinceLastInteraction',
  'lastInteractionType',
  'interactionsLast30d',
  'contact',
] as const;

/** Relationship strength saturates as 100 · (1 − e^(−R / saturation)). */
export const DEFAULT_SATURATION = 20;
export const DEFAULT_RELATIONSHIP_WINDOW_DAYS = 90;
export const DEFAULT_RELATIONSHIP_HALF_LIFE_DAYS = 30;

const finite = (min: number, max: number) => z.number().min(min).max(max);
const limitSchema = z
  .strictObject({
    count: z.int().min(1).max(100_000).describe('At most this many matching interactions count…'),
    perDays: finite(0.0001, 36_500).describe('…per rolling window of this many days (fractions allowed)'),
  })
  .describe(
    'Anti-inflation limit: at most `count` matching interactions count per rolling `perDays` days; the others are shown as `limited`',
  );

const pointsEvent = z
  .strictObject({
    type: z
      .literal('points')
      .describe('points profiles: each matching interaction adds `points` at its time (a state rule adds them while it holds)'),
    params: z.strictObject({
      points: finite(-1_000_000, 1_000_000).describe('Points per matching interaction (negative subtracts)'),
      limit: limitSchema.optional(),
    }),
  })
  .describe('What a rule of a points profile earns');
const weightEvent = z
  .strictObject({
    type: z.literal('weight').describe('relationship profiles: each matching interaction adds its weight to the raw strength R'),
    params: z.strictObject({ weight: finite(0, 10).describe('How much this activity counts (0–10)'), limit: limitSchema.optional() }),
  })
  .describe('What a rule of a relationship profile earns');
const suggestionEvent = z.strictObject({
  type: z.literal('suggestion'),
  params: z.strictObject({
    action: z.string().min(1).max(100).describe('A machine-readable next step, e.g. schedule_call'),
    message: z
      .string()
      .min(1)
      .max(1000)
      .describe('What to tell a person; may use {contact.name}, {contact.id}, {score}, {band} and {strongestMember}'),
  }),
});

// A loose object rather than z.record: zod's record refuses objects with a `constructor` key. The
// conditions' structure is checked by rules/conditions.ts, whose messages name the exact place.
const conditionsSchema = z
  .looseObject({})
  .describe('json-rules-engine conditions: { "all": [...] }, { "any": [...] }, { "not": {...} } or { "condition": "name" }');

const ruleSchema = z.strictObject({
  name: z.string().min(1).max(200).describe('Shown in explanations; unique within the profile'),
  conditions: conditionsSchema,
  event: z.discriminatedUnion('type', [pointsEvent, weightEvent]),
  priority: z.int().min(1).max(1000).optional().describe('json-rules-engine priority (higher runs first)'),
});

const suggestionSchema = z.strictObject({
  name: z.string().min(1).max(200),
  conditions: conditionsSchema,
  event: suggestionEvent,
  priority: z.int().min(1).max(1000).optional(),
});

const bandSchema = z
  .strictObject({
    name: z.string().min(1).max(100).describe('e.g. Needs attention, Warm, Healthy'),
    min: finite(-1e9, 1e9).describe('Lowest score in the band (inclusive)'),
    max: finite(-1e9, 1e9).describe('Upper edge (exclusive, except for the top band, which includes the range maximum)'),
    color: z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/, 'a color is #rrggbb')
      .describe('#rrggbb, used in the console, charts and deliveries'),
  })
  .describe('A named score range; bands must not overlap or leave gaps, and with a range they cover it');

export const profileDocumentSchema = z
  .strictObject({
    $schema: z
      .string()
      .max(2000)
      .optional()
      .describe('The JSON Schema of profile documents (GET /v1/schemas/profile.json), for editors; ignored by the service'),
    name: z.string().min(1).max(200).describe('The profile’s name'),
    description: z.string().max(2000).optional(),
    kind: z
      .enum(['points', 'relationship', 'manual'])
      .describe('points: rules add points; relationship: rules weigh interactions into a 0–100 strength; manual: adjustments only'),
    rules: z.array(ruleSchema).max(200).optional().describe('json-rules-engine rules over the facts interaction and contact'),
    conditions: z.looseObject({}).optional().describe('Named conditions that rules refer to with { "condition": "name" }'),
    decay: z
      .strictObject({ halfLifeDays: finite(0.0001, 36_500).describe('A contribution is worth 0.5^(age / halfLifeDays) of its points') })
      .optional()
      .describe('Exponential decay of contributions (relationship profiles: 30 days unless given)'),
    window: z
      .strictObject({ days: finite(0.0001, 36_500).describe('Contributions older than this count no more') })
      .optional()
      .describe('How far back contributions count (relationship profiles: 90 days unless given)'),
    range: z
      .strictObject({ min: finite(-1e9, 1e9), max: finite(-1e9, 1e9) })
      .optional()
      .describe('Clamps the final score (points and manual profiles)'),
    bands: z.array(bandSchema).max(20).optional(),
    saturation: finite(0.0001, 1e6).optional().describe('relationship profiles: R at which the score reaches 63.2 (default 20)'),
    minInteractions: z
      .int()
      .min(0)
      .max(1000)
      .optional()
      .describe(
        'Minimum evidence: a contact has a score only once this many of its interactions matched an interaction rule (limited matches count) within the window (all time without one). Below it the score is null and the contact is left out of score lists, filters, insights, roll-ups and threshold triggers. Default 0: every contact has a score',
      ),
    suggestions: z
      .array(suggestionSchema)
      .max(100)
      .optional()
      .describe(
        'Rules over score, previousScore, delta, band, daysSinceLastInteraction, lastInteractionType, interactionsLast30d and contact that suggest a next step',
      ),
  })
  .meta({ id: 'ProfileDocument' });

export type ProfileDocument = z.output<typeof profileDocumentSchema>;
export type ProfileKind = ProfileDocument['kind'];
export type Band = z.output<typeof bandSchema>;

export type CompiledRule = {
  index: number;
  name: string;
  /** interaction rules score each matching interaction; state rules hold (or not) on the contact. */
  type: 'interaction' | 'state';
  /** An interaction rule that also reads the contact: a change to the contact may change what every match earns. */
  readsContact: boolean;
  points: number;
  limit: { count: number; perDays: number } | null;
  conditions: CompiledConditions;
};

export type CompiledSuggestion = { name: string; action: string; message: string; conditions: CompiledConditions };

export type CompiledProfile = {
  kind: ProfileKind;
  name: string;
  rules: CompiledRule[];
  interactionRules: CompiledRule[];
  stateRules: CompiledRule[];
  suggestions: CompiledSuggestion[];
  halfLifeDays: number | null;
  windowDays: number | null;
  range: { min: number; max: number } | null;
  /** Sorted by min. */
  bands: Band[];
  saturation: number;
  /** Matching interactions in the window a contact needs to have a score (0: none). */
  minInteractions: number;
};

export type ProfileValidation = { ok: true; document: ProfileDocument } | { ok: false; errors: ConditionProblem[] };

function zodProblems(error: z.ZodError): ConditionProblem[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys')
      return { path: [path, ...issue.keys].filter(Boolean).join('.'), message: `unknown field(s): ${issue.keys.join(', ')}` };
    return { path: path || '(document)', message: issue.message };
  });
}

/** Everything that makes a profile invalid, each with the path to fix. */
export function validateProfile(input: unknown): ProfileValidation {
  const parsed = profileDocumentSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: zodProblems(parsed.error) };
  const document = parsed.data;
  const problems: ConditionProblem[] = [];
  const rules = document.rules ?? [];
  const named = document.conditions ?? {};

  if (document.kind === 'manual' && rules.length > 0)
    problems.push({ path: 'rules', message: 'a manual profile has no rules: its scores change only through adjustments' });
  if (document.kind !== 'manual' && rules.length === 0)
    problems.push({ path: 'rules', message: `a ${document.kind} profile needs at least one rule` });
  if (document.kind !== 'relationship' && document.saturation !== undefined)
    problems.push({ path: 'saturation', message: 'saturation applies to relationship profiles only' });
  if (document.kind === 'relationship' && document.range)
    problems.push({ path: 'range', message: 'relationship scores are always 0–100; leave range out' });
  if (document.kind === 'manual' && document.conditions)
    problems.push({ path: 'conditions', message: 'a manual profile has no rules to use named conditions' });
  if (document.kind === 'manual' && (document.minInteractions ?? 0) > 0)
    problems.push({ path: 'minInteractions', message: 'a manual profile has no interaction rules, so no contact would ever have a score' });
  let interactionRules = 0;

  const seenNames = new Map<string, number>();
  validateNamedConditions(named, { facts: RULE_FACTS, named, used: new Set() }, problems);
  rules.forEach((rule, index) => {
    const path = `rules.${index}`;
    const first = seenNames.get(rule.name);
    if (first !== undefined) problems.push({ path: `${path}.name`, message: `rule names are unique (same as rules.${first}.name)` });
    seenNames.set(rule.name, index);
    const expected = document.kind === 'relationship' ? 'weight' : 'points';
    if (rule.event.type !== expected)
      problems.push({ path: `${path}.event.type`, message: `rules of a ${document.kind} profile have event type "${expected}"` });
    const ctx: ValidationContext = { facts: RULE_FACTS, named, used: new Set() };
    const before = problems.length;
    validateTopLevel(rule.conditions, `${path}.conditions`, ctx, problems);
    if (problems.length > before) return;
    if (ctx.used.has('interaction')) interactionRules++;
    if (!ctx.used.has('interaction')) {
      if (!ctx.used.has('contact'))
        problems.push({
          path: `${path}.conditions`,
          message: 'a rule reads the interaction (scored per interaction) or the contact (holds while true)',
        });
      else if (document.kind === 'relationship')
        problems.push({
          path: `${path}.conditions`,
          message: 'relationship rules weigh interactions, so they must read the interaction fact',
        });
      else if (rule.event.params.limit)
        problems.push({
          path: `${path}.event.params.limit`,
          message: 'a limit applies to interaction rules; this rule reads only the contact',
        });
    }
  });

  if (
    document.kind === 'points' &&
    (document.minInteractions ?? 0) > 0 &&
    rules.length > 0 &&
    interactionRules === 0 &&
    problems.length === 0
  )
    problems.push({
      path: 'minInteractions',
      message: 'the profile has only state rules: no interaction ever matches one, so no contact would ever have a score',
    });

  (document.suggestions ?? []).forEach((suggestion, index) => {
    validateTopLevel(
      suggestion.conditions,
      `suggestions.${index}.conditions`,
      { facts: SUGGESTION_FACTS, named: {}, used: new Set() },
      problems,
    );
  });

  const range = document.range ?? (document.kind === 'relationship' ? { min: 0, max: 100 } : undefined);
  if (document.range && document.range.min >= document.range.max) problems.push({ path: 'range', message: 'range.min is below range.max' });
  validateBands(document.bands ?? [], range, problems);

  if (problems.length === 0) {
    // json-rules-engine, the rule format's own validator, must accept what we accept.
    const engineError =
      referenceValidationError(
        rules.map((rule) => ({ conditions: rule.conditions, priority: rule.priority })),
        named,
      ) ??
      referenceValidationError(
        (document.suggestions ?? []).map((rule) => ({ conditions: rule.conditions, priority: rule.priority })),
        {},
      );
    if (engineError)
      problems.push({
        path: engineError.index === null ? 'conditions' : `rules.${engineError.index}.conditions`,
        message: `json-rules-engine: ${engineError.message}`,
      });
  }
  return problems.length > 0 ? { ok: false, errors: problems } : { ok: true, document };
}

function validateBands(bands: Band[], range: { min: number; max: number } | undefined, problems: ConditionProblem[]) {
  if (bands.length === 0) return;
  const names = new Set<string>();
  bands.forEach((band, index) => {
    if (band.min >= band.max) problems.push({ path: `bands.${index}`, message: 'band min is below band max' });
    if (names.has(band.name)) problems.push({ path: `bands.${index}.name`, message: 'band names are unique' });
    names.add(band.name);
  });
  const order = bands.map((band, index) => ({ band, index })).sort((a, b) => a.band.min - b.band.min);
  for (let position = 1; position < order.length; position++) {
    const previous = order[position - 1];
    const current = order[position];
    if (current.band.min < previous.band.max)
      problems.push({
        path: `bands.${current.index}`,
        message: `overlaps band ${previous.band.name} (${previous.band.min}–${previous.band.max})`,
      });
    else if (current.band.min > previous.band.max)
      problems.push({
        path: `bands.${current.index}`,
        message: `leaves a gap after band ${previous.band.name} (${previous.band.max}–${current.band.min})`,
      });
  }
  if (range) {
    const lowest = order[0];
    const highest = order[order.length - 1];
    if (lowest.band.min !== range.min)
      problems.push({ path: `bands.${lowest.index}.min`, message: `the lowest band starts at the range minimum ${range.min}` });
    if (highest.band.max !== range.max)
      problems.push({ path: `bands.${highest.index}.max`, message: `the highest band ends at the range maximum ${range.max}` });
  }
}

/** The executable form of a valid document. */
export function compileProfile(document: ProfileDocument): CompiledProfile {
  const named = document.conditions ?? {};
  const cache: ConditionCache = new Map();
  const rules: CompiledRule[] = (document.rules ?? []).map((rule, index) => {
    const ctx: ValidationContext = { facts: RULE_FACTS, named, used: new Set() };
    validateTopLevel(rule.conditions, '', ctx, []);
    const params = rule.event.params as { points?: number; weight?: number; limit?: { count: number; perDays: number } };
    return {
      index,
      name: rule.name,
      type: ctx.used.has('interaction') ? 'interaction' : 'state',
      readsContact: ctx.used.has('interaction') && ctx.used.has('contact'),
      points: params.points ?? params.weight ?? 0,
      limit: params.limit ?? null,
      conditions: compileConditions(rule.conditions, named, cache),
    };
  });
  const relationship = document.kind === 'relationship';
  return {
    kind: document.kind,
    name: document.name,
    rules,
    interactionRules: rules.filter((rule) => rule.type === 'interaction'),
    stateRules: rules.filter((rule) => rule.type === 'state'),
    suggestions: (document.suggestions ?? []).map((suggestion) => ({
      name: suggestion.name,
      action: suggestion.event.params.action,
      message: suggestion.event.params.message,
      conditions: compileConditions(suggestion.conditions),
    })),
    halfLifeDays: document.decay?.halfLifeDays ?? (relationship ? DEFAULT_RELATIONSHIP_HALF_LIFE_DAYS : null),
    windowDays: document.window?.days ?? (relationship ? DEFAULT_RELATIONSHIP_WINDOW_DAYS : null),
    range: relationship ? { min: 0, max: 100 } : (document.range ?? null),
    bands: [...(document.bands ?? [])].sort((a, b) => a.min - b.min),
    saturation: document.saturation ?? DEFAULT_SATURATION,
    minInteractions: document.minInteractions ?? 0,
  };
}
