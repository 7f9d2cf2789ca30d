/**
 * Port numbers no switch uses, for the sample flows in docs/PIPELINE.md; the renderer writes the names.
 * Features' examples use these, and the document's host context gives patch ports the same numbers.
 */
export const DocPort = {
  patchInt: 65001,
  patchTun: 65002,
  intBrPhys: 65003,
  phyBrPhys: 65004,
  tap: 65010,
  vxlanA: 65020,
  vxlanB: 65021,
} as const;

export const docPortNames: ReadonlyMap<number, string> = new Map([
  [DocPort.patchInt, "<patch-int>"],
  [DocPort.patchTun, "<patch-tun>"],
  [DocPort.intBrPhys, "<int-br-phys>"],
  [DocPort.phyBrPhys, "<phy-br-phys>"],
  [DocPort.tap, "<tap>"],
  [DocPort.vxlanA, "<vxlan-c6120002>"],
  [DocPort.vxlanB, "<vxlan-c6120003>"],
]);
