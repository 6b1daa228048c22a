/**
 * What a use case refuses, in its own words; the HTTP layer turns each kind into a status
 * (problem.ts): not found 404, conflict 409, invalid 400 (with the fields), precondition failed 412,
 * unavailable 503 (retry later: what the request waits for is not ready in time).
 */
export type FieldProblem = { path: string; message: string };

export class UseCaseError extends Error {
  constructor(
    readonly kind: 'not_found' | 'conflict' | 'invalid' | 'precondition_failed' | 'unavailable',
    message: string,
    readonly fields?: FieldProblem[],
    /** Extra members of the answer (e.g. the current version of what was edited meanwhile). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const notFound = (message: string) => new UseCaseError('not_found', message);
export const conflict = (message: string) => new UseCaseError('conflict', message);
export const invalid = (message: string, fields: FieldProblem[]) => new UseCaseError('invalid', message, fields);
export const preconditionFailed = (message: string, details?: Record<string, unknown>) =>
  new UseCaseError('precondition_failed', message, undefined, details);
