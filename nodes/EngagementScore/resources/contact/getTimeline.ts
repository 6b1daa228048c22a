import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { contactId, contactLocator, returnAllAndLimit, simplify, simplifyField } from '../../shared/fields';
import { listAll, pathSegment } from '../../transport/request';
import type { ItemOperation } from '../types';

type Earned = { profileId: string; profileName: string; points: number; rules: Array<{ rule: string; points: number; counted: boolean }> };

type TimelineEntry = {
  id: string;
  contactId: string;
  type: string;
  occurredAt: string;
  actorId: string | null;
  actor: { id: string; name: string | null; email: string | null } | null;
  channel: string | null;
  direction: string | null;
  earned: Earned[];
};

const properties: INodeProperties[] = [contactLocator('The contact whose interactions to get'), ...returnAllAndLimit, simplifyField(false)];

const signed = (points: number) => (points < 0 ? String(points) : `+${points}`);

/** "Engagement +40 (Meeting +40); Relationship +1 (Meeting +1, not counted: limit)" */
function describeEarned(earned: Earned[]): string {
  return earned
    .map((profile) => {
      const rules = profile.rules.map((rule) => `${rule.rule} ${signed(rule.points)}${rule.counted ? '' : ', over its limit'}`);
      return `${profile.profileName} ${signed(profile.points)}${rules.length > 0 ? ` (${rules.join('; ')})` : ''}`;
    })
    .join(' | ');
}

/** One flat item per interaction: what happened, with whom, and what it earned in words. */
function simplified(entry: TimelineEntry): IDataObject {
  return {
    id: entry.id,
    contactId: entry.contactId,
    type: entry.type,
    occurredAt: entry.occurredAt,
    actorId: entry.actorId,
    actorName: entry.actor?.name ?? null,
    channel: entry.channel,
    direction: entry.direction,
    earned: describeEarned(entry.earned),
  };
}

/** One output item per interaction, newest first, following the service's pages as far as needed. */
async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
  const returnAll = this.getNodeParameter('returnAll', itemIndex) === true;
  const limit = returnAll ? undefined : Number(this.getNodeParameter('limit', itemIndex));
  const entries = await listAll<TimelineEntry>(
    this,
    { method: 'GET', path: `/v1/contacts/${pathSegment(contactId(this, itemIndex))}/interactions`, itemIndex },
    limit,
  );
  return simplify(this, itemIndex) ? entries.map(simplified) : entries;
}

export const getContactTimeline: ItemOperation = { mode: 'perItem', properties, execute };
