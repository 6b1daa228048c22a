import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AuthedAgent, TestService } from './service';

export function exampleProfile(name: 'engagement-highlevel' | 'relationship-strength' | 'likelihood-to-renew'): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(__dirname, '../../examples/profiles', `${name}.json`), 'utf8')) as Record<string, unknown>;
}

export const typeIs = (type: string) => ({ all: [{ fact: 'interaction', path: '$.type', operator: 'equal', value: type }] });

export function pointsRule(name: string, type: string, points: number, limit?: { count: number; perDays: number }) {
  return { name, conditions: typeIs(type), event: { type: 'points', params: { points, ...(limit ? { limit } : {}) } } };
}

/** Creates a profile and publishes it, running the publish job to completion. */
export async function publishProfile(
  service: TestService,
  document: Record<string, unknown>,
  agent: AuthedAgent = service.admin,
): Promise<string> {
  const created = await agent.post('/v1/profiles', document);
  if (created.status !== 201) throw new Error(`profile not created: ${JSON.stringify(created.body)}`);
  await republish(service, created.body.id, agent);
  return created.body.id as string;
}

export async function republish(service: TestService, profileId: string, agent: AuthedAgent = service.admin): Promise<void> {
  const published = await agent.post(`/v1/profiles/${profileId}/publish`, {});
  if (published.status !== 202) throw new Error(`not published: ${JSON.stringify(published.body)}`);
  await service.runJobs();
}

export const DAY = 86_400_000;
