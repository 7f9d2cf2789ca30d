/**
 * The registers the agent's br-int pipeline uses, declared once (as Antrea declares its fields): which
 * register, which bits, what for. Registers are per packet, start at zero when a frame enters a bridge
 * (OVS clears them across patch ports) and survive resubmit and conntrack recirculation.
 *
 *   reg0  bit 0        the frame has been classified by LOCAL_SWITCHING's entry flows
 *   reg0  bits 1..31   stage marks of the core features: bit N = the feature with cookie class N is done
 *   reg1  bits 0..31   stage marks of extensions: bit N = the extension with cookie class 0x80 + N is done
 *
 * Neutron's OVS firewall uses reg5 (port) and reg6 (network); they stay free for the security groups
 * feature, as do the others. reg0 and reg1 are the pipeline's: a feature writes into them only its own
 * marks (its stage's; the entry mark if it has entry flows), by ctx.next() — flow-reach.ts refuses any
 * other write.
 */
import { InvalidArgumentError } from "../../base/index.ts";
import { actions as A, type Action, type Subfield } from "../../openflow/index.ts";

export const ENTRY_MARK: Subfield = A.subfield("reg0", 0, 0);

const CORE_MARKS = "reg0";
const EXTENSION_MARKS = "reg1";
const EXTENSION_CLASS_BASE = 0x80;

/** The highest cookie class whose feature can have a stage (its mark must fit a register). */
export const MAX_CORE_STAGE_CLASS = 31;
export const MAX_EXTENSION_STAGE_CLASS = EXTENSION_CLASS_BASE + 31;

/** The register bit marking the stage of the feature with this cookie class as done. */
export function stageMark(ownerClass: number): Subfield {
  if (ownerClass >= 1 && ownerClass <= MAX_CORE_STAGE_CLASS)
    return A.subfield(CORE_MARKS, ownerClass, ownerClass);
  if (ownerClass >= EXTENSION_CLASS_BASE && ownerClass <= MAX_EXTENSION_STAGE_CLASS) {
    const bit = ownerClass - EXTENSION_CLASS_BASE;
    return A.subfield(EXTENSION_MARKS, bit, bit);
  }
  throw new InvalidArgumentError(
    `cookie class 0x${ownerClass.toString(16)}`,
    "cannot have a pipeline stage (its mark would not fit a register)",
  );
}

/** The registers that hold marks. */
export const MARK_REGISTERS: readonly string[] = [CORE_MARKS, EXTENSION_MARKS];

/**
 * Whose mark a register bit is: "entry" (reg0 bit 0), the cookie class of the stage it marks, or
 * undefined for a bit that is no mark (another register).
 */
export function markAt(field: string, bit: number): "entry" | number | undefined {
  if (field === ENTRY_MARK.field && bit === ENTRY_MARK.start) return "entry";
  if (field === CORE_MARKS) return bit;
  if (field === EXTENSION_MARKS) return EXTENSION_CLASS_BASE + bit;
  return undefined;
}

/** The bits of a subfield as a mask of its whole field. */
export const bitsOf = (sub: Subfield): bigint =>
  ((1n << BigInt(sub.end - sub.start + 1)) - 1n) << BigInt(sub.start);

/** A match spec entry: `mark` is clear. */
export function markClear(mark: Subfield): Record<string, readonly [bigint, bigint]> {
  return { [mark.field]: [0n, 1n << BigInt(mark.start)] };
}

/** Sets a one-bit mark. */
export const setMark = (mark: Subfield): Action => A.load(1, mark);
