/**
 * The Lua heap's limit, inside an isolate (see lua-isolate-main.ts).
 *
 * The Lua interpreter is WebAssembly: its heap is one linear memory that
 * the module grows (`memory.grow`) whenever `malloc` runs out, up to the
 * 2 GiB the build allows. Refusing a grow past `memory_limit` makes that
 * `malloc` fail, which Lua turns into its ordinary "not enough memory"
 * error, raised in the script that asked: `string.rep("x", 1e9)` fails at
 * once instead of growing the heap for seconds.
 *
 * Why here and not a counting allocator: wasmoon can route every Lua
 * allocation through a JS function that counts (`traceAllocations`), but
 * that costs a JS call per allocation on the per-message path, while a
 * grow happens a few times in a heap's life. The isolate owns its
 * WebAssembly module, so capping every memory of the thread caps exactly
 * this function's heap.
 * @internal
 */

interface GrowableMemory {
  readonly buffer: ArrayBufferLike;
  grow(delta: number): number;
}

interface WasmMemoryGlobal {
  readonly Memory: { readonly prototype: GrowableMemory };
}

const PAGE = 65_536;
let capped = false;
let reached = false;

/**
 * Caps every WebAssembly memory of this thread at `limit` bytes. Call once,
 * before the Lua module is instantiated. Also quiets the module's own
 * complaints about a refused grow (it writes them to `console.error`, which
 * would put two lines on the process's stderr for every failed
 * allocation); the call that failed reports it instead.
 */
export function capWasmMemory(limit: number): void {
  if (capped) return;
  capped = true;
  const proto = (globalThis as unknown as { WebAssembly: WasmMemoryGlobal }).WebAssembly.Memory.prototype;
  const grow = proto.grow;
  proto.grow = function (this: GrowableMemory, delta: number): number {
    if (this.buffer.byteLength + delta * PAGE > limit) {
      reached = true;
      throw new RangeError(`memory_limit of ${limit} bytes reached`);
    }
    return grow.call(this, delta);
  };
  const printError = console.error.bind(console);
  console.error = (...args: unknown[]) => {
    const first = args[0];
    if (typeof first === 'string' && /^(growMemory: |Failed to grow the heap|Cannot enlarge memory)/.test(first)) return;
    printError(...args);
  };
}

/** Whether a grow was refused since the last call; clears the flag. */
export function takeLimitReached(): boolean {
  const was = reached;
  reached = false;
  return was;
}
