/**
 * RFC 9457 problem details (`application/problem+json`): every error the admin API and the REST
 * facade answer with.
 */
import { FedmcpError } from '@fedmcp/protocol';
import * as z from 'zod';

/** The body of a problem response. */
export const problemSchema = z
  .object({
    type: z
      .string()
      .describe('A URI naming the kind of problem (`about:blank` for plain HTTP ones).'),
    title: z.string().describe('A short summary of the kind of problem.'),
    status: z.number().int().describe('The HTTP status code.'),
    detail: z.string().optional().describe('What went wrong with this request, and how to fix it.'),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe('Each invalid field of the request, for validation problems.'),
  })
  .meta({ id: 'Problem' });

/** A problem details body. */
export type Problem = z.output<typeof problemSchema>;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** An error a route throws to answer with a problem. */
export class ProblemError extends Error {
  readonly problem: Problem;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    detail: string,
    extra: { errors?: Problem['errors']; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.problem = {
      type: 'about:blank',
      title: TITLES[status] ?? 'Error',
      status,
      detail,
      ...(extra.errors ? { errors: extra.errors } : {}),
    };
    this.headers = extra.headers ?? {};
  }
}

/** The HTTP status of a fedmcp error code. */
const STATUS_OF_CODE: Record<string, number> = {
  INVALID_REQUEST: 400,
  INVALID_PARAMS: 400,
  PARSE_ERROR: 400,
  INVALID_CONFIG: 422,
  NOT_FOUND: 404,
  METHOD_NOT_FOUND: 404,
  POLICY_DENIED: 403,
  CONSENT_REQUIRED: 403,
  UNAUTHENTICATED: 401,
  RATE_LIMITED: 429,
  UPSTREAM_UNAVAILABLE: 502,
  REQUEST_TIMEOUT: 504,
  LOOP_DETECTED: 508,
  STORE_INVALID_ARGUMENT: 400,
  STORE_INVALID_VALUE: 400,
};

/** Turns anything a route threw into a problem: fedmcp errors by code, the rest as a 500. */
export function toProblemError(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  if (FedmcpError.isInstance(error)) {
    const status = STATUS_OF_CODE[error.code] ?? 500;
    return new ProblemError(status, status === 500 ? 'The request failed.' : error.message);
  }
  // Never echo an unexpected error's text: it may carry internals.
  return new ProblemError(500, 'The request failed; the hub logged the cause.');
}

/** The response of a problem (`application/problem+json`, never cached). */
export function problemResponse(error: ProblemError): Response {
  return new Response(JSON.stringify(error.problem), {
    status: error.problem.status,
    headers: {
      'content-type': 'application/problem+json',
      'cache-control': 'no-store',
      ...error.headers,
    },
  });
}

/** The problem of a zod validation failure, naming each invalid field. */
export function validationProblem(
  where: string,
  issues: readonly z.core.$ZodIssue[],
): ProblemError {
  const errors = issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  const first = errors[0];
  return new ProblemError(
    400,
    first ? `Invalid ${first.path}: ${first.message}` : `Invalid ${where}.`,
    { errors },
  );
}
