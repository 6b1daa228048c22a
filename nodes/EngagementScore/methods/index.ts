import type { ILoadOptionsFunctions, INodeListSearchResult, INodePropertyOptions } from 'n8n-workflow';
import { apiRequest, pathSegment } from '../transport/request';

type ProfileSummary = {
  id: string;
  name: string;
  kind: string;
  status: 'draft' | 'published' | 'archived';
  draft: { bands?: Array<{ name: string; min: number }> };
  published: { bands?: Array<{ name: string; min: number }> } | null;
};

/** The workspace's profiles for the Profile list, filtered by name as the user types. */
export async function searchProfiles(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
  const { items } = await apiRequest<{ items: ProfileSummary[] }>(this, { method: 'GET', path: '/v1/profiles' });
  const needle = filter?.trim().toLowerCase() ?? '';
  return {
    results: items
      .filter((profile) => !needle || profile.name.toLowerCase().includes(needle) || profile.id === needle)
      .map((profile) => ({
        // Drafts score nothing yet: say so rather than let a workflow fail later with a 409.
        name: profile.status === 'published' ? `${profile.name} (${profile.kind})` : `${profile.name} (${profile.kind}, not published yet)`,
        value: profile.id,
      })),
  };
}

/** The bands of the chosen profile's live version (or of its draft before the first publish). */
export async function getBands(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
  const id = this.getCurrentNodeParameter('profile', { extractValue: true }) as string | undefined;
  if (!id) return [];
  const profile = await apiRequest<ProfileSummary>(this, { method: 'GET', path: `/v1/profiles/${pathSegment(id)}` });
  const bands = (profile.published ?? profile.draft).bands ?? [];
  return [...bands].sort((a, b) => a.min - b.min).map((band) => ({ name: band.name, value: band.name }));
}
