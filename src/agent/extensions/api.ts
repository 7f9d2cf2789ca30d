/**
 * What an extension module gets from the agent (Neutron's agent API object, consume_api): the flow
 * builders and the few pipeline helpers a feature needs, so that an extension imports nothing of Weir's
 * at run time (only types) and works wherever its file is. docs/EXTENSIONS.md describes the contract.
 * No register helpers: a stage ends with ctx.next(), and the pipeline refuses a flow that writes any
 * other mark (flow-reach.ts), so an extension has no use for the marks' layout.
 */
import { actions, flow, match } from "../../openflow/index.ts";
import { entryMatch } from "../pipeline/dispatcher.ts";
import { on } from "../pipeline/feature.ts";

export const extensionApi = {
  /** Protocol version of this API: an extension may refuse to load on one it does not know. */
  version: 1,
  flow,
  match,
  actions,
  /** Flows on one bridge, as a feature's functions return them. */
  on,
  /** br-int table 0 entry flows: the match for frames not classified yet. */
  entryMatch,
} as const;

export type ExtensionApi = typeof extensionApi;
