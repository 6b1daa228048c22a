import type { Queryable } from './db';
import { invalidateCaches } from './notifications';

export type ProfileRow = {
  id: string;
  name: string;
  draft: unknown;
  /** Bumped by every change to the draft (the ETag of optimistic concurrency). */
  revision: number;
  liveVersionId: number | null;
  archivedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

export type VersionState = 'publishing' | 'live' | 'retired' | 'failed';

export type VersionRow = {
  id: number;
  profileId: string;
  version: number;
  document: unknown;
  state: VersionState;
  createdAt: Date;
  publishedAt: Date | null;
  publishedBy: string | null;
};

const profileColumns = `p.id, p.name, p.draft, p.revision, p.live_version_id AS "liveVersionId", p.archived_at AS "archivedAt",
  p.created_at AS "createdAt", p.updated_at AS "updatedAt"`;
const versionColumns = `v.id, v.profile_id AS "profileId", v.version, v.document, v.state, v.created_at AS "createdAt", v.published_at AS "publishedAt",
  v.published_by AS "publishedBy"`;

export async function insertProfile(db: Queryable, workspaceId: string, name: string, draft: unknown, now: Date): Promise<ProfileRow> {
  const { rows } = await db.query<ProfileRow>(
    `INSERT INTO profiles AS p (workspace_id, name, draft, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING ${profileColumns}`,
    [workspaceId, name, JSON.stringify(draft), now],
  );
  return rows[0];
}

export async function getProfile(db: Queryable, workspaceId: string, id: string, lock = false): Promise<ProfileRow | undefined> {
  const { rows } = await db.query<ProfileRow>(
    `SELECT ${profileColumns} FROM profiles p WHERE p.workspace_id = $1 AND p.id = $2 ${lock ? 'FOR UPDATE' : ''}`,
    [workspaceId, id],
  );
  return rows[0];
}

export async function listProfiles(db: Queryable, workspaceId: string, includeArchived: boolean): Promise<ProfileRow[]> {
  const { rows } = await db.query<ProfileRow>(
    `SELECT ${profileColumns} FROM profiles p WHERE p.workspace_id = $1 ${includeArchived ? '' : 'AND p.archived_at IS NULL'} ORDER BY p.created_at, p.id`,
    [workspaceId],
  );
  return rows;
}

export async function updateDraft(
  db: Queryable,
  workspaceId: string,
  id: string,
  name: string,
  draft: unknown,
  now: Date,
): Promise<ProfileRow | undefined> {
  const { rows } = await db.query<ProfileRow>(
    `UPDATE profiles p SET draft = $3, name = $4, updated_at = $5, revision = p.revision + 1 WHERE p.workspace_id = $1 AND p.id = $2 RETURNING ${profileColumns}`,
    [workspaceId, id, JSON.stringify(draft), name, now],
  );
  await invalidateCaches(db, `profiles:${workspaceId}`);
  return rows[0];
}

export async function archiveProfile(db: Queryable, workspaceId: string, id: string, now: Date): Promise<void> {
  await db.query('UPDATE profiles SET archived_at = $3, updated_at = $3 WHERE workspace_id = $1 AND id = $2 AND archived_at IS NULL', [
    workspaceId,
    id,
    now,
  ]);
  await invalidateCaches(db, `profiles:${workspaceId}`);
  // An archived profile stops scoring: its versions leave the active set and the crossing scheduler.
  const { rows } = await db.query<{ id: number }>(
    `UPDATE profile_versions SET state = 'retired' WHERE workspace_id = $1 AND profile_id = $2 AND state IN ('publishing', 'live') RETURNING id`,
    [workspaceId, id],
  );
  await db.query('UPDATE scores SET due_at = NULL WHERE workspace_id = $1 AND version_id = ANY($2::bigint[]) AND due_at IS NOT NULL', [
    workspaceId,
    rows.map((row) => row.id),
  ]);
}

export async function insertVersion(
  db: Queryable,
  workspaceId: string,
  profileId: string,
  document: unknown,
  now: Date,
  publishedBy: string | null,
): Promise<VersionRow> {
  const { rows } = await db.query<VersionRow>(
    `INSERT INTO profile_versions AS v (workspace_id, profile_id, version, document, state, created_at, published_by)
     SELECT $1, $2, coalesce(max(version), 0) + 1, $3, 'publishing', $4, $5 FROM profile_versions WHERE workspace_id = $1 AND profile_id = $2
     RETURNING ${versionColumns}`,
    [workspaceId, profileId, JSON.stringify(document), now, publishedBy],
  );
  return rows[0];
}

export async function getVersion(db: Queryable, workspaceId: string, id: number): Promise<VersionRow | undefined> {
  const { rows } = await db.query<VersionRow>(`SELECT ${versionColumns} FROM profile_versions v WHERE v.workspace_id = $1 AND v.id = $2`, [
    workspaceId,
    id,
  ]);
  return rows[0];
}

export async function getVersionByNumber(
  db: Queryable,
  workspaceId: string,
  profileId: string,
  version: number,
): Promise<VersionRow | undefined> {
  const { rows } = await db.query<VersionRow>(
    `SELECT ${versionColumns} FROM profile_versions v WHERE v.workspace_id = $1 AND v.profile_id = $2 AND v.version = $3`,
    [workspaceId, profileId, version],
  );
  return rows[0];
}

/** What the profile list and page show besides the profile itself: its live and publishing versions, and how many contacts the live one scores. */
export type ProfileStatus = {
  id: string;
  live: {
    id: number;
    version: number;
    document: unknown;
    publishedAt: Date | null;
    publishedBy: string | null;
    contactsScored: number;
  } | null;
  publishing: { version: number; jobId: string | null } | null;
};

export async function profileStatuses(
  db: Queryable,
  workspaceId: string,
  profileIds: readonly string[],
): Promise<Map<string, ProfileStatus>> {
  const { rows } = await db.query<{
    id: string;
    live: ProfileStatus['live'] & { publishedAt: string | null };
    publishing: ProfileStatus['publishing'];
  }>(
    `SELECT p.id,
            (SELECT json_build_object('id', v.id, 'version', v.version, 'document', v.document, 'publishedAt', v.published_at, 'publishedBy', v.published_by,
                                      'contactsScored', (SELECT count(*) FROM scores s WHERE s.workspace_id = v.workspace_id AND s.version_id = v.id))
               FROM profile_versions v WHERE v.workspace_id = p.workspace_id AND v.id = p.live_version_id) AS live,
            (SELECT json_build_object('version', v.version,
                                      'jobId', (SELECT j.id FROM jobs j WHERE j.workspace_id = v.workspace_id AND j.kind = 'publish' AND j.payload ->> 'versionId' = v.id::text
                                                 ORDER BY j.created_at DESC LIMIT 1))
               FROM profile_versions v WHERE v.workspace_id = p.workspace_id AND v.profile_id = p.id AND v.state = 'publishing') AS publishing
       FROM profiles p WHERE p.workspace_id = $1 AND p.id = ANY($2::uuid[])`,
    [workspaceId, profileIds],
  );
  return new Map(
    rows.map((row) => [
      row.id,
      {
        id: row.id,
        live: row.live ? { ...row.live, publishedAt: row.live.publishedAt ? new Date(row.live.publishedAt) : null } : null,
        publishing: row.publishing,
      },
    ]),
  );
}

export async function listVersions(db: Queryable, workspaceId: string, profileId: string): Promise<VersionRow[]> {
  const { rows } = await db.query<VersionRow>(
    `SELECT ${versionColumns} FROM profile_versions v WHERE v.workspace_id = $1 AND v.profile_id = $2 ORDER BY v.version DESC`,
    [workspaceId, profileId],
  );
  return rows;
}

/**
 * Levels whose crossings someone watches: the thresholds of the profile's active subscriptions, and
 * the score bounds of the watched segments on the profile (minScore, and just above the inclusive
 * maxScore), so that decay across them wakes the scheduler (segment-watcher.ts decides the exact moments).
 */
const watchedThresholds = `ARRAY(SELECT DISTINCT level FROM (
     SELECT s.threshold AS level FROM subscriptions s
      WHERE s.workspace_id = v.workspace_id AND s.profile_id = v.profile_id AND s.status = 'active' AND s.threshold IS NOT NULL
     UNION ALL
     SELECT (g.filter->>'minScore')::float8 FROM segments g
      WHERE g.workspace_id = v.workspace_id AND g.members_since IS NOT NULL AND g.filter->>'profileId' = v.profile_id::text AND g.filter ? 'minScore'
     UNION ALL
     SELECT round(((g.filter->>'maxScore')::float8 + 0.01)::numeric, 2)::float8 FROM segments g
      WHERE g.workspace_id = v.workspace_id AND g.members_since IS NOT NULL AND g.filter->>'profileId' = v.profile_id::text AND g.filter ? 'maxScore'
   ) watched) AS thresholds`;

export type WatchedVersionRow = VersionRow & { profileName: string; thresholds: number[]; segmentsWatch: boolean };

/** Whether a watched segment filters by the profile's score. */
const segmentsWatch = `EXISTS (SELECT 1 FROM segments g WHERE g.workspace_id = v.workspace_id AND g.members_since IS NOT NULL
   AND g.filter->>'profileId' = v.profile_id::text) AS "segmentsWatch"`;

/** The versions that score what happens now: live ones and those being published. */
export async function activeVersions(db: Queryable, workspaceId: string): Promise<WatchedVersionRow[]> {
  const { rows } = await db.query<WatchedVersionRow>(
    `SELECT ${versionColumns}, p.name AS "profileName", ${watchedThresholds}, ${segmentsWatch}
       FROM profile_versions v JOIN profiles p ON p.workspace_id = v.workspace_id AND p.id = v.profile_id
      WHERE v.workspace_id = $1 AND v.state IN ('publishing', 'live') AND p.archived_at IS NULL
      ORDER BY v.id`,
    [workspaceId],
  );
  return rows;
}

/** One version with what its profile watches. */
export async function watchedVersion(db: Queryable, workspaceId: string, versionId: number): Promise<WatchedVersionRow | undefined> {
  const { rows } = await db.query<WatchedVersionRow>(
    `SELECT ${versionColumns}, p.name AS "profileName", ${watchedThresholds}, ${segmentsWatch}
       FROM profile_versions v JOIN profiles p ON p.workspace_id = v.workspace_id AND p.id = v.profile_id
      WHERE v.workspace_id = $1 AND v.id = $2`,
    [workspaceId, versionId],
  );
  return rows[0];
}

/** The published versions reads are served from, one per profile. */
export async function liveVersions(db: Queryable, workspaceId: string): Promise<(VersionRow & { profileName: string })[]> {
  const { rows } = await db.query<VersionRow & { profileName: string }>(
    `SELECT ${versionColumns}, p.name AS "profileName"
       FROM profiles p JOIN profile_versions v ON v.workspace_id = p.workspace_id AND v.id = p.live_version_id
      WHERE p.workspace_id = $1 AND p.archived_at IS NULL
      ORDER BY p.created_at, p.id`,
    [workspaceId],
  );
  return rows;
}

/** Makes `versionId` the one reads use; the previous live version is retired. Atomic with the caller's transaction. */
export async function switchLiveVersion(
  db: Queryable,
  workspaceId: string,
  profileId: string,
  versionId: number,
  now: Date,
): Promise<number | null> {
  const { rows } = await db.query<{ previous: number | null }>(
    `UPDATE profiles p SET live_version_id = $3, updated_at = $4
       FROM (SELECT live_version_id AS previous FROM profiles WHERE workspace_id = $1 AND id = $2 FOR UPDATE) old
      WHERE p.workspace_id = $1 AND p.id = $2
      RETURNING old.previous`,
    [workspaceId, profileId, versionId, now],
  );
  const previous = rows[0]?.previous ?? null;
  await db.query(`UPDATE profile_versions SET state = 'live', published_at = $3 WHERE workspace_id = $1 AND id = $2`, [
    workspaceId,
    versionId,
    now,
  ]);
  if (previous !== null)
    await db.query(`UPDATE profile_versions SET state = 'retired' WHERE workspace_id = $1 AND id = $2`, [workspaceId, previous]);
  await invalidateCaches(db, `profiles:${workspaceId}`);
  return previous;
}

export async function markVersionFailed(db: Queryable, workspaceId: string, versionId: number): Promise<void> {
  await db.query(`UPDATE profile_versions SET state = 'failed' WHERE workspace_id = $1 AND id = $2 AND state = 'publishing'`, [
    workspaceId,
    versionId,
  ]);
}

export async function publishingVersion(db: Queryable, workspaceId: string, profileId: string): Promise<VersionRow | undefined> {
  const { rows } = await db.query<VersionRow>(
    `SELECT ${versionColumns} FROM profile_versions v WHERE v.workspace_id = $1 AND v.profile_id = $2 AND v.state = 'publishing'`,
    [workspaceId, profileId],
  );
  return rows[0];
}

/** A profile with the version its reads are served from (and what that version watches), in one round trip. */
export async function profileWithLiveVersion(
  db: Queryable,
  workspaceId: string,
  profileId: string,
): Promise<{ profile: ProfileRow; live: WatchedVersionRow | undefined } | undefined> {
  const { rows } = await db.query<
    ProfileRow & { live: (Omit<WatchedVersionRow, 'createdAt' | 'publishedAt'> & { createdAt: string; publishedAt: string | null }) | null }
  >({
    name: 'profile-with-live-version',
    text: `SELECT ${profileColumns},
            (SELECT json_build_object('id', v.id, 'profileId', v.profile_id, 'version', v.version, 'document', v.document, 'state', v.state,
                                      'createdAt', v.created_at, 'publishedAt', v.published_at, 'publishedBy', v.published_by, 'profileName', p.name, 'thresholds', ${watchedThresholds.replace(' AS thresholds', '')},
                                      'segmentsWatch', ${segmentsWatch.replace(' AS "segmentsWatch"', '')})
               FROM profile_versions v WHERE v.workspace_id = p.workspace_id AND v.id = p.live_version_id) AS live
       FROM profiles p WHERE p.workspace_id = $1 AND p.id = $2`,
    values: [workspaceId, profileId],
  });
  const row = rows[0];
  if (!row) return undefined;
  const { live, ...profile } = row;
  return {
    profile,
    live: live
      ? { ...live, createdAt: new Date(live.createdAt), publishedAt: live.publishedAt ? new Date(live.publishedAt) : null }
      : undefined,
  };
}
