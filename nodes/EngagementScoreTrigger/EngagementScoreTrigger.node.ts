import type { IDataObject, IHookFunctions, INodeType, INodeTypeDescription, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { jsonParse, NodeConnectionTypes, sleep } from 'n8n-workflow';
import { searchProfiles, searchSegments } from '../EngagementScore/methods';
import { profileLocator, segmentLocator, splitList } from '../EngagementScore/shared/fields';
import { apiRequest, apiRequestIfFound, pathSegment, problemError, sendRequest } from '../EngagementScore/transport/request';
import { verifySignature } from './signature';

type ScoreEvent = 'score.dropped_below' | 'score.rose_above' | 'score.crossed' | 'band.changed';
type SegmentEvent = 'segment.entered' | 'segment.left';
type EventType = ScoreEvent | SegmentEvent;

const SCORE_EVENTS: ScoreEvent[] = ['score.dropped_below', 'score.rose_above', 'score.crossed', 'band.changed'];
const SEGMENT_EVENTS: SegmentEvent[] = ['segment.entered', 'segment.left'];
const isSegmentEvent = (event: EventType): event is SegmentEvent => (SEGMENT_EVENTS as EventType[]).includes(event);

type Subscription = {
  id: string;
  /** The profile whose crossings it hears (null for a segment's entries and exits). */
  profileId: string | null;
  /** The segment whose entries and exits it hears (null for a profile's crossings; absent from services before segments). */
  segmentId?: string | null;
  event: EventType;
  threshold: number | null;
  tags: string[] | null;
  url: string;
  status: 'active' | 'disabled';
};

/** What the node keeps between activation and deactivation, in the workflow's static data. */
type StoredSubscription = { subscriptionId?: string; secret?: string };

/**
 * The subscription the node's parameters ask for: a profile's crossings (with threshold and tags),
 * or a segment's entries or exits (segment only; profile, threshold and tags are not read then).
 */
function wantedSubscription(context: IHookFunctions) {
  const event = context.getNodeParameter('event') as EventType;
  if (isSegmentEvent(event)) {
    const segmentId = ((context.getNodeParameter('segment', undefined, { extractValue: true }) as string | undefined) ?? '').trim();
    return { profileId: null, segmentId, event, threshold: null, tags: null };
  }
  const tags = splitList(context.getNodeParameter('tags', ''));
  return {
    profileId: context.getNodeParameter('profile', undefined, { extractValue: true }) as string,
    segmentId: null,
    event,
    threshold: event === 'band.changed' ? null : (context.getNodeParameter('threshold') as number),
    tags: tags.length > 0 ? tags : null,
  };
}

const sameTags = (a: string[] | null, b: string[] | null) =>
  JSON.stringify([...(a ?? [])].sort()) === JSON.stringify([...(b ?? [])].sort());

/** Deletes a subscription; one that is already gone counts as deleted. */
async function deleteSubscription(context: IHookFunctions, id: string): Promise<void> {
  const response = await sendRequest(context, { method: 'DELETE', path: `/v1/subscriptions/${pathSegment(id)}` });
  if (response.statusCode >= 400 && response.statusCode !== 404) throw problemError(context, response);
}

/**
 * Waits before each try to send the test event. n8n gives the trigger's static data (where the
 * subscription's secret is kept) to its test webhook only after `create` has returned, so a delivery
 * that arrived while `create` still ran would be refused for want of the secret: the test event is
 * sent a moment later, and again if n8n was not ready yet.
 */
const TEST_EVENT_DELAYS_MS = [250, 500, 1000, 2000, 4000];

type TestAnswer = { delivered: boolean; status: number | null; error: string | null };

/**
 * Asks the service to send the subscription's signed sample delivery (`test: true`, a made-up
 * contact) to the test webhook, so that "Listen for test event" shows an event at once instead of
 * waiting for a real crossing. Never throws: a test event that cannot be sent only means waiting for
 * a real one.
 */
async function sendTestEvent(context: IHookFunctions, subscriptionId: string): Promise<void> {
  let last: TestAnswer | undefined;
  try {
    for (const delay of TEST_EVENT_DELAYS_MS) {
      await sleep(delay);
      const response = await sendRequest(context, { method: 'POST', path: `/v1/subscriptions/${pathSegment(subscriptionId)}/test` });
      // 404/409: the subscription was deleted or disabled meanwhile (the listening ended).
      if (response.statusCode >= 400) {
        if (response.statusCode !== 404 && response.statusCode !== 409)
          context.logger.warn(`Engagement Score did not send a test event: ${problemError(context, response).message}`);
        return;
      }
      last = response.body as TestAnswer;
      if (last.delivered) return;
    }
    context.logger.warn(
      `Engagement Score's test event was not accepted by the test webhook (${last?.status ?? last?.error ?? 'no answer'}); waiting for a real event`,
    );
  } catch (error) {
    context.logger.warn(`Engagement Score did not send a test event: ${(error as Error).message}`);
  }
}

/** Why a delivery cannot be trusted, or undefined when its signature verifies. */
function whyRefused(secret: string | undefined, rawBody: unknown, header: string | string[] | undefined): string | undefined {
  if (!secret) return 'this trigger holds no subscription secret; deactivate and activate the workflow';
  if (!Buffer.isBuffer(rawBody)) return 'the raw request body is not available';
  const check = verifySignature(Array.isArray(header) ? header[0] : header, rawBody, secret, Math.floor(Date.now() / 1000));
  return check.valid ? undefined : check.reason;
}

export class EngagementScoreTrigger implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Engagement Score Trigger',
    name: 'engagementScoreTrigger',
    icon: { light: 'file:engagementScoreTrigger.svg', dark: 'file:engagementScoreTrigger.dark.svg' },
    group: ['trigger'],
    version: 1,
    subtitle: '={{ $parameter["event"] }}',
    description: "Starts the workflow when a contact's score crosses a threshold or changes band, or a contact enters or leaves a segment",
    defaults: { name: 'Engagement Score Trigger' },
    eventTriggerDescription: 'Waiting for the test event Engagement Score sends with a sample contact',
    activationMessage: 'Engagement Score now calls this workflow whenever the chosen event happens.',
    triggerPanel: {
      header: 'Engagement Score sends a test event as soon as you listen',
      executionsHelp: {
        inactive:
          "<b>While building your workflow</b>, click the 'Execute step' button, then wait a moment: Engagement Score sends a signed sample event (<code>test: true</code>, a made-up contact) of the chosen kind, and the workflow runs once with it. <br /><br /><b>Once you're happy with your workflow</b>, publish it. Then every time the chosen event happens (a score crossing the threshold, a contact entering or leaving the segment), the workflow will execute. These executions will show up in the executions list, but not in the editor.",
        active:
          "<b>While building your workflow</b>, click the 'Execute step' button, then wait a moment: Engagement Score sends a signed sample event (<code>test: true</code>, a made-up contact) of the chosen kind, and the workflow runs once with it. <br /><br /><b>Your workflow will also execute automatically</b>, since it's activated. Every time the chosen event happens, this node will trigger an execution. These executions will show up in the executions list, but not in the editor.",
      },
      activationHint:
        "Once you've finished building your workflow, publish it to have it also listen continuously (you just won't see those executions here).",
    },
    inputs: [],
    outputs: [NodeConnectionTypes.Main],
    credentials: [{ name: 'engagementScoreApi', required: true }],
    webhooks: [{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'webhook' }],
    properties: [
      {
        displayName:
          'The API key of the credential needs the automation (recommended) or admin role: activating the workflow, or listening for a test event, subscribes to the service.',
        name: 'notice',
        type: 'notice',
        default: '',
      },
      {
        displayName: 'Event',
        name: 'event',
        type: 'options',
        required: true,
        default: 'score.dropped_below',
        options: [
          { name: 'Band Changed', value: 'band.changed', description: "When a contact's score moves into another band" },
          {
            name: 'Contact Entered Segment',
            value: 'segment.entered',
            description: 'When a contact comes into a saved segment, whatever moved it (an interaction, a change, time passing)',
          },
          {
            name: 'Contact Left Segment',
            value: 'segment.left',
            description: 'When a contact goes out of a saved segment, whatever moved it (an interaction, a change, time passing)',
          },
          { name: 'Score Crossed', value: 'score.crossed', description: 'When a score crosses the threshold in either direction' },
          {
            name: 'Score Dropped Below',
            value: 'score.dropped_below',
            description: 'When a score goes from at least the threshold to below it',
          },
          { name: 'Score Rose Above', value: 'score.rose_above', description: 'When a score goes from below the threshold to at least it' },
        ],
      },
      { ...profileLocator('The profile whose scores are watched'), displayOptions: { show: { event: SCORE_EVENTS } } },
      {
        ...segmentLocator('The saved segment whose entries or exits are watched'),
        displayOptions: { show: { event: SEGMENT_EVENTS } },
      },
      {
        displayName: 'Threshold',
        name: 'threshold',
        type: 'number',
        required: true,
        default: 40,
        typeOptions: { numberPrecision: 2 },
        displayOptions: { show: { event: ['score.dropped_below', 'score.rose_above', 'score.crossed'] } },
        description: 'The score level to watch. It fires on every crossing, also when the score only decays with time.',
      },
      {
        displayName: 'Tags',
        name: 'tags',
        type: 'string',
        default: '',
        placeholder: 'e.g. vip',
        displayOptions: { show: { event: SCORE_EVENTS } },
        description:
          'Only contacts with any of these tags, separated by commas (e.g. VIPs, with their own threshold). Empty: every contact.',
      },
    ],
  };

  methods = {
    listSearch: { searchProfiles, searchSegments },
  };

  webhookMethods = {
    default: {
      /** True only when the stored subscription still exists, is active and is the one the parameters ask for. */
      async checkExists(this: IHookFunctions): Promise<boolean> {
        const stored = this.getWorkflowStaticData('node') as StoredSubscription;
        if (!stored.subscriptionId || !stored.secret) return false;
        const subscription = await apiRequestIfFound<Subscription>(this, {
          method: 'GET',
          path: `/v1/subscriptions/${pathSegment(stored.subscriptionId)}`,
        });
        if (!subscription) return false;
        const wanted = wantedSubscription(this);
        return (
          subscription.status === 'active' &&
          subscription.url === this.getNodeWebhookUrl('default') &&
          subscription.profileId === wanted.profileId &&
          (subscription.segmentId ?? null) === wanted.segmentId &&
          subscription.event === wanted.event &&
          subscription.threshold === wanted.threshold &&
          sameTags(subscription.tags, wanted.tags)
        );
      },

      async create(this: IHookFunctions): Promise<boolean> {
        const stored = this.getWorkflowStaticData('node') as StoredSubscription;
        // A subscription made earlier that no longer fits (another URL, changed parameters) would keep delivering.
        if (stored.subscriptionId) await deleteSubscription(this, stored.subscriptionId);
        const wanted = wantedSubscription(this);
        const body: IDataObject = {
          ...(wanted.segmentId ? { segmentId: wanted.segmentId } : { profileId: wanted.profileId }),
          event: wanted.event,
          url: this.getNodeWebhookUrl('default'),
          description:
            `n8n${this.getActivationMode() === 'manual' ? ' (test)' : ''}: ${this.getWorkflow().name ?? 'workflow'} / ${this.getNode().name}`.slice(
              0,
              500,
            ),
        };
        if (wanted.threshold !== null) body.threshold = wanted.threshold;
        if (wanted.tags) body.tags = wanted.tags;
        const created = await apiRequest<Subscription & { secret: string }>(this, { method: 'POST', path: '/v1/subscriptions', body });
        stored.subscriptionId = created.id;
        stored.secret = created.secret;
        // "Listen for test event": n8n registers the test webhook in manual mode. Not awaited: the event
        // must arrive after n8n has stored what create() wrote (see TEST_EVENT_DELAYS_MS).
        if (this.getActivationMode() === 'manual') void sendTestEvent(this, created.id);
        return true;
      },

      async delete(this: IHookFunctions): Promise<boolean> {
        const stored = this.getWorkflowStaticData('node') as StoredSubscription;
        if (stored.subscriptionId) await deleteSubscription(this, stored.subscriptionId);
        delete stored.subscriptionId;
        delete stored.secret;
        return true;
      },
    },
  };

  /** Verifies the delivery's signature against the raw body; a delivery that fails gets 401 and starts nothing. */
  async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
    const request = this.getRequestObject();
    const stored = this.getWorkflowStaticData('node') as StoredSubscription;
    if (request.rawBody === undefined && typeof request.readRawBody === 'function') await request.readRawBody();
    const rawBody = request.rawBody;
    const refused = whyRefused(stored.secret, rawBody, this.getHeaderData()['x-engagement-signature']);
    if (refused) {
      this.getResponseObject().status(401).json({ error: 'Invalid signature', reason: refused });
      return { noWebhookResponse: true };
    }
    // The event exactly as signed, rather than a body someone else's middleware may have reshaped.
    const event = jsonParse<IDataObject>(rawBody.toString('utf8'));
    return { workflowData: [[{ json: event }]] };
  }
}
