import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod/v4';
import { badRequest, fieldErrors, problem } from './problem';
import { unstorableInput } from './storable';

export type Role = 'reader' | 'writer' | 'admin' | 'automation';
type HumanRole = Exclude<Role, 'automation'>;

const roleRank: Record<HumanRole, number> = { reader: 1, writer: 2, admin: 3 };

export type AuthContext = {
  workspaceId: string;
  workspaceName: string;
  role: Role;
  keyId: string;
  keyName: string | null;
};

type AnySchema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export type HandlerInput<P, Q, B> = {
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
  auth: AuthContext;
  req: Request;
  res: Response;
};

export type RouteDefinition<
  P extends AnySchema | undefined = AnySchema | undefined,
  Q extends AnySchema | undefined = AnySchema | undefined,
  B extends AnySchema | undefined = AnySchema | undefined,
> = {
  method: 'get' | 'post' | 'put' | 'delete';
  /** Express-style path, e.g. `/v1/contacts/:contactId`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Lowest role allowed, or `public` for unauthenticated operational endpoints. */
  role: HumanRole | 'public';
  /**
   * Automation keys may call it although it needs more than reading (recording interactions, managing
   * subscriptions). Automation keys may call every reader route and these, nothing else.
   */
  automation?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  /** Status of a successful answer (200 unless said). A handler returning undefined answers with no body. */
  status?: number;
  response?: AnySchema;
  responseDescription?: string;
  /** Extra documented error statuses besides the ones every authenticated route has. */
  errors?: number[];
  handler: (input: HandlerInput<P, Q, B>) => unknown;
};

/** Every route is declared once: the same definition validates requests and generates /openapi.json. */
export class RouteRegistry {
  readonly routes: RouteDefinition[] = [];

  add<P extends AnySchema | undefined, Q extends AnySchema | undefined, B extends AnySchema | undefined>(
    definition: RouteDefinition<P, Q, B>,
  ): void {
    this.routes.push(definition);
  }

  mount(router: Router, authenticate: RequestHandler): void {
    for (const route of this.routes) {
      const handlers: RequestHandler[] = [];
      if (route.role !== 'public') handlers.push(authenticate, requireRole(route.role, route.automation === true));
      handlers.push(validateAndRun(route));
      router[route.method](route.path, ...handlers);
    }
  }
}

/** Whether a key of this role may call a route that needs `needed` (and is open to automation keys or not). */
export function roleAllows(role: Role, needed: HumanRole, automation: boolean): boolean {
  if (role === 'automation') return needed === 'reader' || automation;
  return roleRank[role] >= roleRank[needed];
}

function requireRole(role: HumanRole, automation: boolean): RequestHandler {
  return (req, _res, next) => {
    const auth = (req as AuthenticatedRequest).auth;
    if (!roleAllows(auth.role, role, automation)) {
      next(
        problem(
          403,
          auth.role === 'automation'
            ? `This operation needs the ${role} role; automation keys may read, record interactions and manage subscriptions only.`
            : `This operation needs the ${role} role; the API key used has the ${auth.role} role.`,
        ),
      );
      return;
    }
    next();
  };
}

/** Lets a handler pick the status of a successful answer (e.g. 201 for an upsert that created). */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

export type AuthenticatedRequest = Request & { auth: AuthContext };

function parseOrThrow(schema: AnySchema | undefined, value: unknown, what: string) {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (!result.success) {
    throw badRequest(`Invalid ${what}: ${result.error.issues.length} problem(s), see errors.`, fieldErrors(result.error));
  }
  return result.data;
}

function validateAndRun(route: RouteDefinition): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const unstorable = [...unstorableInput(req.params), ...unstorableInput(req.query), ...unstorableInput(req.body)];
      if (unstorable.length > 0)
        throw badRequest(
          `The request holds ${unstorable.length === 1 ? 'a value' : 'values'} that cannot be accepted, see errors.`,
          unstorable,
        );
      const params = parseOrThrow(route.params, req.params, 'path parameters');
      const query = parseOrThrow(route.query, req.query, 'query parameters');
      if (route.body && req.body === undefined && !route.body.safeParse(undefined).success) {
        throw badRequest('This operation needs a JSON request body (Content-Type: application/json).', [
          { path: '(body)', message: 'missing' },
        ]);
      }
      const body = parseOrThrow(route.body, req.body, 'request body');
      const result = await route.handler({ params, query, body, auth: (req as AuthenticatedRequest).auth, req, res });
      if (res.headersSent) return;
      if (result instanceof Reply) {
        res.status(result.status).json(result.body);
      } else if (result === undefined) {
        res.status(route.status ?? 204).end();
      } else {
        res.status(route.status ?? 200).json(result);
      }
    } catch (error) {
      next(error);
    }
  };
}
