/** An interaction as rules read it (the `interaction` fact), with its sequence number; time in milliseconds. */
export type InteractionRecord = {
  seq: number;
  id: string;
  contactId: string;
  type: string;
  occurredAt: number;
  actorId: string | null;
  channel: string | null;
  direction: string | null;
  properties: Record<string, unknown> | null;
};
