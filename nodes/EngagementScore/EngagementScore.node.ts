import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import { getBands, searchContacts, searchProfiles, searchSegments } from './methods';
import { operations, properties } from './resources';
import { asNodeError, errorItem } from './resources/errors';

export class EngagementScore implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Engagement Score',
    name: 'engagementScore',
    icon: { light: 'file:engagementScore.svg', dark: 'file:engagementScore.dark.svg' },
    group: ['transform'],
    // 2: contacts are listed by Get Many (`getAll`; version 1 stored `filter`) and Score Get is simplified by default.
    version: [1, 2],
    defaultVersion: 2,
    subtitle: '={{ $parameter["operation"] + ": " + $parameter["resource"] }}',
    description:
      'Read and update engagement scores, list contacts by score or saved segment, manage segments, record interactions and publish profiles',
    defaults: { name: 'Engagement Score' },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    credentials: [{ name: 'engagementScoreApi', required: true }],
    properties,
  };

  methods = {
    listSearch: { searchContacts, searchProfiles, searchSegments },
    loadOptions: { getBands },
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const items = this.getInputData();
    const resource = String(this.getNodeParameter('resource', 0));
    const operationName = String(this.getNodeParameter('operation', 0));
    const operation = operations[resource]?.[operationName];
    if (!operation) throw new NodeOperationError(this.getNode(), `The operation "${operationName}" of "${resource}" is not supported`);

    if (operation.mode === 'batch') return [await operation.execute.call(this, items)];

    const output: INodeExecutionData[] = [];
    for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
      try {
        const result = await operation.execute.call(this, itemIndex);
        for (const json of Array.isArray(result) ? result : [result]) output.push({ json, pairedItem: { item: itemIndex } });
      } catch (error) {
        const nodeError = asNodeError(this.getNode(), error, itemIndex);
        if (!this.continueOnFail()) throw nodeError;
        output.push(errorItem(nodeError, itemIndex));
      }
    }
    return [output];
  }
}
