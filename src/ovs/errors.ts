import { WeirError } from "../base/index.ts";

/** A bridge, port or row that an operation needs does not exist. Nothing was changed. */
export class OvsNotFoundError extends WeirError {
  readonly table: string;
  readonly objectName: string;

  constructor(table: string, name: string, hint = "") {
    super("OVS_NOT_FOUND", `${table} ${JSON.stringify(name)} does not exist${hint ? `: ${hint}` : ""}`);
    this.table = table;
    this.objectName = name;
  }
}

/** The request contradicts what is in OVSDB (e.g. the port exists on another bridge). Nothing was changed. */
export class OvsConflictError extends WeirError {
  constructor(message: string) {
    super("OVS_CONFLICT", message);
  }
}
