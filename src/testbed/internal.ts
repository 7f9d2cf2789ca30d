// For tests only: the testbed's naming rules behind index.ts.
export { checkTestbedName, tapName, testbedOfNamespace } from "./names.ts";
