import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  NodeConnectionTypes,
  NodeHelpers,
  type IExecuteFunctions,
  type INode,
  type INodeExecutionData,
  type INodeProperties,
  type INodePropertyCollection,
  type INodeType,
  type INodeTypeDescription,
  type IConnections,
} from 'n8n-workflow';
import { contactAnswer, credentials, mockTheService, PROFILE_ID, serve } from './contract';
import { ACTION_TYPE, CREDENTIAL_NAME, nodeTypeClasses, runWorkflow, TRIGGER_TYPE } from './harness';

/**
 * The workflows in examples/n8n, as a builder imports them: every parameter of our nodes exists and
 * is shown for the chosen resource and operation, only the profile is left to pick, and each
 * workflow runs in n8n's engine (n8n's own nodes replaced by stand-ins that show what they got).
 */

const examplesDir = path.resolve(__dirname, '../../examples/n8n');
type WorkflowJson = { name: string; nodes: INode[]; connections: IConnections };
const load = (file: string): WorkflowJson => JSON.parse(readFileSync(path.join(examplesDir, file), 'utf8'));
const files = readdirSync(examplesDir).filter((file) => file.endsWith('.json'));

/** Stands in for one of n8n's own nodes: passes its input on, or outputs the listed parameters as resolved. */
class StandIn implements INodeType {
  description: INodeTypeDescription;

  execute: (this: IExecuteFunctions) => Promise<INodeExecutionData[][]>;

  constructor(name: string, shown: string[] = []) {
    this.description = {
      displayName: name,
      name,
      group: ['transform'],
      version: [1, 1.2, 2, 2.1, 2.2],
      description: 'stand-in',
      defaults: { name },
      inputs: [NodeConnectionTypes.Main],
      outputs: [NodeConnectionTypes.Main],
      properties: shown.map((parameter) => ({ displayName: parameter, name: parameter, type: 'string', default: '' })),
    };
    this.execute = function (this: IExecuteFunctions) {
      const items = this.getInputData();
      if (shown.length === 0) return Promise.resolve([items]);
      return Promise.resolve([
        items.map((_, itemIndex) => ({
          json: Object.fromEntries(shown.map((parameter) => [parameter, this.getNodeParameter(parameter, itemIndex)])),
          pairedItem: { item: itemIndex },
        })),
      ]);
    };
  }
}

const emailFields = ['fromEmail', 'toEmail', 'subject', 'emailFormat', 'text'];
Object.assign(nodeTypeClasses, {
  'n8n-nodes-base.formTrigger': new StandIn('formTrigger'),
  'n8n-nodes-base.scheduleTrigger': new StandIn('scheduleTrigger'),
  'n8n-nodes-base.emailSend': new StandIn('emailSend', emailFields),
  'n8n-nodes-base.stickyNote': new StandIn('stickyNote'),
});

/** The example with a profile picked, as a builder would finish it. */
function prepared(file: string): WorkflowJson {
  const workflow = load(file);
  for (const node of workflow.nodes) if (node.parameters.profile) node.parameters.profile = { __rl: true, mode: 'list', value: PROFILE_ID };
  return workflow;
}

/** Problems with `values` against the node's properties: unknown, hidden or misspelt parameters and options. */
function parameterProblems(description: INodeTypeDescription, node: INode): string[] {
  const problems: string[] = [];
  const isExpression = (value: unknown) => typeof value === 'string' && value.startsWith('=');
  for (const [name, value] of Object.entries(node.parameters)) {
    const property = description.properties.find(
      (candidate) => candidate.name === name && NodeHelpers.displayParameter(node.parameters, candidate, node, description),
    );
    if (!property) {
      problems.push(
        `${name} is not a parameter shown for ${JSON.stringify(node.parameters.resource ?? node.parameters.event)}/${JSON.stringify(node.parameters.operation ?? '')}`,
      );
      continue;
    }
    if (property.type === 'collection') {
      const known = (property.options as INodeProperties[]).map((option) => option.name);
      for (const key of Object.keys(value as object))
        if (!known.includes(key)) problems.push(`${name}.${key} is not an option of ${property.displayName}`);
    } else if (property.type === 'fixedCollection') {
      for (const [group, entries] of Object.entries(value as Record<string, Array<Record<string, unknown>>>)) {
        const definition = (property.options as INodePropertyCollection[]).find((option) => option.name === group);
        if (!definition) problems.push(`${name}.${group} is not a group of ${property.displayName}`);
        for (const entry of definition ? entries : [])
          for (const key of Object.keys(entry))
            if (!definition!.values.some((field) => field.name === key)) problems.push(`${name}.${group}.${key} is unknown`);
      }
    } else if (property.type === 'options' && !isExpression(value) && !property.typeOptions?.loadOptionsMethod) {
      if (!(property.options as Array<{ value: unknown }>).some((option) => option.value === value))
        problems.push(`${name} = ${JSON.stringify(value)} is not one of its options`);
    } else if (property.type === 'resourceLocator') {
      const locator = value as { __rl?: boolean; mode?: string };
      if (!locator.__rl || !property.modes?.some((mode) => mode.name === locator.mode))
        problems.push(`${name} is not a valid resource locator value`);
    }
  }
  return problems;
}

describe.each(files)('examples/n8n/%s', (file) => {
  const workflow = load(file);

  it('uses our nodes with parameters they have, and leaves only the profile to pick', () => {
    const ours = workflow.nodes.filter((node) => node.type === ACTION_TYPE || node.type === TRIGGER_TYPE);
    expect(ours.length).toBeGreaterThan(0);
    for (const node of ours) {
      const { description } = nodeTypeClasses[node.type];
      expect({ node: node.name, typeVersion: node.typeVersion, credentials: node.credentials }).toEqual({
        node: node.name,
        typeVersion: description.version,
        credentials: { engagementScoreApi: { id: null, name: CREDENTIAL_NAME } },
      });
      expect({ node: node.name, problems: parameterProblems(description, node) }).toEqual({ node: node.name, problems: [] });
      const issues = NodeHelpers.getNodeParametersIssues(description.properties, structuredClone(node), description);
      expect({ node: node.name, issues: Object.keys(issues?.parameters ?? {}) }).toEqual({
        node: node.name,
        issues: node.parameters.profile ? ['profile'] : [],
      });
    }
  });

  it('connects nodes that exist, each named once', () => {
    const names = workflow.nodes.map((node) => node.name);
    expect(new Set(names).size).toBe(names.length);
    for (const [source, outputs] of Object.entries(workflow.connections)) {
      expect(names).toContain(source);
      for (const target of Object.values(outputs).flat(2)) expect(names).toContain(target!.node);
    }
  });
});

describe('the examples run', () => {
  mockTheService();

  it('VIP going cold: a delivery becomes an email to the owner with the suggestions', async () => {
    const workflow = prepared('vip-going-cold.json');
    const event = {
      id: 'a1b2c3d4-0000-4000-8000-000000000001',
      type: 'score.dropped_below',
      occurredAt: '2026-07-04T14:18:21.695Z',
      profile: { id: PROFILE_ID, name: 'Engagement' },
      contact: { id: 'crm-42', name: 'Ada', email: 'ada@example.com', tags: ['vip'], ownerId: 'grace@example.com', accountId: 'acme' },
      score: 39.99,
      previousScore: 52.5,
      threshold: 40,
      direction: 'down',
      band: { name: 'Needs attention', color: '#d64545' },
      previousBand: { name: 'Warm', color: '#e0a800' },
      cause: 'time',
      suggestions: [{ action: 'schedule_call', message: 'No contact for a month: schedule a call' }],
    };
    const result = await runWorkflow({ ...workflow, startNode: 'Message the owner', items: [event], credentials });
    expect(result.error).toBeUndefined();
    expect(result.output('Message the owner').map((item) => item.json)).toEqual([
      {
        fromEmail: 'scores@example.com',
        toEmail: 'grace@example.com',
        subject: 'Ada is going cold: 39.99 in Engagement',
        emailFormat: 'text',
        text: 'Ada (ada@example.com) went from 52.5 to 39.99, below 40.\nBand: Warm → Needs attention. What moved it: no contact for a while (the score decayed).\n\nSuggested next steps:\n- No contact for a month: schedule a call',
      },
    ]);
  });

  it('Record form submissions: upserts the contact, then records the submission with its own ID', async () => {
    const upserts = serve('put', '/v1/contacts/:contactId', ({ params, body }) => [
      201,
      contactAnswer(params.contactId, body as Record<string, unknown>),
    ]);
    const recorded = serve('post', '/v1/interactions', ({ body }) => [
      200,
      { accepted: (body as { interactions: unknown[] }).interactions.length, duplicates: 0, token: 'es1.7', scored: true },
    ]);
    const submission = {
      Email: ' Ada@Example.com ',
      Name: 'Ada Lovelace',
      Interest: 'Demo',
      Message: 'Call me',
      submittedAt: '2026-07-01T11:00:00.000+02:00',
      formMode: 'production',
    };
    const result = await runWorkflow({
      ...prepared('record-form-submissions.json'),
      startNode: 'On form submission',
      items: [submission],
      credentials,
    });
    expect(result.error).toBeUndefined();
    expect(upserts.map((call) => [call.params.contactId, call.body])).toEqual([
      ['ada@example.com', { email: 'Ada@Example.com', name: 'Ada Lovelace' }],
    ]);
    expect(recorded.map((call) => call.body)).toEqual([
      {
        interactions: [
          {
            contactId: 'ada@example.com',
            type: 'form_submission',
            id: 'form-ada@example.com-2026-07-01T11:00:00.000+02:00',
            channel: 'web',
            direction: 'inbound',
            occurredAt: '2026-07-01T09:00:00.000Z',
            properties: { interest: 'Demo', message: 'Call me' },
          },
        ],
      },
    ]);
  });

  it('Weekly network review: the review becomes an email with bands, risers, fallers and who needs attention', async () => {
    const calls = serve('get', '/v1/profiles/:id/insights', ({ params }) => [
      200,
      {
        profileId: params.id,
        version: 3,
        days: 7,
        from: '2026-06-24T08:00:00.000Z',
        to: '2026-07-01T08:00:00.000Z',
        contacts: 3,
        distribution: [
          { band: 'Cold', color: '#d64545', count: 1, previousCount: 0 },
          { band: 'Warm', color: '#e0a800', count: 2, previousCount: 3 },
        ],
        averageScore: 48.5,
        previousAverageScore: 52,
        averageDelta: -3.5,
        histogram: [
          { from: 30, to: 40, count: 1 },
          { from: 50, to: 60, count: 2 },
        ],
        risers: [{ contactId: 'crm-1', name: 'Bob', tags: [], score: 60, previousScore: 50, delta: 10, band: 'Warm' }],
        fallers: [{ contactId: 'crm-42', name: null, tags: ['vip'], score: 35, previousScore: 55, delta: -20, band: 'Cold' }],
        needsAttention: [
          {
            contactId: 'crm-42',
            name: null,
            tags: ['vip'],
            score: 35,
            previousScore: 55,
            delta: -20,
            band: 'Cold',
            reasons: ['score under 40 (Cold)'],
          },
        ],
      },
    ]);
    const result = await runWorkflow({
      ...prepared('weekly-network-review.json'),
      startNode: 'Every Monday at 8:00',
      items: [{}],
      credentials,
    });
    expect(result.error).toBeUndefined();
    expect(calls.map((call) => [call.params.id, call.query])).toEqual([[PROFILE_ID, { days: '7', limit: '5' }]]);
    const [email] = result.output('Email the review').map((item) => item.json);
    expect(email).toMatchObject({ toEmail: 'team@example.com', subject: 'Network review: average 48.5 (-3.5 in 7 days)' });
    expect(email.text).toBe(
      [
        'Network review of 3 contacts, 2026-06-24 to 2026-07-01.',
        '',
        'Bands (now, 7 days ago):',
        '- Cold: 1 (0)',
        '- Warm: 2 (3)',
        '',
        'Rising:',
        '- Bob: 50 → 60',
        '',
        'Falling:',
        '- crm-42: 55 → 35',
        '',
        'Needs attention:',
        '- crm-42 (35): score under 40 (Cold)',
      ].join('\n'),
    );
  });
});
