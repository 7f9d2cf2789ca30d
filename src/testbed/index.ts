// Namespaced Open vSwitch hosts and VMs for the demo, tests and benchmarks. Never imported by agent/server.
export {
  AGENT_LOG,
  type AgentProcess,
  type AgentSetup,
  addPhysicalBridge,
  agentConfigText,
  agentHostName,
  PHYSICAL_BRIDGE,
  PHYSICAL_NETWORK,
  startAgent,
} from "./agents.ts";
export { knownTestbeds, removeTestbed, testbedOwner } from "./cleanup.ts";
export { CloudApi, type RuleSpec } from "./cloud.ts";
export {
  currentLease,
  type DhcpClient,
  type DhcpClientOptions,
  type DhcpEvent,
  startDhcpClient,
} from "./dhcp-client.ts";
export { type DhcpProbeResult, type DhcpProber, dhcpRequestFrame, startDhcpProber } from "./dhcp-prober.ts";
export { CommandError, ip, run } from "./exec.ts";
export { type Capture, captureFrames, icmpv6ToAllNodes, icmpv6Type, ipv4Dscp, sendFrames } from "./frames.ts";
export { type HostInfo, restartOvsdbServer, restartVswitchd } from "./host.ts";
export { addIdlePorts, type IdlePort, installedCount, waitInstalledCount } from "./idle-ports.ts";
export { withCleanupOnSignal } from "./interrupt.ts";
export {
  canonicalIpv6,
  globalIpv6Addresses,
  ipv6DefaultRouter,
  raPrefixes,
  waitIpv6Configured,
} from "./ipv6.ts";
export { type KeystoneProcess, keystoneInstalled, startKeystone } from "./keystone-process.ts";
export { type HeldConnection, holdTcp, startL4Servers, tcpConnects, udpAnswers } from "./l4.ts";
export { LAB_CIDR, type LabServer, type LabSetup, WeirLab } from "./lab.ts";
export { defaultRunRoot, projectPrefix } from "./names.ts";
export {
  daemonPid,
  type OvsPaths,
  OvsStartError,
  ovsdbTcpPort,
  ovsPaths,
  startOvsdbServer,
  startVswitchd,
  stopOvs,
  vsctl,
} from "./ovs-daemons.ts";
export { wirePlainVxlan } from "./plain-wiring.ts";
export { PreflightError, preflight } from "./preflight.ts";
export { type PreviousRelease, unpackPreviousRelease } from "./previous-release.ts";
export { PROBE_PORT, type ProbeResult, startEchoResponder, startProbe } from "./probe.ts";
export { type PairResult, type ProbePair, probePairs } from "./probe-pairs.ts";
export { isAlive, readPidfile, stopProcess } from "./processes.ts";
export { type ReachabilityCell, reachabilityMatrix, reaches } from "./reachability.ts";
export {
  freeLoopbackPort,
  type ServerProcess,
  startServerProcess,
  stopServerIn,
} from "./server-process.ts";
export { measureThroughput, startTcpStream, type TcpInterval, type TcpStreamResult } from "./tcp-stream.ts";
export {
  defaultVmIp,
  maxHosts,
  maxVmsPerHost,
  Testbed,
  TestbedExistsError,
  type TestbedInfo,
  type TestbedSpec,
  type TestbedStatus,
} from "./testbed.ts";
export { makeFirewallPriorityVariant, type VariantBuild } from "./variant-build.ts";
export { destroyVm, plugVif, randomNeutronMac, type VmInfo, type VmSpec } from "./vm.ts";
