/** Shapes of the /v1 answers the console reads (see service/http/routes/*.ts for the zod schemas). */

export type Role = 'reader' | 'writer' | 'admin' | 'automation';

export type Me = { workspace: { id: string; name: string }; role: Role; key: { id: string; name: string | null } };

export type Band = { name: string; color: string };
export type BandDefinition = { name: string; min: number; max: number; color: string };

export type ProfileDocument = {
  $schema?: string;
  name: string;
  description?: string;
  kind: 'points' | 'relationship' | 'manual';
  rules?: { name: string }[];
  range?: { min: number; max: number };
  bands?: BandDefinition[];
  [key: string]: unknown;
};

export type Profile = {
  id: string;
  name: string;
  kind: 'points' | 'relationship' | 'manual';
  status: 'draft' | 'published' | 'archived';
  version: number;
  revision: number;
  draft: ProfileDocument;
  published: ProfileDocument | null;
  publishing: { version: number; job: { id: string } } | null;
  live: { version: number; publishedAt: string | null; publishedBy: string | null; contactsScored: number } | null;
  createdAt: string;
  updatedAt: string;
};

export type ProfileVersion = {
  version: number;
  state: 'publishing' | 'live' | 'retired' | 'failed';
  createdAt: string;
  publishedAt: string | null;
  publishedBy: string | null;
  document: ProfileDocument;
};

export type FieldProblem = { path: string; message: string };
export type Validation = { valid: boolean; errors: FieldProblem[]; warnings: FieldProblem[] };

export type ExplanationLine = {
  rule: string;
  kind?: 'interaction' | 'state' | 'adjustment';
  count?: number;
  points: number;
  limited?: number;
  at?: string;
  by?: string | null;
  reason?: string;
  [key: string]: unknown;
};

export type PreviewItem = {
  contactId: string;
  draft: { score: number; band: Band | null; explanation: ExplanationLine[]; clamp: unknown };
  published: { version: number; score: number; band: Band | null; explanation: ExplanationLine[] } | null;
  delta: number | null;
  bandChanged: boolean | null;
};

export type Job = {
  id: string;
  kind: string;
  state: 'queued' | 'running' | 'succeeded' | 'failed';
  total: number;
  done: number;
  percent: number;
  ratePerSecond: number | null;
  secondsLeft: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error?: string;
  result?: unknown;
};

export type Mover = {
  contactId: string;
  name: string | null;
  live: number | null;
  draft: number;
  delta: number;
  liveBand: string | null;
  draftBand: string | null;
};

export type ImpactReport = {
  at: string;
  contacts: number;
  changedBand: number;
  liveVersion: number | null;
  distribution: { band: string | null; color: string | null; live: number; draft: number }[];
  moves: { from: string | null; to: string | null; count: number }[];
  averageLive: number | null;
  averageDraft: number;
  risers: Mover[];
  fallers: Mover[];
};

export type Contact = {
  id: string;
  name: string | null;
  email: string | null;
  accountId: string | null;
  ownerId: string | null;
  tags: string[];
  attributes: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  lastInteractionAt: string | null;
  lastInteractionType: string | null;
  score?: number;
  band?: Band | null;
};

export type ContactWithScores = Contact & {
  scores: { profileId: string; profileName: string; version: number; score: number; band: Band | null }[];
};

export type Score = {
  contactId: string;
  profileId: string;
  version: number;
  score: number;
  band: Band | null;
  lastInteractionAt: string | null;
  computedAt: string;
  trend: { delta7d: number; delta30d: number };
  next: { threshold: number; direction: 'down' | 'up'; at: string } | null;
  explanation: ExplanationLine[];
  clamp: { applied: 'min' | 'max'; bound: number; unclamped: number } | null;
  suggestions: { action: string; message: string }[];
};

export type HistoryPoint = { at: string; score: number; band: string | null };
export type History = { profileId: string; contactId: string; interval: 'day' | 'week'; points: HistoryPoint[] };

export type MemberStrength = {
  actorId: string;
  name: string | null;
  email: string | null;
  strength: number;
  share: number;
  interactions: number;
  lastInteractionAt: string | null;
};

export type Relationships = {
  contactId: string;
  profileId: string;
  version: number;
  score: number;
  band: Band | null;
  computedAt: string;
  items: MemberStrength[];
};

export type TimelineItem = {
  id: string;
  contactId: string;
  type: string;
  occurredAt: string;
  receivedAt: string;
  actorId: string | null;
  channel: string | null;
  direction: string | null;
  properties: Record<string, unknown> | null;
  actor: { id: string; name: string | null; email: string | null } | null;
  earned: { profileId: string; profileName: string; points: number; rules: { rule: string; points: number; counted: boolean }[] }[];
};

export type Page<T> = { items: T[]; nextCursor: string | null };

export type Account = {
  accountId: string;
  profileId: string;
  version: number;
  contacts: number;
  score: number | null;
  band: Band | null;
  trend: { delta7d: number | null; delta30d: number | null };
  computedAt: string;
};

export type AccountRelationships = Account & {
  items: { contactId: string; name: string | null; email: string | null; score: number; band: Band | null; members: MemberStrength[] }[];
  members: MemberStrength[];
};

export type ContactMovement = {
  contactId: string;
  name: string | null;
  tags: string[];
  score: number;
  previousScore: number;
  delta: number;
  band: string | null;
};

export type Insights = {
  profileId: string;
  version: number;
  days: number;
  from: string;
  to: string;
  contacts: number;
  distribution: { band: string | null; color: string | null; count: number; previousCount: number }[];
  averageScore: number | null;
  previousAverageScore: number | null;
  averageDelta: number | null;
  histogram: { from: number; to: number; count: number }[];
  risers: ContactMovement[];
  fallers: ContactMovement[];
  needsAttention: (ContactMovement & { reasons: string[] })[];
};

export type SubscriptionEvent =
  'score.dropped_below' | 'score.rose_above' | 'score.crossed' | 'band.changed' | 'segment.entered' | 'segment.left';

export type Subscription = {
  id: string;
  /** The profile whose crossings it hears (null for a segment's entries and exits). */
  profileId: string | null;
  /** The segment whose entries and exits it hears (null for a profile's crossings). */
  segmentId: string | null;
  event: SubscriptionEvent;
  threshold: number | null;
  tags: string[] | null;
  url: string;
  description: string | null;
  status: 'active' | 'disabled';
  statusReason: string | null;
  createdAt: string;
  updatedAt: string;
  secret?: string;
};

export type Delivery = {
  id: string;
  type: string;
  occurredAt: string;
  contactId: string;
  state: 'pending' | 'delivered' | 'failed' | 'cancelled';
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  attemptLog: { at: string; status: number | null; error: string | null; ms: number }[];
  createdAt: string;
  deliveredAt: string | null;
  subscriptionId: string;
  payload: Record<string, unknown>;
};

export type TestEventResult = { delivered: boolean; status: number | null; error: string | null; ms: number; delivery: Delivery };

/** What a saved segment selects (GET /v1/contacts's filters, plus allTags and last-interaction windows such as "30d"). */
export type SegmentFilter = {
  profileId?: string;
  minScore?: number;
  maxScore?: number;
  band?: string;
  tags?: string[];
  allTags?: string[];
  accountId?: string;
  ownerId?: string;
  lastInteractionBefore?: string;
  lastInteractionAfter?: string;
};

export type Segment = {
  id: string;
  name: string;
  description: string | null;
  filter: SegmentFilter;
  /** A subscription hears its entries and exits. */
  watched: boolean;
  size: number;
  createdAt: string;
  updatedAt: string;
};
