import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InvalidArgumentError, WeirError } from "../base/index.ts";
import { knownTestbeds, ownedNamespaces, removeTestbed } from "./cleanup.ts";
import { createHost, type HostInfo } from "./host.ts";
import { checkTestbedName, defaultRunRoot } from "./names.ts";
import { daemonPid, ovsPaths } from "./ovs-daemons.ts";
import { raiseSocketBuffers } from "./socket-buffers.ts";
import { createUnderlay, underlayCidr } from "./underlay.ts";
import { createVm, type VmInfo, type VmSpec } from "./vm.ts";

export interface TestbedSpec {
  readonly name: string;
  readonly hosts: number;
  readonly vmsPerHost?: number;
  /** Who made it: "test" testbeds are swept by the test runner; others only by `down`. */
  readonly owner?: string;
  readonly runRoot?: string;
}

export interface TestbedInfo {
  readonly name: string;
  readonly runDir: string;
  readonly underlay: { readonly namespace: string; readonly cidr: string };
  readonly hosts: readonly HostInfo[];
  readonly vms: readonly VmInfo[];
}

export class TestbedExistsError extends WeirError {
  constructor(name: string) {
    super(
      "WEIR_TESTBED_EXISTS",
      `testbed ${name} already exists; remove it with: weir testbed down --name ${name}`,
    );
  }
}

export const maxHosts = 50;
export const maxVmsPerHost = 200;

/**
 * A running testbed. `Testbed.up` builds it (and removes whatever it built if any step fails); `down`
 * removes it. Its description is saved in <runDir>/testbed.json so that `weir testbed status|down` and
 * later processes (the demo, benchmarks) find it.
 */
export class Testbed {
  readonly info: TestbedInfo;
  readonly #runRoot: string;
  #vms: VmInfo[];

  private constructor(info: TestbedInfo, runRoot: string) {
    this.info = info;
    this.#runRoot = runRoot;
    this.#vms = [...info.vms];
  }

  static async up(spec: TestbedSpec): Promise<Testbed> {
    const name = checkTestbedName(spec.name);
    const vmsPerHost = spec.vmsPerHost ?? 0;
    checkCount("hosts", spec.hosts, 1, maxHosts);
    checkCount("vms-per-host", vmsPerHost, 0, maxVmsPerHost);
    const runRoot = spec.runRoot ?? defaultRunRoot;
    if ((await knownTestbeds(runRoot)).includes(name)) throw new TestbedExistsError(name);
    const runDir = join(runRoot, name);
    await mkdir(runDir, { recursive: true });
    // Written first, so that a crash at any later step still leaves a marker saying whose leftovers these are.
    await writeFile(join(runDir, "owner"), `${spec.owner ?? "user"}\n`);
    try {
      await raiseSocketBuffers(runRoot);
      const underlay = await createUnderlay(name);
      const hosts = await Promise.all(
        Array.from({ length: spec.hosts }, (_, i) => createHost(name, i + 1, runDir)),
      );
      const vms: VmInfo[] = [];
      for (const host of hosts) {
        for (let v = 1; v <= vmsPerHost; v++) {
          vms.push(
            await createVm(name, host, { name: `${host.name}-vm${v}`, ip: defaultVmIp(host.index, v) }),
          );
        }
      }
      const testbed = new Testbed(
        {
          name,
          runDir,
          underlay: { namespace: underlay, cidr: `${underlayCidr.network}/${underlayCidr.prefixLength}` },
          hosts,
          vms,
        },
        runRoot,
      );
      await testbed.#save();
      return testbed;
    } catch (error) {
      await removeTestbed(runRoot, name);
      throw error;
    }
  }

  /** Opens a running testbed from its saved description. */
  static async open(name: string, runRoot = defaultRunRoot): Promise<Testbed> {
    checkTestbedName(name);
    let text: string;
    try {
      text = await readFile(join(runRoot, name, "testbed.json"), "utf8");
    } catch {
      throw new WeirError(
        "WEIR_TESTBED_NOT_FOUND",
        `no testbed named ${name} (nothing in ${join(runRoot, name)})`,
      );
    }
    return new Testbed(JSON.parse(text) as TestbedInfo, runRoot);
  }

  /** Removes everything testbed `name` made, also leftovers of a crashed run. */
  static down(name: string, runRoot = defaultRunRoot): Promise<string[]> {
    return removeTestbed(runRoot, checkTestbedName(name));
  }

  get vms(): readonly VmInfo[] {
    return this.#vms;
  }

  host(name: string): HostInfo {
    const host = this.info.hosts.find((h) => h.name === name);
    if (host === undefined)
      throw new InvalidArgumentError("host", `testbed ${this.info.name} has no host ${name}`);
    return host;
  }

  vm(name: string): VmInfo {
    const vm = this.#vms.find((v) => v.name === name);
    if (vm === undefined) throw new InvalidArgumentError("vm", `testbed ${this.info.name} has no VM ${name}`);
    return vm;
  }

  async addVm(hostName: string, spec: VmSpec): Promise<VmInfo> {
    const vm = await createVm(this.info.name, this.host(hostName), spec);
    this.#vms.push(vm);
    await this.#save();
    return vm;
  }

  describe(): TestbedInfo {
    return { ...this.info, vms: [...this.#vms] };
  }

  async down(): Promise<string[]> {
    return removeTestbed(this.#runRoot, this.info.name);
  }

  /** Which daemons and namespaces are still there. */
  async status(): Promise<TestbedStatus> {
    const namespaces = new Set(await ownedNamespaces(this.info.name));
    const hosts = await Promise.all(
      this.info.hosts.map(async (host) => {
        const paths = ovsPaths(host.runDir);
        return {
          name: host.name,
          namespace: namespaces.has(host.namespace),
          ovsdbServerPid: (await daemonPid(paths, "ovsdb-server")) ?? null,
          vswitchdPid: (await daemonPid(paths, "ovs-vswitchd")) ?? null,
        };
      }),
    );
    const vms = this.#vms.map((vm) => ({ name: vm.name, namespace: namespaces.has(vm.namespace) }));
    const healthy =
      namespaces.has(this.info.underlay.namespace) &&
      hosts.every((h) => h.namespace && h.ovsdbServerPid !== null && h.vswitchdPid !== null) &&
      vms.every((v) => v.namespace);
    return { name: this.info.name, healthy, hosts, vms };
  }

  async #save(): Promise<void> {
    await writeFile(join(this.info.runDir, "testbed.json"), `${JSON.stringify(this.describe(), null, 2)}\n`);
  }
}

export interface TestbedStatus {
  readonly name: string;
  readonly healthy: boolean;
  readonly hosts: readonly {
    name: string;
    namespace: boolean;
    ovsdbServerPid: number | null;
    vswitchdPid: number | null;
  }[];
  readonly vms: readonly { name: string; namespace: boolean }[];
}

/** VM <v> on host <h> gets 198.19.<h>.<v>/16 unless told otherwise. */
export function defaultVmIp(hostIndex: number, vmIndex: number): string {
  return `198.19.${hostIndex}.${vmIndex}`;
}

function checkCount(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(field, `must be an integer from ${min} to ${max}, got ${value}`);
  }
}
