import engagement from '../../examples/profiles/engagement-highlevel.json';
import relationship from '../../examples/profiles/relationship-strength.json';
import type { ProfileDocument } from './types';

/**
 * Starting points for a new profile: the repository's example profiles (examples/profiles), so the
 * console and the README's examples never drift apart. A manual profile has no rules.
 */
export type Template = { id: string; label: string; document: ProfileDocument };

const schemaUrl = () => `${location.origin}/v1/schemas/profile.json`;

export function templates(): Template[] {
  return [
    {
      id: 'points',
      label: 'Points: interactions add or subtract points (example: Engagement)',
      document: { $schema: schemaUrl(), ...(engagement as ProfileDocument), name: 'New engagement profile' },
    },
    {
      id: 'relationship',
      label: 'Relationship: strength from weighted interactions, 0–100 (example: Relationship strength)',
      document: { $schema: schemaUrl(), ...(relationship as ProfileDocument), name: 'New relationship profile' },
    },
    {
      id: 'manual',
      label: 'Manual: no rules, scores change only through adjustments',
      document: {
        $schema: schemaUrl(),
        name: 'New manual profile',
        kind: 'manual',
        range: { min: 0, max: 100 },
        bands: [
          { name: 'Low', min: 0, max: 50, color: '#d64545' },
          { name: 'High', min: 50, max: 100, color: '#2e9d5b' },
        ],
      },
    },
  ];
}
