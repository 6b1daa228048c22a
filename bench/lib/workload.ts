import { seededRandom, weighted } from './random';

/**
 * The benchmark's data, generated deterministically from a seed: contacts with tags and accounts,
 * and a year of interactions of realistic types with team members. Interaction n is always the same
 * for a given seed, so batches can be generated on the fly in any process.
 */

export const DAY = 86_400_000;

export type WorkloadShape = { contacts: number; interactions: number; seed: number; end: number };

const types = [
  ['email_open', 32],
  ['email_click', 9],
  ['email', 8],
  ['email_reply', 6],
  ['call', 10],
  ['meeting', 7],
  ['appointment', 3],
  ['form_submission', 7],
  ['sms_reply', 4],
  ['payment', 5],
  ['unsubscribe', 1],
  ['note', 8],
] as const;

const channels: Record<string, string> = {
  email_open: 'email',
  email_click: 'email',
  email: 'email',
  email_reply: 'email',
  sms_reply: 'sms',
  call: 'phone',
  meeting: 'in_person',
  appointment: 'calendar',
  form_submission: 'web',
  payment: 'billing',
  unsubscribe: 'email',
  note: 'crm',
};

export function contactId(index: number): string {
  return `c${String(index).padStart(7, '0')}`;
}

export function contactAt(shape: WorkloadShape, index: number) {
  const random = seededRandom(shape.seed * 7919 + index);
  const tags = [];
  if (random() < 0.05) tags.push('vip');
  if (random() < 0.3) tags.push('customer');
  else tags.push('lead');
  if (random() < 0.1) tags.push('partner');
  return {
    id: contactId(index),
    name: `Contact ${index}`,
    email: `contact${index}@example.com`,
    accountId: `acct-${Math.floor(index / 8)}`,
    ownerId: `rep-${index % 50}`,
    tags,
    attributes: { dndAll: random() < 0.02, plan: random() < 0.5 ? 'pro' : 'basic' },
  };
}

export function interactionAt(shape: WorkloadShape, index: number) {
  const random = seededRandom(shape.seed * 104729 + index);
  // Activity is skewed: a few contacts have many interactions, most have a few.
  const contact = Math.floor(shape.contacts * random() ** 1.6);
  const type = weighted(random, types);
  // In time order, as an import of history or a live feed sends them (with a little jitter within the hour).
  const age = Math.max(0, Math.floor((1 - index / shape.interactions) * 365 * DAY + (random() - 0.5) * 3_600_000));
  return {
    id: `i${shape.seed}-${index}`,
    contactId: contactId(contact),
    type,
    occurredAt: new Date(shape.end - age).toISOString(),
    actorId: `rep-${Math.floor(random() * 50)}`,
    channel: channels[type],
    direction: random() < 0.5 ? 'inbound' : 'outbound',
    properties:
      type === 'payment' ? { amount: Math.round(random() * 3000) } : type === 'meeting' ? { minutes: 15 + Math.floor(random() * 60) } : {},
  };
}

export function interactionBatch(shape: WorkloadShape, from: number, count: number) {
  return Array.from({ length: Math.max(0, Math.min(count, shape.interactions - from)) }, (_, offset) =>
    interactionAt(shape, from + offset),
  );
}
