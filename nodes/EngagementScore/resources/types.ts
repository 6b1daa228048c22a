import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

/** Runs once per input item; what it returns becomes that item's output, paired with it. */
export type ItemOperation = {
  mode: 'perItem';
  properties: INodeProperties[];
  execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject | IDataObject[]>;
};

/** Gets every input item at once, for operations that send them to the service in batches. */
export type BatchOperation = {
  mode: 'batch';
  properties: INodeProperties[];
  execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]>;
};

export type Operation = ItemOperation | BatchOperation;
