import { z } from 'zod/v4';
import { badRequest } from './problem';

/** Shared request and answer shapes. Each one also documents itself in /openapi.json. */

export const contactIdSchema = z.string().min(1).max(200).describe("The CRM's own id of the contact (1–200 characters)");

export const contactIdParams = z.strictObject({ contactId: contactIdSchema });
export const uuidParams = z.strictObject({ id: z.uuid().describe('The id (a UUID)') });
/** `{id}` of one kind of resource, described as such in /openapi.json. */
export const idParams = (what: string) => z.strictObject({ id: z.uuid().describe(`The ${what}’s id (a UUID)`) });

/** Counts of rows in one workspace (contacts, interactions, attempts): never negative, far below PostgreSQL's integer limit. */
export const MAX_COUNT = 2_147_483_647;
export const countSchema = z.number().int().min(0).max(MAX_COUNT);
/** Published versions of a profile are numbered 1, 2, 3… (the bound the `{version}` path parameter has). */
export const MAX_VERSION = 1_000_000;
export const versionNumberSchema = z.number().int().min(1).max(MAX_VERSION);
/** An HTTP status code. */
export const httpStatusSchema = z.number().int().min(100).max(599);

export const isoDateTime = z.iso.datetime({ offset: true }).describe('ISO 8601 date-time with a time zone, e.g. 2026-11-23T09:30:00Z');

// A loose object rather than z.record: zod's record refuses objects with a `constructor` key (it
// takes them for class instances), and bodies are parsed JSON, so every value is JSON already.
export const jsonObject = z.looseObject({}).describe('Any JSON object');

/** A JSON object of at most `maxBytes` once serialised (what a request may add to one stored row). */
export const boundedJsonObject = (maxBytes: number) =>
  jsonObject
    .refine((value) => Buffer.byteLength(JSON.stringify(value), 'utf8') <= maxBytes, {
      message: `larger than ${maxBytes / 1024} KB once serialised as JSON`,
    })
    .describe(`Any JSON object of at most ${maxBytes / 1024} KB`);

/** Properties of one interaction, attributes given in one contact upsert. */
export const MAX_OBJECT_BYTES = 32 * 1024;

export const limitQuery = (max: number, fallback: number) =>
  z.coerce.number().int().min(1).max(max).default(fallback).describe(`Page size (1–${max}, default ${fallback})`);

export const cursorQuery = z.string().min(1).max(2000).optional().describe('The `nextCursor` of the previous page');

/** A query parameter that may be repeated (`tag=a&tag=b`) or given once. */
export const repeatable = (item: z.ZodType<string>) =>
  z.union([item, z.array(item)]).transform((value) => (Array.isArray(value) ? value : [value]));

export const optionalText = (max: number) => z.string().min(1).max(max).nullable().optional();

/** One interaction as clients send it (recorded, or tried in a preview). */
export const interactionInputSchema = z.strictObject({
  id: z.string().min(1).max(200).optional().describe('Your idempotency key: a repeated id is a duplicate and changes nothing'),
  contactId: contactIdSchema,
  type: z.string().min(1).max(100).describe('e.g. email_open, meeting, call, form_submission, payment, dnd_on'),
  occurredAt: isoDateTime.optional().describe('When it happened (default: now); at most 5 minutes in the future'),
  actorId: optionalText(200).describe('The team member involved'),
  channel: optionalText(100),
  direction: optionalText(50).describe('e.g. inbound or outbound'),
  properties: boundedJsonObject(MAX_OBJECT_BYTES).nullable().optional(),
});

/** A band as answers show it. */
export const bandSchema = z
  .object({ name: z.string(), color: z.string() })
  .nullable()
  .describe('The band the score is in (null outside every band)');

/** A score as answers show it: null while the contact has fewer matching interactions than the profile's minInteractions. */
export const shownScoreSchema = z
  .number()
  .nullable()
  .describe('Rounded to 2 decimals; null while the contact has fewer matching interactions than the profile’s minInteractions');

/** Why a score is null, and how far the contact is from one (profiles with minInteractions only). */
export const scoreEvidenceFields = {
  reason: z.string().optional().describe('Why there is no score, e.g. "fewer than 2 interactions"'),
  evidence: z
    .object({
      interactions: countSchema.describe('Matching interactions in the window'),
      required: countSchema.describe('The profile’s minInteractions'),
    })
    .optional()
    .describe('Under a profile with minInteractions: how many matching interactions the contact has, of how many'),
};

/** How the profile's range clamped a score. */
export const clampSchema = z
  .object({ applied: z.enum(['min', 'max']), bound: z.number(), unclamped: z.number() })
  .nullable()
  .describe('Set when the range clamped the score');

/** A team member's strength with a contact (or an account). */
export const memberStrengthSchema = z
  .object({
    actorId: z.string(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    strength: z.number().describe('0–100: the profile’s formula applied to this member’s interactions alone'),
    share: z.number().describe('Percent of the contact’s total interaction strength'),
    interactions: countSchema.describe('Interactions within the profile’s window (all time without one)'),
    lastInteractionAt: isoDateTime.nullable(),
  })
  .meta({ id: 'MemberStrength' });

/** `consistency=<token>`: read one's own writes (docs/scoring-pipeline.md). */
export const consistencyQuery = z
  .string()
  .min(1)
  .max(40)
  .optional()
  .describe(
    'A token a write answered (POST /v1/interactions, contact upserts): the answer waits until everything it covers is scored (503 with Retry-After past CONSISTENCY_TIMEOUT_MS)',
  );

/** A write's position in the scoring log, for `consistency=` on later reads. */
export const tokenSchema = z
  .string()
  .describe('Where this write stands in the scoring log: pass it as `consistency=` to a read to see it scored');

/** Writes answer their token in this header too (and in the body where it is an object of its own). */
export const TOKEN_HEADER = 'Consistency-Token';

/** `wait=true`: answer a write only once it is scored. */
export const waitQuery = z
  .enum(['true', 'false'])
  .default('false')
  .transform((value) => value === 'true')
  .describe(
    'true: answer only once the write is scored, so reads right after see it (503 with Retry-After past CONSISTENCY_TIMEOUT_MS; the write is kept)',
  );

export const relationshipProfileQuery = z.strictObject({
  profileId: z.uuid().optional().describe('Default: the oldest published relationship profile'),
  consistency: consistencyQuery,
});

export const problemSchema = z
  .object({
    type: z.string().describe('A URI naming the kind of problem (https://engagement-score.dev/problems/<status>)'),
    title: z.string().describe('The status’s reason phrase'),
    status: httpStatusSchema,
    detail: z.string().describe('What went wrong, and what to do about it'),
    errors: z
      .array(z.object({ path: z.string().describe('The field, e.g. interactions.3.occurredAt'), message: z.string() }))
      .optional()
      .describe('One entry per invalid field'),
  })
  .describe('An RFC 9457 problem document')
  .meta({ id: 'Problem' });

/** Rows fetched with one extra: the page, and — when there is more — the cursor after its last row. */
export function keysetPage<T>(rows: T[], limit: number, position: (last: T) => unknown): { page: T[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { page, nextCursor: more ? encodeCursor(position(page[page.length - 1])) : null };
}

/** Cursors are opaque to clients: base64url JSON that the server validates when it comes back. */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

export function decodeCursor<T>(cursor: string | undefined, shape: z.ZodType<T>): T | undefined {
  if (cursor === undefined) return undefined;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const parsed = shape.safeParse(decoded);
  if (!parsed.success) throw badRequest('The cursor is not one this endpoint gave out.', [{ path: 'cursor', message: 'invalid cursor' }]);
  return parsed.data;
}
