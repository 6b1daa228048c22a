import './n8n-env';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExecutionLifecycleHooks, HookContext, LoadOptionsContext, WebhookContext, WorkflowExecute } from 'n8n-core';
import {
  createRunExecutionData,
  ICredentialsHelper,
  isExpression,
  NodeConnectionTypes,
  NodeHelpers,
  Workflow,
  type ICredentialDataDecryptedObject,
  type ICredentials,
  type ICredentialType,
  type IDataObject,
  type IExecuteFunctions,
  type IHttpRequestOptions,
  type INode,
  type INodeExecutionData,
  type INodeProperties,
  type INodeType,
  type INodeTypeDescription,
  type INodeTypes,
  type IRequestOptionsSimplified,
  type IRun,
  type IConnections,
  type IVersionedNodeType,
  type IWebhookData,
  type IWorkflowBase,
  type IWorkflowExecuteAdditionalData,
  type Workflow as WorkflowType,
} from 'n8n-workflow';
import { EngagementScoreApi } from '../../credentials/EngagementScoreApi.credentials';
import { EngagementScore } from '../../nodes/EngagementScore/EngagementScore.node';
import { EngagementScoreTrigger } from '../../nodes/EngagementScoreTrigger/EngagementScoreTrigger.node';

/**
 * Runs the pack's nodes inside n8n's own workflow engine (n8n-core's WorkflowExecute over workflow
 * JSON), with a credentials helper that authenticates requests the way n8n does for a generic
 * credential: by resolving `{{$credentials.…}}` expressions into the request.
 */

export const PACKAGE_NAME = 'n8n-nodes-engagement-score';
export const ACTION_TYPE = `${PACKAGE_NAME}.engagementScore`;
export const TRIGGER_TYPE = `${PACKAGE_NAME}.engagementScoreTrigger`;
export const CREDENTIAL_NAME = 'Engagement Score account';

export const NO_OP_TYPE = 'n8n-nodes-base.noOp';

/** n8n's No Operation node: passes its input on, so a test sees what reached the node after the trigger. */
class NoOp implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'No Operation, do nothing',
    name: 'noOp',
    group: ['organization'],
    version: 1,
    description: 'No Operation',
    defaults: { name: 'No Operation, do nothing' },
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    properties: [],
  };

  execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    return Promise.resolve([this.getInputData()]);
  }
}

export const nodeTypeClasses: Record<string, INodeType> = {
  [ACTION_TYPE]: new EngagementScore(),
  [TRIGGER_TYPE]: new EngagementScoreTrigger(),
  [NO_OP_TYPE]: new NoOp(),
};

const credentialTypes: Record<string, ICredentialType> = { engagementScoreApi: new EngagementScoreApi() };

class TestNodeTypes implements INodeTypes {
  getByName(nodeType: string): INodeType | IVersionedNodeType {
    const type = nodeTypeClasses[nodeType];
    if (!type) throw new Error(`Unknown node type ${nodeType}`);
    return type;
  }

  getByNameAndVersion(nodeType: string, version?: number): INodeType {
    return NodeHelpers.getVersionedNodeType(this.getByName(nodeType), version);
  }

  getKnownTypes() {
    return {};
  }
}

export const nodeTypes = new TestNodeTypes();

export type CredentialData = { baseUrl: string; apiKey: string };

class TestCredentialsHelper extends ICredentialsHelper {
  constructor(private readonly data: CredentialData) {
    super();
  }

  getParentTypes(): string[] {
    return [];
  }

  isCredentialUsableByNode(): boolean {
    return true;
  }

  async authenticate(
    credentials: ICredentialDataDecryptedObject,
    typeName: string,
    requestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
    workflow?: WorkflowType,
    node?: INode,
  ): Promise<IHttpRequestOptions> {
    const authenticate = credentialTypes[typeName]?.authenticate;
    if (!authenticate) return requestOptions as IHttpRequestOptions;
    if (typeof authenticate === 'function') return authenticate(credentials, requestOptions as IHttpRequestOptions);
    const resolve = (value: unknown) =>
      isExpression(value) && workflow && node
        ? workflow.expression.getSimpleParameterValue(node, value, 'internal', { $credentials: credentials }, undefined, '')
        : value;
    const options = { ...requestOptions } as IHttpRequestOptions;
    for (const [target, values] of Object.entries(authenticate.properties) as Array<['headers' | 'qs' | 'body', IDataObject]>) {
      const resolved = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, resolve(value)]));
      options[target] = { ...((options[target] as IDataObject | undefined) ?? {}), ...resolved } as IDataObject;
    }
    return options;
  }

  preAuthentication() {
    return Promise.resolve(undefined);
  }

  runPreAuthentication() {
    return Promise.resolve(undefined);
  }

  getCredentials(): Promise<ICredentials> {
    return Promise.reject(new Error('not used by the pack'));
  }

  getDecrypted(): Promise<ICredentialDataDecryptedObject> {
    return Promise.resolve({ ...this.data });
  }

  async updateCredentials(): Promise<void> {}

  async updateCredentialsOauthTokenData(): Promise<void> {}

  getCredentialsProperties(type: string): INodeProperties[] {
    return credentialTypes[type]?.properties ?? [];
  }
}

export const WEBHOOK_BASE_URL = 'http://localhost:5678/webhook';

export function additionalData(
  credentials: CredentialData,
  extra: Partial<IWorkflowExecuteAdditionalData> = {},
): IWorkflowExecuteAdditionalData {
  const unsupported = () => Promise.reject(new Error('not supported in these tests'));
  return {
    credentialsHelper: new TestCredentialsHelper(credentials),
    executionId: randomUUID(),
    currentNodeExecutionIndex: 0,
    restApiUrl: 'http://localhost:5678/rest',
    instanceBaseUrl: 'http://localhost:5678/',
    formBaseUrl: 'http://localhost:5678/form',
    formWaitingBaseUrl: 'http://localhost:5678/form-waiting',
    formTestBaseUrl: 'http://localhost:5678/form-test',
    webhookBaseUrl: WEBHOOK_BASE_URL,
    webhookWaitingBaseUrl: 'http://localhost:5678/webhook-waiting',
    webhookTestBaseUrl: 'http://localhost:5678/webhook-test',
    mcpBaseUrl: 'http://localhost:5678/mcp',
    mcpTestBaseUrl: 'http://localhost:5678/mcp-test',
    variables: {},
    executeWorkflow: unsupported,
    startRunnerTask: unsupported,
    getRunExecutionData: () => Promise.resolve(undefined),
    getRuntimeCredential: () => Promise.resolve(undefined),
    logAiEvent: () => {},
    ...extra,
  } as unknown as IWorkflowExecuteAdditionalData;
}

/** A node of ours as it appears in workflow JSON. */
export function actionNode(name: string, parameters: IDataObject, settings: Partial<INode> = {}): INode {
  return {
    id: randomUUID(),
    name,
    type: ACTION_TYPE,
    typeVersion: 1,
    position: [0, 0],
    parameters: parameters as INode['parameters'],
    credentials: { engagementScoreApi: { id: '1', name: CREDENTIAL_NAME } },
    ...settings,
  };
}

/** Connects the nodes one after the other, each one's main output to the next one's input. */
export function chain(...names: string[]): IConnections {
  return Object.fromEntries(
    names.slice(0, -1).map((name, index) => [name, { main: [[{ node: names[index + 1], type: 'main', index: 0 }]] }]),
  );
}

export type RunResult = {
  run: IRun;
  /** What a node output (its first run, first output). */
  output(nodeName: string): INodeExecutionData[];
  /** The error the run stopped with, as n8n records it. */
  error: (Error & { description?: string; httpCode?: string; context?: IDataObject }) | undefined;
};

/**
 * Runs a workflow from `startNode`, fed with `items` as its input, through WorkflowExecute: the
 * engine resolves expressions, follows connections, applies node settings (Execute Once, On Error)
 * and pairs items, exactly as in n8n.
 */
export async function runWorkflow(options: {
  nodes: INode[];
  connections?: IConnections;
  startNode: string;
  items?: IDataObject[];
  credentials: CredentialData;
  /** The workflow's time zone (n8n's default otherwise). */
  timezone?: string;
}): Promise<RunResult> {
  const workflow = new Workflow({
    id: randomUUID(),
    name: 'test workflow',
    nodes: options.nodes,
    connections: options.connections ?? {},
    nodeTypes,
    active: false,
    staticData: {},
    settings: { executionOrder: 'v1', ...(options.timezone ? { timezone: options.timezone } : {}) },
  });
  const startNode = workflow.getNode(options.startNode);
  if (!startNode) throw new Error(`No node ${options.startNode}`);
  const input = (options.items ?? [{}]).map((json) => ({ json }));
  const runExecutionData = createRunExecutionData({
    executionData: { nodeExecutionStack: [{ node: startNode, data: { main: [input] }, source: null }] },
  });
  const data = additionalData(options.credentials);
  const workflowData: IWorkflowBase = {
    id: workflow.id,
    name: workflow.name ?? 'test workflow',
    active: false,
    activeVersionId: null,
    isArchived: false,
    nodes: options.nodes,
    connections: workflow.connectionsBySourceNode,
    createdAt: new Date(),
    updatedAt: new Date(),
  };
  data.hooks = new ExecutionLifecycleHooks('manual', data.executionId!, workflowData);
  const run = await new WorkflowExecute(data, 'manual', runExecutionData).processRunExecutionData(workflow);
  const runData = run.data.resultData.runData;
  return {
    run,
    output: (nodeName) => {
      const taskData = runData[nodeName]?.[0];
      if (!taskData) throw new Error(`${nodeName} did not run${run.data.resultData.error ? `: ${run.data.resultData.error.message}` : ''}`);
      return taskData.data?.main?.[0] ?? [];
    },
    error: run.data.resultData.error as RunResult['error'],
  };
}

/**
 * What n8n's "Test credential" does with a credential type's test request: resolves its expressions
 * against the credential's data, authenticates it like any request, and sends it.
 */
export async function testCredential(data: CredentialData): Promise<{ status: number; body: unknown }> {
  const credential = credentialTypes.engagementScoreApi;
  const node = actionNode('Credential test', {});
  const workflow = singleNodeWorkflow('credential test', node);
  const resolve = (value: unknown) =>
    isExpression(value)
      ? workflow.expression.getSimpleParameterValue(node, value, 'internal', { $credentials: data }, undefined, '')
      : value;
  const request = credential.test!.request;
  const helper = new TestCredentialsHelper(data);
  const options = await helper.authenticate(
    { ...data },
    'engagementScoreApi',
    { url: String(resolve(request.url)), baseURL: String(resolve(request.baseURL)), method: request.method ?? 'GET' },
    workflow,
    node,
  );
  const response = await fetch(`${options.baseURL}${options.url}`, {
    method: options.method,
    headers: options.headers as Record<string, string>,
  });
  return { status: response.status, body: await response.json() };
}

/** A workflow of one node, inactive, as the editor holds it while a parameter is being edited. */
function singleNodeWorkflow(name: string, node: INode): Workflow {
  return new Workflow({ id: randomUUID(), name, nodes: [node], connections: {}, nodeTypes, active: false, staticData: {}, settings: {} });
}

/** Runs one Engagement Score node on `items`; `settings` are node settings such as `onError`. */
export async function runAction(
  parameters: IDataObject,
  options: { items?: IDataObject[]; credentials: CredentialData; settings?: Partial<INode>; timezone?: string },
): Promise<RunResult & { items: INodeExecutionData[] }> {
  const result = await runWorkflow({
    nodes: [actionNode('Engagement Score', parameters, options.settings)],
    startNode: 'Engagement Score',
    items: options.items,
    credentials: options.credentials,
    timezone: options.timezone,
  });
  return { ...result, items: result.error ? [] : result.output('Engagement Score') };
}

/** Calls one of the action node's listSearch or loadOptions methods as the editor does. */
export async function loadOptions(
  kind: 'listSearch' | 'loadOptions',
  method: string,
  options: { parameters: IDataObject; credentials: CredentialData; filter?: string; paginationToken?: string },
) {
  const node = actionNode('Engagement Score', options.parameters);
  const workflow = singleNodeWorkflow('editor', node);
  const data = additionalData(options.credentials, { currentNodeParameters: node.parameters });
  const context = new LoadOptionsContext(workflow, node, data, 'parameters.profile');
  const methods = (nodeTypeClasses[ACTION_TYPE] as EngagementScore).methods as unknown as Record<
    string,
    Record<string, (this: unknown, filter?: string, paginationToken?: string) => Promise<unknown>>
  >;
  return methods[kind][method].call(context, options.filter, options.paginationToken);
}

/** A workflow holding one trigger node, active, as n8n builds it to call the trigger's webhook methods. */
export function triggerWorkflow(parameters: IDataObject, options: { staticData?: IDataObject; webhookBaseUrl?: string } = {}) {
  const webhookBaseUrl = options.webhookBaseUrl ?? WEBHOOK_BASE_URL;
  const staticData = options.staticData ?? {};
  const node: INode = {
    id: randomUUID(),
    name: 'Engagement Score Trigger',
    type: TRIGGER_TYPE,
    typeVersion: 1,
    position: [0, 0],
    webhookId: randomUUID(),
    parameters: parameters as INode['parameters'],
    credentials: { engagementScoreApi: { id: '1', name: CREDENTIAL_NAME } },
  };
  const workflow = new Workflow({
    id: randomUUID(),
    name: 'VIP going cold',
    nodes: [node],
    connections: {},
    nodeTypes,
    active: true,
    staticData,
    settings: { executionOrder: 'v1' },
  });
  const trigger = nodeTypeClasses[TRIGGER_TYPE] as EngagementScoreTrigger;
  const webhookData = (data: IWorkflowExecuteAdditionalData): IWebhookData => ({
    httpMethod: 'POST',
    node: node.name,
    path: `${node.webhookId}/webhook`,
    webhookDescription: trigger.description.webhooks![0],
    workflowId: workflow.id,
    workflowExecuteAdditionalData: data,
    webhookId: node.webhookId,
  });
  return {
    node,
    workflow,
    /** The URL n8n gives the trigger's webhook (what the subscription must point at). */
    webhookUrl: `${webhookBaseUrl}/${node.webhookId}/webhook`,
    /** The node's static data, where the trigger keeps its subscription id and secret. */
    staticData: () => workflow.staticData[`node:${node.name}`] as IDataObject | undefined,
    hook(credentials: CredentialData) {
      const data = additionalData(credentials, { webhookBaseUrl });
      const context = new HookContext(workflow, node, data, 'trigger', 'activate', webhookData(data));
      return {
        checkExists: () => trigger.webhookMethods.default.checkExists.call(context),
        create: () => trigger.webhookMethods.default.create.call(context),
        delete: () => trigger.webhookMethods.default.delete.call(context),
      };
    },
    /**
     * n8n's "Listen for test event" (packages/cli/src/webhooks/test-webhooks.ts), step by step: the
     * test webhook is registered without static data, the trigger's checkExists/create run in manual
     * mode on a fresh copy of the workflow, and only then is the static data they wrote registered
     * with it (`registerStaticDataAfterMs` delays that, as a slow cache would). Requests to the test
     * URL are served like n8n's test webhook endpoint: a copy of the workflow given the registered
     * static data, webhook() in manual mode, then the workflow runs from the trigger with what it
     * returned (here: trigger → No Operation), and the test webhooks are deactivated (delete()).
     */
    async listenForTestEvent(credentials: CredentialData, options: { registerStaticDataAfterMs?: number } = {}) {
      const answers: number[] = [];
      const executions: IRun[] = [];
      const waiting: Array<(run: IRun) => void> = [];
      let registration: { staticData?: IDataObject } | undefined;
      let deactivated = false;
      const nextNode: INode = { id: randomUUID(), name: 'Next', type: NO_OP_TYPE, typeVersion: 1, position: [200, 0], parameters: {} };
      const toWorkflow = () =>
        new Workflow({
          id: workflow.id,
          name: workflow.name,
          nodes: [node, nextNode],
          connections: { [node.name]: { main: [[{ node: nextNode.name, type: 'main', index: 0 }]] } },
          nodeTypes,
          active: false,
          staticData: {},
          settings: { executionOrder: 'v1' },
        });
      const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          void serveTestWebhook(req, Buffer.concat(chunks), res);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const testBaseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook-test`;
      const hookWorkflow = toWorkflow();
      const hookData = additionalData(credentials, { webhookTestBaseUrl: testBaseUrl });
      const hookContext = new HookContext(hookWorkflow, node, hookData, 'manual', 'manual', { ...webhookData(hookData), isTest: true });

      async function serveTestWebhook(req: http.IncomingMessage, rawBody: Buffer, res: http.ServerResponse) {
        const answer = (status: number, body: unknown) => {
          answers.push(status);
          res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
        };
        if (!registration || deactivated || req.url !== `/webhook-test/${node.webhookId}/webhook`) {
          answer(404, { message: 'The requested webhook is not registered.' });
          return;
        }
        const testWorkflow = toWorkflow();
        if (registration.staticData) testWorkflow.setTestStaticData(registration.staticData);
        const response = new FakeResponse();
        const httpRequest = {
          method: req.method,
          headers: req.headers,
          body: JSON.parse(rawBody.toString('utf8')),
          rawBody,
          params: {},
          query: {},
        };
        const data = additionalData(credentials, {
          webhookTestBaseUrl: testBaseUrl,
          httpRequest,
          httpResponse: response,
        } as unknown as Partial<IWorkflowExecuteAdditionalData>);
        const context = new WebhookContext(testWorkflow, node, data, 'manual', { ...webhookData(data), isTest: true }, [], null);
        const result = await trigger.webhook.call(context);
        if (!result.workflowData) {
          // No execution: n8n keeps listening for the next request.
          answer(response.statusCode, response.body);
          return;
        }
        answer(200, { message: 'Workflow was started' });
        const run = await runFrom(testWorkflow, node.name, result.workflowData, credentials);
        executions.push(run);
        deactivated = true;
        await trigger.webhookMethods.default.delete.call(hookContext);
        waiting.splice(0).forEach((resolve) => resolve(run));
      }

      const close = () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        });
      try {
        registration = {};
        if (!(await trigger.webhookMethods.default.checkExists.call(hookContext)))
          await trigger.webhookMethods.default.create.call(hookContext);
        const register = () => (registration!.staticData = hookWorkflow.staticData);
        if (options.registerStaticDataAfterMs) setTimeout(register, options.registerStaticDataAfterMs);
        else register();
      } catch (error) {
        await close();
        throw error;
      }
      return {
        webhookUrl: `${testBaseUrl}/${node.webhookId}/webhook`,
        /** The static data create() wrote (subscription id and secret). */
        staticData: () => hookWorkflow.staticData[`node:${node.name}`] as IDataObject | undefined,
        /** Status codes the test webhook answered, in order. */
        answers,
        executions,
        /** The first execution the test webhook started. */
        execution(timeoutMs = 10_000): Promise<IRun> {
          if (executions[0] && deactivated) return Promise.resolve(executions[0]);
          return new Promise((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error(`No execution within ${timeoutMs} ms; answers: ${answers.join(', ')}`)),
              timeoutMs,
            );
            waiting.push((run) => {
              clearTimeout(timer);
              resolve(run);
            });
          });
        },
        close,
      };
    },
    /** Calls webhook() as n8n does when a request arrives at the trigger's URL. */
    async receive(request: { headers: Record<string, unknown>; rawBody: Buffer }, credentials: CredentialData) {
      const response = new FakeResponse();
      const httpRequest = {
        method: 'POST',
        headers: request.headers,
        body: JSON.parse(request.rawBody.toString('utf8')),
        rawBody: request.rawBody,
        params: {},
        query: {},
      };
      const data = additionalData(credentials, {
        webhookBaseUrl,
        httpRequest,
        httpResponse: response,
      } as unknown as Partial<IWorkflowExecuteAdditionalData>);
      const context = new WebhookContext(workflow, node, data, 'webhook', webhookData(data), [], null);
      const result = await trigger.webhook.call(context);
      return { result, response };
    },
  };
}

/** Runs a workflow from `startNode` fed with `main`, as n8n runs a workflow a webhook started. */
async function runFrom(workflow: Workflow, startNode: string, main: INodeExecutionData[][], credentials: CredentialData): Promise<IRun> {
  const start = workflow.getNode(startNode)!;
  const data = additionalData(credentials);
  const nodes = Object.values(workflow.nodes);
  const workflowData: IWorkflowBase = {
    id: workflow.id,
    name: workflow.name ?? 'test workflow',
    active: false,
    activeVersionId: null,
    isArchived: false,
    nodes,
    connections: workflow.connectionsBySourceNode,
    createdAt: new Date(),
    updatedAt: new Date(),
  };
  data.hooks = new ExecutionLifecycleHooks('manual', data.executionId!, workflowData);
  const runExecutionData = createRunExecutionData({
    executionData: { nodeExecutionStack: [{ node: start, data: { main }, source: null }] },
  });
  return new WorkflowExecute(data, 'manual', runExecutionData).processRunExecutionData(workflow);
}

/** Records what webhook() answers through the express response. */
export class FakeResponse {
  statusCode = 200;
  body: unknown;
  ended = false;

  status(code: number) {
    this.statusCode = code;
    return this;
  }

  json(body: unknown) {
    this.body = body;
    this.ended = true;
    return this;
  }

  send(body: unknown) {
    return this.json(body);
  }

  end() {
    this.ended = true;
    return this;
  }
}
