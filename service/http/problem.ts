import type { NextFunction, Request, Response } from 'express';
import type { z } from 'zod/v4';
import { UseCaseError } from '../app/errors';
import { isDatabaseUnavailable } from '../store/db';

export type FieldError = { path: string; message: string };

/** An error the client can act on, answered as application/problem+json (RFC 9457). */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
    /** Extension members of the problem document (RFC 9457 §3.2). */
    readonly extensions?: Record<string, unknown>,
  ) {
    super(detail);
  }
}

/** The reason phrase of each status, the `title` of its problem document. */
export const problemTitles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(status: number, detail: string, errors?: FieldError[], headers?: Record<string, string>): Problem {
  return new Problem(status, problemTitles[status] ?? 'Error', detail, errors, headers);
}

export const badRequest = (detail: string, errors?: FieldError[]) => problem(400, detail, errors);
export const notFound = (detail: string) => problem(404, detail);
export const conflict = (detail: string) => problem(409, detail);

/** `interactions.3.occurredAt` style paths, prefixed with where the value came from when that helps. */
export function fieldErrors(error: z.ZodError, prefix?: string): FieldError[] {
  return error.issues.map((issue) => {
    const parts = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return {
        path: [...(prefix ? [prefix] : []), ...parts, issue.keys.join(',')].join('.'),
        message: `unknown field(s): ${issue.keys.join(', ')}`,
      };
    }
    const path = [...(prefix ? [prefix] : []), ...parts].join('.') || prefix || '(root)';
    return { path, message: issue.message };
  });
}

export function sendProblem(res: Response, value: Problem): void {
  if (value.headers) res.set(value.headers);
  res
    .status(value.status)
    .type('application/problem+json')
    .send(
      JSON.stringify({
        type: `https://engagement-score.dev/problems/${value.status}`,
        title: value.title,
        status: value.status,
        detail: value.detail,
        ...(value.errors && value.errors.length > 0 ? { errors: value.errors } : {}),
        ...value.extensions,
      }),
    );
}

const useCaseStatus = { not_found: 404, conflict: 409, invalid: 400, precondition_failed: 412, unavailable: 503 } as const;

export function fromUseCase(error: UseCaseError): Problem {
  const status = useCaseStatus[error.kind];
  const headers = error.kind === 'unavailable' ? { 'Retry-After': '1' } : undefined;
  return new Problem(status, problemTitles[status], error.message, error.fields, headers, error.details);
}

type BodyParserError = { type?: string; status?: number; limit?: number; message?: string };

/** CHECK constraints that stand for a rule about input, with the field each one is about. */
const checkConstraints: Record<string, FieldError> = {
  contacts_attributes_size: {
    path: 'attributes',
    message: 'the contact’s attributes would be larger than 64 KB once merged with the stored ones',
  },
};

/** Seconds a client should wait before retrying while the database is unavailable. */
export const UNAVAILABLE_RETRY_SECONDS = 5;

export const databaseUnavailable = () =>
  problem(503, 'The database is unavailable right now; nothing was changed by this request. Retry in a few seconds.', undefined, {
    'Retry-After': String(UNAVAILABLE_RETRY_SECONDS),
  });

/**
 * Last middleware: every error leaves as problem+json. An outage of the database is a 503 with
 * Retry-After; a value PostgreSQL refuses (SQLSTATE class 22, data exception) is the client's 400
 * (input validation should have caught it first; the warning says so). Anything else is a 500. Each
 * is logged once, by the request logger (pino-http reads res.err).
 */
export function errorHandler() {
  return (error: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    if (res.headersSent) {
      res.end();
      return;
    }
    if (error instanceof Problem) {
      sendProblem(res, error);
      return;
    }
    if (error instanceof UseCaseError) {
      sendProblem(res, fromUseCase(error));
      return;
    }
    const parserError = error as BodyParserError;
    switch (parserError?.type) {
      case 'entity.parse.failed':
        sendProblem(
          res,
          badRequest(`The request body is not valid JSON: ${parserError.message ?? 'parse error'}`, [
            { path: '(body)', message: 'invalid JSON' },
          ]),
        );
        return;
      case 'entity.too.large':
        sendProblem(res, problem(413, `The request body is larger than the limit of ${parserError.limit} bytes.`));
        return;
      case 'encoding.unsupported':
      case 'charset.unsupported':
        sendProblem(res, problem(415, parserError.message ?? 'Unsupported encoding'));
        return;
      case 'request.aborted':
        sendProblem(res, badRequest('The request was aborted before its body arrived.'));
        return;
      default:
        break;
    }
    if (typeof parserError?.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
      sendProblem(res, problem(parserError.status, parserError.message ?? 'Bad request'));
      return;
    }
    const { code, constraint } = error as { code?: unknown; constraint?: unknown };
    const check = code === '23514' && typeof constraint === 'string' ? checkConstraints[constraint] : undefined;
    if (check) {
      sendProblem(res, badRequest(`Invalid request: ${check.message}.`, [check]));
      return;
    }
    // The request logger (pino-http) writes one line per request, with res.err, at the level app.ts gives it.
    (res as Response & { err?: Error }).err = error instanceof Error ? error : new Error(String(error));
    if (isDatabaseUnavailable(error)) {
      sendProblem(res, databaseUnavailable());
      return;
    }
    if (typeof code === 'string' && code.startsWith('22')) {
      // Input validation should have caught it: logged as a warning (a 4xx with an error attached).
      sendProblem(res, badRequest(`A value in this request cannot be stored: ${(error as Error).message}.`));
      return;
    }
    sendProblem(res, problem(500, 'Something went wrong on our side; the request id in the X-Request-Id header helps us find it.'));
  };
}
