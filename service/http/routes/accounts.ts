import { z } from 'zod/v4';
import { accountAnswer, accountRelationshipsAnswer } from '../../app/relationships';
import type { AppDeps } from '../deps';
import type { RouteRegistry } from '../route';
import { bandSchema, countSchema, isoDateTime, memberStrengthSchema, relationshipProfileQuery, versionNumberSchema } from '../schemas';

/** Accounts: a score rolled up from the account's contacts, and who knows the account best. */

const accountParams = z.strictObject({
  accountId: z.string().min(1).max(200).describe('The account (company) id contacts carry in accountId'),
});

const accountSchema = z
  .object({
    accountId: z.string(),
    profileId: z.uuid(),
    version: versionNumberSchema,
    contacts: countSchema.describe('Contacts of the account'),
    score: z.number().nullable().describe('Weighted mean of the five best contacts (weights 5, 4, 3, 2, 1)'),
    band: bandSchema,
    trend: z.object({ delta7d: z.number().nullable(), delta30d: z.number().nullable() }),
    computedAt: isoDateTime,
  })
  .meta({ id: 'Account' });

export function accountRoutes(api: RouteRegistry, ctx: AppDeps): void {
  api.add({
    method: 'get',
    path: '/v1/accounts/:accountId',
    operationId: 'getAccount',
    tag: 'Relationships',
    summary: "An account's score rolled up from its contacts, with its trend",
    role: 'reader',
    params: accountParams,
    query: relationshipProfileQuery,
    response: accountSchema,
    errors: [404, 409],
    handler: async ({ auth, params, query }) => accountAnswer(ctx, auth.workspaceId, params.accountId, query.profileId, query.consistency),
  });

  api.add({
    method: 'get',
    path: '/v1/accounts/:accountId/relationships',
    operationId: 'getAccountRelationships',
    tag: 'Relationships',
    summary: "An account's contacts with their scores and strongest team members, and the account's roll-up",
    role: 'reader',
    params: accountParams,
    query: relationshipProfileQuery,
    response: accountSchema.extend({
      contacts: countSchema.describe('Contacts of the account'),
      items: z.array(
        z.object({
          contactId: z.string(),
          name: z.string().nullable(),
          email: z.string().nullable(),
          score: z.number(),
          band: bandSchema,
          members: z.array(memberStrengthSchema).describe('The three strongest'),
        }),
      ),
      members: z.array(memberStrengthSchema).describe('The account’s strongest team members, over all its contacts'),
    }),
    errors: [404, 409],
    handler: async ({ auth, params, query }) =>
      accountRelationshipsAnswer(ctx, auth.workspaceId, params.accountId, query.profileId, query.consistency),
  });
}
