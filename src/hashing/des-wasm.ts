/**
 * The DES rounds of des_crypt, bsdi_crypt and django_des_crypt as a small WebAssembly module,
 * generated here at first use with digest-wasm.ts's emitter (there is no binary blob to trust).
 *
 * DES is one long dependency chain (each round's output is the next round's input), so what
 * counts is the latency of a round, and JavaScript pays bounds and type checks on every table
 * lookup of it. The module uses eight 64-entry S-box tables with the P permutation merged in
 * (2 KiB, always in the L1 cache, where the JavaScript path's four 4096-entry tables take 64 KiB)
 * and takes each S-box's six input bits straight from R with one rotation and one mask: the E
 * expansion's 6-bit groups are windows of R. crypt's salt swaps bits between group i and group
 * i + 4, and the key is XORed in per group, so a round is eight (rotate, mask, salt, key, lookup)
 * lanes ORed together, about 15 cycles from one round's output to the next one's.
 *
 * Runtimes that refuse to compile WebAssembly at run time (Cloudflare Workers) get `undefined`
 * from desWasm(), and des.ts runs its JavaScript rounds. The known-answer tests and the reference
 * vectors in test/hashing/schemes/des.test.ts check both paths.
 */
import { Code, I32, OP, name, section, uleb, vector } from './digest-wasm';

/** Memory layout (bytes): the S-box tables, the subkeys per round and group, the salt groups, the result. */
const SBOX_AT = 0;
const KEYS_AT = 2048;
const SALT_AT = KEYS_AT + 16 * 8 * 4;
const OUT_AT = SALT_AT + 4 * 4;

/**
 * Right-rotation that brings E's group i (R's bits 4i .. 4i+5 counted from 1 at the most
 * significant end, bit 0 being bit 32) to bits 7..2: the group times 4, a byte offset into its
 * 64-entry i32 table.
 */
function groupRotation(i: number): number {
  return (((25 - 4 * i) % 32) + 32) % 32;
}

/**
 * `des(l, r, count)`: `count` DES encryptions of the pre-permuted block (l, r) with the subkeys and
 * salt in memory, leaving the block (before the final permutation) at OUT_AT. Locals: 0 l, 1 r,
 * 2 count, 3-10 the eight groups, 11 the salt swap.
 */
function emitDes(): Code {
  const c = new Code();
  const G = (i: number): number => 3 + i;
  const SWAP = 11;
  c.op(1, ...uleb(9), I32);
  const round = (x: number, y: number, k: number): void => {
    for (let i = 0; i < 8; i++) c.get(y).i32(groupRotation(i)).op(OP.i32Rotr).i32(0xfc).op(OP.i32And).set(G(i));
    for (let p = 0; p < 4; p++) {
      c.get(G(p)).get(G(p + 4)).op(OP.i32Xor).i32(0).mem(OP.i32Load, SALT_AT + 4 * p).op(OP.i32And).set(SWAP);
      for (const i of [p, p + 4]) c.get(G(i)).get(SWAP).op(OP.i32Xor).i32(0).mem(OP.i32Load, KEYS_AT + 4 * (8 * k + i)).op(OP.i32Xor).set(G(i));
    }
    c.get(x);
    for (let i = 0; i < 8; i++) {
      c.get(G(i)).mem(OP.i32Load, SBOX_AT + 256 * i);
      if (i > 0) c.op(OP.i32Or);
    }
    c.op(OP.i32Xor).set(x);
  };
  c.op(OP.block, 0x40).op(OP.loop, 0x40);
  c.get(2).op(OP.i32Eqz).op(OP.brIf, 1);
  // Two rounds per pass, each updating one half in place; an encryption's output is (R16, L16).
  for (let k = 0; k < 16; k += 2) {
    round(0, 1, k);
    round(1, 0, k + 1);
  }
  c.get(0).get(1).set(0).set(1);
  c.get(2).i32(1).op(OP.i32Sub).set(2);
  c.op(OP.br, 0).op(OP.end).op(OP.end);
  c.i32(0).get(0).mem(OP.i32Store, OUT_AT);
  c.i32(0).get(1).mem(OP.i32Store, OUT_AT + 4);
  c.op(OP.end);
  return c;
}

function buildModule(): Uint8Array<ArrayBuffer> {
  const types = vector([[0x60, 3, I32, I32, I32, 0]]);
  const body = emitDes().bytes;
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(3, vector([[0]])),
    ...section(5, vector([[0x00, 1]])),
    ...section(7, vector([[...name('memory'), 0x02, 0], [...name('des'), 0x00, 0]])),
    ...section(10, vector([[...uleb(body.length), ...body]])),
  ]);
}

interface DesInstance {
  des: (l: number, r: number, count: number) => void;
  words: Int32Array;
}

let instance: DesInstance | null | undefined;

/**
 * The compiled module with its S-box tables loaded (`sboxes`: the 8 × 64 P-permuted S-box
 * outputs), or undefined where the runtime cannot compile WebAssembly at run time.
 */
function desWasm(sboxes: Int32Array): DesInstance | undefined {
  if (instance !== undefined) return instance ?? undefined;
  instance = null;
  try {
    const exports = new WebAssembly.Instance(new WebAssembly.Module(buildModule())).exports as Record<string, unknown>;
    const words = new Int32Array((exports.memory as WebAssembly.Memory).buffer);
    words.set(sboxes, SBOX_AT / 4);
    instance = { des: exports.des as DesInstance['des'], words };
  } catch {
    // No run-time WebAssembly here: des.ts uses its JavaScript rounds.
  }
  return instance ?? undefined;
}

/** Whether the tests asked for the JavaScript rounds (see selectDesWasmForTests). */
let disabled = false;

/** For tests: run the JavaScript rounds (false) or the module (true) from the next call on. */
export function selectDesWasmForTests(enabled: boolean): void {
  disabled = !enabled;
}

/**
 * `count` encryptions of the pre-permuted block (l, r) in the module, with `subkeys` (16 pairs of
 * 24-bit halves, as des.ts's key schedule writes them) and crypt's salt mask over the 24 E-output
 * bit pairs. Returns the block before the final permutation, or undefined where WebAssembly is
 * unavailable.
 */
export function desWasmRounds(sboxes: Int32Array, subkeys: Int32Array, saltBits: number, l: number, r: number, count: number): [number, number] | undefined {
  if (disabled) return undefined;
  const wasm = desWasm(sboxes);
  if (!wasm) return undefined;
  const words = wasm.words;
  // Each half's 24 bits are four 6-bit groups, most significant first; stored times 4 like the groups.
  for (let k = 0; k < 16; k++) {
    const left = subkeys[2 * k] as number;
    const right = subkeys[2 * k + 1] as number;
    const at = KEYS_AT / 4 + 8 * k;
    for (let i = 0; i < 4; i++) {
      words[at + i] = ((left >>> (18 - 6 * i)) & 63) << 2;
      words[at + 4 + i] = ((right >>> (18 - 6 * i)) & 63) << 2;
    }
  }
  for (let p = 0; p < 4; p++) words[SALT_AT / 4 + p] = ((saltBits >>> (18 - 6 * p)) & 63) << 2;
  wasm.des(l, r, count);
  return [words[OUT_AT / 4] as number, words[OUT_AT / 4 + 1] as number];
}
