import type {
  IDataObject,
  IExecuteFunctions,
  IHookFunctions,
  IHttpRequestMethods,
  IHttpRequestOptions,
  ILoadOptionsFunctions,
  IN8nHttpFullResponse,
  JsonObject,
} from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

export const CREDENTIAL_TYPE = 'engagementScoreApi';

/** Every context the pack calls the service from. */
export type ServiceContext = IExecuteFunctions | ILoadOptionsFunctions | IHookFunctions;

/** One invalid field of a request, as the service names it (`interactions.3.occurredAt`). */
export type FieldError = { path: string; message: string };

/** The service's error answer (RFC 9457 application/problem+json). */
export type Problem = { type?: string; title?: string; status: number; detail?: string; errors?: FieldError[] };

export type ServiceRequest = {
  method: IHttpRequestMethods;
  /** Starts with /v1; ids in it must already be encoded with `pathSegment`. */
  path: string;
  qs?: IDataObject;
  body?: IDataObject;
  /** The input item the request serves, so n8n shows the error next to it. */
  itemIndex?: number;
};

export type ServiceResponse = { statusCode: number; body: unknown };

/** Contact ids are the CRM's own and may hold slashes, spaces or `#`. */
export function pathSegment(value: string): string {
  return encodeURIComponent(value);
}

/**
 * Sends one request with the credential's key and returns the answer whatever its status, so that
 * callers can read the service's problem+json themselves. Network failures still throw.
 */
export async function sendRequest(context: ServiceContext, request: ServiceRequest): Promise<ServiceResponse> {
  const credentials = await context.getCredentials(CREDENTIAL_TYPE);
  const baseUrl = (typeof credentials.baseUrl === 'string' ? credentials.baseUrl : '').replace(/\/+$/, '');
  // n8n leaves an empty object out of the request, but the service wants a JSON body where one is due.
  const emptyBody = request.body !== undefined && Object.keys(request.body).length === 0;
  const options: IHttpRequestOptions = {
    method: request.method,
    url: `${baseUrl}${request.path}`,
    qs: request.qs,
    body: emptyBody ? '{}' : request.body,
    headers: emptyBody ? { 'Content-Type': 'application/json' } : undefined,
    json: true,
    // The service reads a repeated key (`tag=a&tag=b`) as a list.
    arrayFormat: 'repeat',
    ignoreHttpStatusErrors: true,
    returnFullResponse: true,
  };
  let response: IN8nHttpFullResponse;
  try {
    response = (await context.helpers.httpRequestWithAuthentication.call(context, CREDENTIAL_TYPE, options)) as IN8nHttpFullResponse;
  } catch (error) {
    throw new NodeApiError(context.getNode(), error as JsonObject, { itemIndex: request.itemIndex });
  }
  return { statusCode: response.statusCode, body: response.body };
}

/** The answer's body, or a NodeApiError carrying the service's own explanation. */
export async function apiRequest<T = IDataObject>(context: ServiceContext, request: ServiceRequest): Promise<T> {
  const response = await sendRequest(context, request);
  if (response.statusCode >= 400) throw problemError(context, response, { itemIndex: request.itemIndex });
  return response.body as T;
}

/** Like apiRequest, but a 404 answers undefined: for "does it still exist?" questions. */
export async function apiRequestIfFound<T = IDataObject>(context: ServiceContext, request: ServiceRequest): Promise<T | undefined> {
  const response = await sendRequest(context, request);
  if (response.statusCode === 404) return undefined;
  if (response.statusCode >= 400) throw problemError(context, response, { itemIndex: request.itemIndex });
  return response.body as T;
}

/** Reads a problem+json answer; answers that are not one (a proxy's HTML page) still give a status. */
export function readProblem(response: ServiceResponse): Problem {
  const body = response.body;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const candidate = body as Partial<Problem>;
    return {
      type: typeof candidate.type === 'string' ? candidate.type : undefined,
      title: typeof candidate.title === 'string' ? candidate.title : undefined,
      status: response.statusCode,
      detail: typeof candidate.detail === 'string' ? candidate.detail : undefined,
      errors: Array.isArray(candidate.errors) ? candidate.errors.filter(isFieldError) : undefined,
    };
  }
  const text = typeof body === 'string' ? body.trim().slice(0, 300) : '';
  return { status: response.statusCode, detail: text ? `HTTP ${response.statusCode}: ${text}` : undefined };
}

function isFieldError(value: unknown): value is FieldError {
  return (
    !!value &&
    typeof value === 'object' &&
    typeof (value as FieldError).path === 'string' &&
    typeof (value as FieldError).message === 'string'
  );
}

export type ProblemErrorOptions = {
  itemIndex?: number;
  /** Rewrites a field path for the reader, e.g. `interactions.3.type` into `Input item 7 (contact crm-42), type`. */
  describePath?: (path: string) => string;
  /** Only these field errors go into the description (those of one item of a batch). */
  errors?: FieldError[];
  /** Replaces the service's `detail` when the error is about part of the request only. */
  message?: string;
};

/** The service's `detail` becomes the message, its field errors the description. */
export function problemError(context: ServiceContext, response: ServiceResponse, options: ProblemErrorOptions = {}): NodeApiError {
  const problem = readProblem(response);
  const errors = options.errors ?? problem.errors ?? [];
  const describePath = options.describePath ?? ((path: string) => path);
  const description = errors.length > 0 ? errors.map((error) => `${describePath(error.path)}: ${error.message}`).join('\n') : problem.title;
  return new NodeApiError(
    context.getNode(),
    { ...problem },
    {
      message: options.message ?? problem.detail ?? problem.title ?? `The Engagement Score service answered HTTP ${problem.status}`,
      description,
      httpCode: String(problem.status),
      itemIndex: options.itemIndex,
    },
  );
}

type Page<T> = { items: T[]; nextCursor: string | null };

/** The service's page size ceiling for keyset-paginated lists. */
export const MAX_PAGE_SIZE = 1000;

/**
 * Follows `nextCursor` until the list ends or `limit` items were read (no limit: all of them). Pages
 * are as large as the service allows, never larger than what is still wanted.
 */
export async function listAll<T>(context: ServiceContext, request: ServiceRequest, limit?: number): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const wanted = limit === undefined ? MAX_PAGE_SIZE : Math.min(MAX_PAGE_SIZE, limit - items.length);
    const page = await apiRequest<Page<T>>(context, {
      ...request,
      qs: { ...request.qs, limit: wanted, ...(cursor ? { cursor } : {}) },
    });
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && (limit === undefined || items.length < limit));
  return limit === undefined ? items : items.slice(0, limit);
}
