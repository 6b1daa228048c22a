import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { jsonParse, NodeOperationError } from 'n8n-workflow';
import { contactId, contactIdField } from '../../shared/fields';
import { toIsoDateTime } from '../../shared/time';
import { asNodeError, errorItem } from '../errors';
import { type FieldError, problemError, readProblem, sendRequest } from '../../transport/request';
import type { BatchOperation } from '../types';

/** The largest batch this node sends (the service takes up to 10,000, but smaller requests fail smaller). */
export const MAX_BATCH_SIZE = 1000;

type Interaction = {
  id?: string;
  contactId: string;
  type: string;
  occurredAt?: string;
  actorId?: string;
  channel?: string;
  direction?: string;
  properties?: IDataObject;
};

type AdditionalFields = {
  id?: string;
  occurredAt?: string;
  actorId?: string;
  channel?: string;
  direction?: string;
  properties?: string | IDataObject;
};

type Entry = { itemIndex: number; interaction: Interaction };

type Recorded = { accepted: number; duplicates: number; token: string; scored?: boolean };

const properties: INodeProperties[] = [
  { ...contactIdField, description: "The CRM's own ID of the contact the interaction was with; unknown contacts are created" },
  {
    displayName: 'Interaction Type',
    name: 'interactionType',
    type: 'string',
    default: '',
    required: true,
    placeholder: 'e.g. form_submission',
    description: 'What happened, as your profiles name it: email_open, meeting, call, form_submission, payment, dnd_on…',
  },
  {
    displayName: 'Additional Fields',
    name: 'additionalFields',
    type: 'collection',
    placeholder: 'Add Field',
    default: {},
    options: [
      { displayName: 'Channel', name: 'channel', type: 'string', default: '', placeholder: 'e.g. email' },
      {
        displayName: 'Direction',
        name: 'direction',
        type: 'options',
        default: 'inbound',
        options: [
          { name: 'Inbound', value: 'inbound', description: 'The contact reached out' },
          { name: 'Outbound', value: 'outbound', description: 'Your team reached out' },
        ],
      },
      {
        displayName: 'Interaction ID',
        name: 'id',
        type: 'string',
        default: '',
        placeholder: 'e.g. submission-8812',
        description:
          'Your own ID of the event, e.g. the form submission ID. The service records each ID once, so running the workflow again does not count the interaction twice.',
      },
      {
        displayName: 'Occurred At',
        name: 'occurredAt',
        type: 'dateTime',
        default: '',
        description: 'When it happened (default: now); at most 5 minutes in the future',
      },
      {
        displayName: 'Properties',
        name: 'properties',
        type: 'json',
        default: '{}',
        description: 'Anything else about the interaction, as a JSON object, which profile rules can read',
      },
      {
        displayName: 'Team Member ID',
        name: 'actorId',
        type: 'string',
        default: '',
        placeholder: 'e.g. rep-7',
        description: 'The team member involved; relationship strength is computed per team member',
      },
    ],
  },
  {
    displayName: 'Options',
    name: 'options',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    options: [
      {
        displayName: 'Batch Size',
        name: 'batchSize',
        type: 'number',
        default: MAX_BATCH_SIZE,
        typeOptions: { minValue: 1, maxValue: MAX_BATCH_SIZE },
        description: 'How many input items are sent in one request',
      },
      {
        displayName: 'Wait Until Scored',
        name: 'waitUntilScored',
        type: 'boolean',
        default: true,
        description:
          'Whether to wait until the service has scored the interactions, so a Get Score right after shows them. Off: faster; the scores follow within about a second.',
      },
    ],
  },
];

function readInteraction(context: IExecuteFunctions, itemIndex: number): Interaction {
  const interaction: Interaction = {
    contactId: contactId(context, itemIndex),
    type: (context.getNodeParameter('interactionType', itemIndex) as string).trim(),
  };
  if (!interaction.contactId) throw new NodeOperationError(context.getNode(), 'Contact ID is empty', { itemIndex });
  if (!interaction.type) throw new NodeOperationError(context.getNode(), 'Interaction Type is empty', { itemIndex });
  const fields = context.getNodeParameter('additionalFields', itemIndex, {}) as AdditionalFields;
  for (const name of ['id', 'actorId', 'channel', 'direction'] as const) {
    const value = fields[name];
    if (value !== undefined && String(value).trim() !== '') interaction[name] = String(value).trim();
  }
  if (fields.occurredAt) interaction.occurredAt = toIsoDateTime(context, fields.occurredAt, 'Occurred At', itemIndex);
  if (fields.properties !== undefined) {
    const value =
      typeof fields.properties === 'string'
        ? jsonParse<unknown>(fields.properties, { errorMessage: 'Properties is not valid JSON' })
        : fields.properties;
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      throw new NodeOperationError(context.getNode(), 'Properties must be a JSON object', {
        itemIndex,
        description: 'e.g. { "form": "pricing", "score": 4 }',
      });
    }
    if (Object.keys(value).length > 0) interaction.properties = value as IDataObject;
  }
  return interaction;
}

/** `interactions.3.occurredAt` → position 3, field `occurredAt`. */
const BATCH_PATH = /^interactions\.(\d+)(?:\.(.+))?$/;

/** The field errors of an answer grouped by the position in the batch that they name. */
function errorsByPosition(errors: FieldError[], batchLength: number): Map<number, FieldError[]> {
  const grouped = new Map<number, FieldError[]>();
  for (const error of errors) {
    const match = BATCH_PATH.exec(error.path);
    if (!match) continue;
    const position = Number(match[1]);
    if (position >= batchLength) continue;
    grouped.set(position, [...(grouped.get(position) ?? []), { path: match[2] ?? '(item)', message: error.message }]);
  }
  return grouped;
}

function recordedItem(entry: Entry, batchSize: number, recorded: Recorded): INodeExecutionData {
  const batch: IDataObject = { size: batchSize, accepted: recorded.accepted, duplicates: recorded.duplicates, token: recorded.token };
  if (recorded.scored !== undefined) batch.scored = recorded.scored;
  return {
    json: { ...entry.interaction, batch },
    pairedItem: { item: entry.itemIndex },
  };
}

/**
 * Sends one batch. The service records a batch all or nothing and names each refused interaction by
 * its position. Without "Continue On Fail" the node stops with the service's explanation, each
 * refused interaction named by its input item. With it, each refused interaction becomes an error
 * item and the others are sent again (none of them were recorded), until the service accepts the rest.
 */
async function sendBatch(
  context: IExecuteFunctions,
  batch: Entry[],
  outputs: Array<INodeExecutionData | undefined>,
  earlierBatches: boolean,
): Promise<void> {
  let remaining = batch;
  while (remaining.length > 0) {
    const response = await sendRequest(context, {
      method: 'POST',
      path: '/v1/interactions',
      qs: context.getNodeParameter('options.waitUntilScored', 0, true) === false ? undefined : { wait: 'true' },
      body: { interactions: remaining.map((entry) => entry.interaction) as unknown as IDataObject[] },
      itemIndex: remaining[0].itemIndex,
    });
    if (response.statusCode < 400) {
      const recorded = response.body as Recorded;
      for (const entry of remaining) outputs[entry.itemIndex] = recordedItem(entry, remaining.length, recorded);
      return;
    }
    // Too large for the service's body limit (large properties): halve it rather than give up.
    if (response.statusCode === 413 && remaining.length > 1) {
      const half = Math.ceil(remaining.length / 2);
      await sendBatch(context, remaining.slice(0, half), outputs, earlierBatches);
      await sendBatch(context, remaining.slice(half), outputs, true);
      return;
    }
    const refused = errorsByPosition(readProblem(response).errors ?? [], remaining.length);
    const current = remaining;
    const describePath = (path: string) => {
      const match = BATCH_PATH.exec(path);
      const entry = match ? current[Number(match[1])] : undefined;
      return entry ? `Input item ${entry.itemIndex} (contact ${entry.interaction.contactId}), ${match?.[2] ?? 'interaction'}` : path;
    };
    if (!context.continueOnFail()) {
      const firstRefused = refused.size > 0 ? current[Math.min(...refused.keys())] : current[0];
      const error = problemError(context, response, { itemIndex: firstRefused.itemIndex, describePath });
      if (earlierBatches)
        error.description =
          `${error.description ?? ''}\nThe batches before this one were recorded; interactions with an Interaction ID can be sent again safely.`.trim();
      throw error;
    }
    if (refused.size === 0) {
      // Nothing points at single interactions (unauthorised, rate limited, service down): the whole batch failed.
      for (const entry of current)
        outputs[entry.itemIndex] = errorItem(problemError(context, response, { itemIndex: entry.itemIndex }), entry.itemIndex);
      return;
    }
    for (const [position, errors] of refused) {
      const entry = current[position];
      const error = problemError(context, response, {
        itemIndex: entry.itemIndex,
        errors,
        message: `The service refused this interaction: ${errors.map((fieldError) => `${fieldError.path} ${fieldError.message}`).join('; ')}`,
      });
      outputs[entry.itemIndex] = errorItem(error, entry.itemIndex);
    }
    remaining = current.filter((_, position) => !refused.has(position));
  }
}

/** Every input item becomes one interaction; they are sent in batches, never one request per item. */
async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
  const outputs: Array<INodeExecutionData | undefined> = new Array<INodeExecutionData | undefined>(items.length);
  const entries: Entry[] = [];
  for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
    try {
      entries.push({ itemIndex, interaction: readInteraction(this, itemIndex) });
    } catch (error) {
      const nodeError = asNodeError(this.getNode(), error, itemIndex);
      if (!this.continueOnFail()) throw nodeError;
      outputs[itemIndex] = errorItem(nodeError, itemIndex);
    }
  }
  const batchSize = Math.min(
    MAX_BATCH_SIZE,
    Math.max(1, Math.floor((this.getNodeParameter('options.batchSize', 0, MAX_BATCH_SIZE) as number) || MAX_BATCH_SIZE)),
  );
  for (let start = 0; start < entries.length; start += batchSize) {
    await sendBatch(this, entries.slice(start, start + batchSize), outputs, start > 0);
  }
  return outputs.filter((output): output is INodeExecutionData => output !== undefined);
}

export const recordInteractions: BatchOperation = { mode: 'batch', properties, execute };
