import { InvalidArgumentError } from "../base/index.ts";

/**
 * The 64-bit flow cookie as Weir lays it out. Nothing else in the code does bit arithmetic on cookies.
 *
 *   63       56 55              40 39        32 31                               0
 *  +-----------+------------------+------------+----------------------------------+
 *  | 0x57 "W"  | generation (16)  | owner class|  object (32): hash of the owner key |
 *  +-----------+------------------+------------+----------------------------------+
 *
 * - The magic byte marks a flow as Weir's: flows with any other cookie are never touched.
 * - The generation is the agent run that installed the flow (Antrea's "round"); a restart installs the
 *   next generation and deletes what is left of older ones.
 * - Owner classes 0x01–0x7e are the agent's core features' (pinned), 0x80–0xfe extensions' (assigned by
 *   the agent and persisted, so that an extension keeps its class across restarts);
 *   0x7f marks flows the switch learned itself (learn action): Weir-made, but data-plane state that
 *   reconciliation must leave alone. 0xff is reserved.
 * - The object is a hash of the owner key (a port id, a network id), so an operator can list one
 *   owner's flows: ovs-ofctl dump-flows br-int cookie=0x<cookie>/0xff0000ffffffffff.
 */
export const COOKIE_MAGIC = 0x57n;
export const LEARNED_CLASS = 0x7f;
export const EXTENSION_CLASS_MIN = 0x80;
export const EXTENSION_CLASS_MAX = 0xfe;

const MAGIC_SHIFT = 56n;
const GENERATION_SHIFT = 40n;
const CLASS_SHIFT = 32n;

/** Selects every Weir flow, whatever its generation or owner (cookie=MAGIC_VALUE/MAGIC_MASK). */
export const MAGIC_MASK = 0xffn << MAGIC_SHIFT;
export const MAGIC_VALUE = COOKIE_MAGIC << MAGIC_SHIFT;
export const GENERATION_MASK = 0xffffn << GENERATION_SHIFT;
/** Selects every flow of one generation: cookie=generationCookie(g)/GENERATION_SELECT_MASK. */
export const GENERATION_SELECT_MASK = MAGIC_MASK | GENERATION_MASK;
export const generationCookie = (generation: number): bigint =>
  MAGIC_VALUE | (BigInt(generation) << GENERATION_SHIFT);

/** Selects the flows the switch learned: cookie=LEARNED_VALUE/LEARNED_MASK. */
export const LEARNED_MASK = MAGIC_MASK | (0xffn << CLASS_SHIFT);
export const LEARNED_VALUE = MAGIC_VALUE | (BigInt(LEARNED_CLASS) << CLASS_SHIFT);

/**
 * The cookie for learn actions' learned flows: LEARNED_CLASS and generation 0, which no agent run uses,
 * so that replacing a generation never deletes what the switch learned.
 */
export const learnedCookie = (object = 0): bigint =>
  makeCookie({ generation: 0, ownerClass: LEARNED_CLASS, object });

/** Selects one owner's flows across generations (magic, class and object). */
export const OWNER_MASK = MAGIC_MASK | (0xffn << CLASS_SHIFT) | 0xffffffffn;
/** Selects one owner class's flows across generations and objects. */
export const CLASS_MASK = MAGIC_MASK | (0xffn << CLASS_SHIFT);

/**
 * Who a flow belongs to: a cookie class (one per feature of the agent) and a key within it (one port,
 * one network…; "" for the class's own flows). A value, compared by `ownerId`, never parsed back.
 */
export interface FlowOwner {
  readonly ownerClass: number;
  readonly key: string;
}

/** The map key of an owner (class and key), for collections of owners. */
export const ownerId = (owner: FlowOwner): string => `${owner.ownerClass}/${owner.key}`;

/** The cookie of `owner`'s flows in `generation`: the key's hash is the object ("" is object 0). */
export const ownerCookie = (generation: number, owner: FlowOwner): bigint =>
  makeCookie({
    generation,
    ownerClass: owner.ownerClass,
    object: owner.key === "" ? 0 : ownerObject(owner.key),
  });

/** cookie/mask listing every flow of one owner class, whatever the generation: ovs-ofctl's `cookie=V/M`. */
export function classSelector(ownerClass: number): { value: bigint; mask: bigint } {
  checkUint("owner class", ownerClass, 0xfe);
  return { value: MAGIC_VALUE | (BigInt(ownerClass) << CLASS_SHIFT), mask: CLASS_MASK };
}

/** The same as ovs-ofctl text: `cookie=0x5700000400000000/0xff0000ff00000000`. */
export function formatClassSelector(ownerClass: number): string {
  const { value, mask } = classSelector(ownerClass);
  return `cookie=0x${value.toString(16)}/0x${mask.toString(16)}`;
}

export interface CookieParts {
  readonly generation: number;
  readonly ownerClass: number;
  readonly object: number;
}

export function makeCookie(parts: CookieParts): bigint {
  checkUint("generation", parts.generation, 0xffff);
  checkUint("owner class", parts.ownerClass, 0xfe);
  if (parts.ownerClass === LEARNED_CLASS && parts.generation !== 0) {
    throw new InvalidArgumentError(
      "cookie generation",
      "learned flows (class 0x7f) always carry generation 0",
    );
  }
  checkUint("object", parts.object, 0xffffffff);
  return (
    MAGIC_VALUE |
    (BigInt(parts.generation) << GENERATION_SHIFT) |
    (BigInt(parts.ownerClass) << CLASS_SHIFT) |
    BigInt(parts.object)
  );
}

export function isWeirCookie(cookie: bigint): boolean {
  return (cookie & MAGIC_MASK) === MAGIC_VALUE;
}

/** The parts of a Weir cookie, or undefined for anyone else's. */
export function cookieParts(cookie: bigint): CookieParts | undefined {
  if (!isWeirCookie(cookie)) return undefined;
  return {
    generation: Number((cookie >> GENERATION_SHIFT) & 0xffffn),
    ownerClass: Number((cookie >> CLASS_SHIFT) & 0xffn),
    object: Number(cookie & 0xffffffffn),
  };
}

/** The generation after `previous` (16 bits, wrapping, never 0 so that 0 can mean "none yet"). */
export function nextGeneration(previous: number | undefined): number {
  if (previous === undefined || previous <= 0 || previous >= 0xffff) return 1;
  return previous + 1;
}

/** FNV-1a, 32 bits: a stable hash of an owner key for the cookie's object bits. */
export function ownerObject(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export function formatCookie(cookie: bigint): string {
  const parts = cookieParts(cookie);
  if (parts === undefined) return `0x${cookie.toString(16)} (not Weir's)`;
  return `0x${cookie.toString(16)} (generation ${parts.generation}, class 0x${parts.ownerClass.toString(16)}, object 0x${parts.object.toString(16)})`;
}

function checkUint(what: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new InvalidArgumentError(`cookie ${what}`, `${value} is outside 0..${max}`);
  }
}
