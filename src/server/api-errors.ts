import { WeirError } from "../base/index.ts";

/**
 * An error the API returns, shaped as Neutron's: {"NeutronError": {"type", "message", "detail"}} with the
 * HTTP status Neutron uses for it. Clients (openstackclient, SDKs) match on `type`.
 */
export class ApiError extends WeirError {
  readonly status: number;
  readonly type: string;
  readonly detail: string;

  constructor(status: number, type: string, message: string, detail = "") {
    super(`WEIR_API_${status}`, message);
    this.status = status;
    this.type = type;
    this.detail = detail;
  }

  body(): object {
    return { NeutronError: { type: this.type, message: this.message, detail: this.detail } };
  }
}

export const badRequest = (message: string) => new ApiError(400, "BadRequest", `Bad request: ${message}`);
export const invalidInput = (message: string) =>
  new ApiError(400, "InvalidInput", `Invalid input for operation: ${message}`);
export const notFound = (kind: string, id: string) =>
  new ApiError(404, `${kind}NotFound`, `${kind} ${id} could not be found.`);
export const conflict = (type: string, message: string) => new ApiError(409, type, message);
export const unauthorized = () =>
  new ApiError(
    401,
    "Unauthorized",
    "The request you have made requires authentication: a valid X-Auth-Token header.",
  );
export const forbidden = (action: string) =>
  new ApiError(403, "PolicyNotAuthorized", `(rule:${action}) is disallowed by policy`);
export const noNetworkAvailable = () =>
  new ApiError(
    503,
    "NoNetworkAvailable",
    "Unable to create the network. No tenant network is available for allocation.",
  );
