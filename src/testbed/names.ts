import { InvalidArgumentError } from "../base/index.ts";

/**
 * Everything the testbed creates carries the project's prefix, so that leftovers of a crashed run can be
 * found and removed without touching anything else on the machine:
 *
 *   network namespaces   weir-<testbed>-ul, weir-<testbed>-h<N>, weir-<testbed>-h<N>-vm<M>
 *   run directories      <runRoot>/<testbed>/ (daemons' sockets, databases, logs, pidfiles)
 *
 * Interfaces live only inside those namespaces, so they need no prefix and vanish with them.
 * Testbed names have no "-", so one testbed's prefix is never a prefix of another's.
 */
export const projectPrefix = "weir-";

export const defaultRunRoot = "/run/weir/testbed";

const testbedNamePattern = /^[a-z][a-z0-9]{0,11}$/;

export function checkTestbedName(name: string): string {
  if (!testbedNamePattern.test(name)) {
    throw new InvalidArgumentError(
      "name",
      `${JSON.stringify(name)} must be 1-12 lowercase letters or digits, starting with a letter`,
    );
  }
  return name;
}

export function namespacePrefix(testbed: string): string {
  return `${projectPrefix}${testbed}-`;
}

export const underlayNamespace = (testbed: string) => `${namespacePrefix(testbed)}ul`;
export const hostName = (index: number) => `h${index}`;
export const hostNamespace = (testbed: string, host: string) => `${namespacePrefix(testbed)}${host}`;
export const vmNamespace = (testbed: string, vm: string) => `${namespacePrefix(testbed)}${vm}`;

/** Nova/os-vif names the VIF after the Neutron port: "tap" + the first 11 characters of its id. */
export const tapName = (portId: string) => `tap${portId.slice(0, 11)}`;

/** The testbed a namespace belongs to, if it is one of ours. */
export function testbedOfNamespace(namespace: string): string | undefined {
  if (!namespace.startsWith(projectPrefix)) return undefined;
  const rest = namespace.slice(projectPrefix.length);
  const dash = rest.indexOf("-");
  const name = dash < 0 ? rest : rest.slice(0, dash);
  return testbedNamePattern.test(name) && dash > 0 ? name : undefined;
}
