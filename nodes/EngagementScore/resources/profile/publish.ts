import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';
import { profileId, profileLocator } from '../../shared/fields';
import { apiRequest, pathSegment } from '../../transport/request';
import type { ItemOperation } from '../types';

type Job = { id: string; state: 'queued' | 'running' | 'succeeded' | 'failed'; done: number; total: number; error?: string } & IDataObject;

const properties: INodeProperties[] = [
  profileLocator('The profile whose saved draft becomes its new live version'),
  {
    displayName: 'Options',
    name: 'options',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    options: [
      {
        displayName: 'Notify',
        name: 'notify',
        type: 'boolean',
        default: false,
        description: 'Whether to deliver the threshold crossings the new version causes to the subscribed triggers',
      },
      {
        displayName: 'Timeout (Seconds)',
        name: 'timeout',
        type: 'number',
        default: 300,
        typeOptions: { minValue: 1 },
        description: 'With Wait Until Live: how long to wait for the version to go live before the node fails (the publish itself goes on)',
      },
      {
        displayName: 'Wait Until Live',
        name: 'waitUntilLive',
        type: 'boolean',
        default: true,
        description:
          'Whether to wait until every contact is scored with the new version and it is live, so that the next node reads its scores. Off: answer as soon as the publish job is queued.',
      },
    ],
  },
];

type Options = { notify?: boolean; waitUntilLive?: boolean; timeout?: number };

/** Time between two looks at the job: short at first (small workspaces publish in a moment), then up to 2 s. */
const pollDelay = (attempt: number) => Math.min(2000, 100 * 2 ** attempt);

/**
 * Publishes the draft as a new version. The service answers at once with a job; with Wait Until Live
 * the job is followed until it succeeds (the profile is returned as it is then) or fails (an error).
 */
async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
  const id = profileId(this, itemIndex);
  const options = this.getNodeParameter('options', itemIndex, {}) as Options;
  const published = await apiRequest<{ version: number; job: { id: string } }>(this, {
    method: 'POST',
    path: `/v1/profiles/${pathSegment(id)}/publish`,
    body: { notify: options.notify === true },
    itemIndex,
  });
  if (options.waitUntilLive === false) return { profileId: id, version: published.version, job: published.job };

  const timeoutMs = Math.max(1, options.timeout ?? 300) * 1000;
  const deadline = Date.now() + timeoutMs;
  const jobPath = `/v1/jobs/${pathSegment(published.job.id)}`;
  let job = await apiRequest<Job>(this, { method: 'GET', path: jobPath, itemIndex });
  for (let attempt = 0; job.state !== 'succeeded' && job.state !== 'failed'; attempt++) {
    if (Date.now() >= deadline)
      throw new NodeOperationError(this.getNode(), `Version ${published.version} is not live after ${timeoutMs / 1000} s`, {
        itemIndex,
        description: `The publish goes on in the background (job ${job.id}: ${job.state}, ${job.done} of ${job.total} contacts). Raise the timeout, or turn Wait Until Live off and check the job later.`,
      });
    await sleep(Math.min(pollDelay(attempt), Math.max(0, deadline - Date.now())));
    job = await apiRequest<Job>(this, { method: 'GET', path: jobPath, itemIndex });
  }
  if (job.state === 'failed')
    throw new NodeOperationError(this.getNode(), `Publishing version ${published.version} failed: ${job.error ?? 'no reason given'}`, {
      itemIndex,
      description: `Job ${job.id}`,
    });
  const profile = await apiRequest(this, { method: 'GET', path: `/v1/profiles/${pathSegment(id)}`, itemIndex });
  return { profileId: id, version: published.version, job, profile };
}

export const publishProfile: ItemOperation = { mode: 'perItem', properties, execute };
