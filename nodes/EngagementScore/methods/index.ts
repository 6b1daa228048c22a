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

type ContactPage = { items: Array<{ id: string; name: string | null; email: string | null }>; nextCursor: string | null };

/**
 * Contacts for the Contact list: those whose ID or name starts with what the user typed (the
 * service's `q`), a page at a time as the user scrolls.
 */
export async function searchContacts(
  this: ILoadOptionsFunctions,
  filter?: string,
  paginationToken?: string,
): Promise<INodeListSearchResult> {
  const q = filter?.trim();
  const page = await apiRequest<ContactPage>(this, {
    method: 'GET',
    path: '/v1/contacts',
    qs: { limit: 100, ...(q ? { q } : {}), ...(paginationToken ? { cursor: paginationToken } : {}) },
  });
  return {
    results: page.items.map((contact) => ({
      name: contact.name ? `${contact.name} (${contact.id})` : contact.email ? `${contact.email} (${contact.id})` : contact.id,
      value: contact.id,
    })),
    paginationToken: page.nextCursor ?? undefined,
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

type SegmentSummary = { id: string; name: string; size: number; watched: boolean };

/** The workspace's saved segments for the Segment list, each with its size now, filtered by name as the user types. */
export async function searchSegments(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
  const { items } = await apiRequest<{ items: SegmentSummary[] }>(this, { method: 'GET', path: '/v1/segments' });
  const needle = filter?.trim().toLowerCase() ?? '';
  return {
    results: items
      .filter((segment) => !needle || segment.name.toLowerCase().includes(needle) || segment.id === needle)
      .map((segment) => ({
        name: `${segment.name} (${segment.size.toLocaleString('en')} contact${segment.size === 1 ? '' : 's'})`,
        value: segment.id,
      })),
  };
}
