import { z } from 'zod/v4';
import { contactRelationshipsAnswer } from '../../app/relationships';
import type { AppDeps } from '../deps';
import type { RouteRegistry } from '../route';
import {
  bandSchema,
  contactIdParams,
  isoDateTime,
  memberStrengthSchema,
  relationshipProfileQuery,
  scoreEvidenceFields,
  shownScoreSchema,
  versionNumberSchema,
} from '../schemas';

/** Who knows a contact best: team members ranked by their own strength with the contact. */

export function relationshipRoutes(api: RouteRegistry, ctx: AppDeps): void {
  api.add({
    method: 'get',
    path: '/v1/contacts/:contactId/relationships',
    operationId: 'getContactRelationships',
    tag: 'Relationships',
    summary: 'Who knows this contact best: team members ranked by their own strength with the contact',
    role: 'reader',
    params: contactIdParams,
    query: relationshipProfileQuery,
    response: z.object({
      contactId: z.string(),
      profileId: z.uuid(),
      version: versionNumberSchema,
      score: shownScoreSchema,
      ...scoreEvidenceFields,
      band: bandSchema,
      computedAt: isoDateTime,
      items: z.array(memberStrengthSchema),
    }),
    errors: [404, 409],
    handler: async ({ auth, params, query }) =>
      contactRelationshipsAnswer(ctx, auth.workspaceId, params.contactId, query.profileId, query.consistency),
  });
}
