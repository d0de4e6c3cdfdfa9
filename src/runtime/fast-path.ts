/// <reference types="@webgpu/types" />

// Which engine should run a model for this user: the WebGPU model when there is a
// real GPU behind WebGPU, the CPU path (tfjs wasm, ONNX Runtime Web wasm on an
// exported model) otherwise. A software WebGPU adapter (Chromium's SwiftShader,
// Mesa's llvmpipe or lavapipe under Dawn, Windows' WARP) runs the WGSL model, but
// measured in headless Chromium it takes ~20× what ONNX Runtime Web's wasm
// provider takes on the same machine (`npm run bench:browser`), so a page without
// a GPU is served faster by the CPU. Runs in browsers, workers and Node alike:
// it needs nothing but a `GPU` object, by default `navigator.gpu`.

export type Backend = 'webgpu' | 'cpu';

/** What the adapter says about itself, as `GPUAdapterInfo` has it (all optional: older browsers lack some). */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** `adapter.info.isFallbackAdapter` (or the older `adapter.isFallbackAdapter`); undefined when the browser has neither. */
  isFallbackAdapter: boolean | undefined;
}

export interface BackendChoice {
  backend: Backend;
  /** One sentence for the user: why this backend. */
  reason: string;
  /** The adapter that was looked at (when there was one); with `backend: 'webgpu'`, request the device from it. */
  adapter?: GPUAdapter;
  info?: AdapterSummary;
}

export interface ChooseOptions {
  /**
   * Where WebGPU comes from (default `globalThis.navigator?.gpu`); `null` means none.
   * Node passes Dawn's `GPU` (npm `webgpu`).
   */
  gpu?: Pick<GPU, 'requestAdapter'> | null;
  /** Skip the choice: 'webgpu' runs WebGPU even on a software adapter (when there is an adapter at all); 'cpu' never asks for one. */
  force?: Backend;
  /** Passed to `requestAdapter` (e.g. `{ powerPreference: 'high-performance' }`, or Dawn's `featureLevel`). */
  adapterOptions?: GPURequestAdapterOptions;
}

/**
 * Software renderers behind WebGPU, recognised by name in the adapter's info: Dawn on Mesa's
 * llvmpipe reports `isFallbackAdapter: false` with "llvmpipe" in `device`, so the flag alone
 * does not tell. Chromium's SwiftShader reports `architecture: 'swiftshader'` and the flag.
 */
const SOFTWARE = /\b(swiftshader|llvmpipe|lavapipe|softpipe|warp|microsoft basic render)\b/i;

/** The adapter's info as plain strings, whatever the browser fills in. */
export function adapterSummary(adapter: GPUAdapter): AdapterSummary {
  const info = (adapter as { info?: Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean } }).info ?? {};
  const legacy = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const flag = typeof info.isFallbackAdapter === 'boolean' ? info.isFallbackAdapter : typeof legacy === 'boolean' ? legacy : undefined;
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallbackAdapter: flag,
  };
}

/** A short name for the adapter ("google swiftshader", "llvmpipe-llvm-15…"), for messages. */
export function adapterName(info: AdapterSummary): string {
  return [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'an unnamed adapter';
}

/** Why the adapter is a software one ("isFallbackAdapter", or the renderer's name), or undefined for a GPU. */
export function softwareAdapter(info: AdapterSummary): string | undefined {
  if (info.isFallbackAdapter === true) return 'a fallback adapter (isFallbackAdapter)';
  const named = SOFTWARE.exec([info.vendor, info.architecture, info.device, info.description].join(' '));
  return named ? `a software renderer (${named[1]!.toLowerCase()})` : undefined;
}

/**
 * Picks the backend: 'webgpu' with the adapter when WebGPU has a hardware adapter; 'cpu' when
 * `navigator.gpu` is absent, no adapter is given, `requestAdapter` throws, or the adapter is a
 * fallback or software one. `force` overrides the choice (a forced 'webgpu' without any adapter
 * still gets 'cpu', saying so). Never throws.
 */
export async function chooseBackend(options: ChooseOptions = {}): Promise<BackendChoice> {
  if (options.force === 'cpu') return { backend: 'cpu', reason: 'the CPU path was asked for' };
  const gpu = options.gpu === undefined ? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu : options.gpu;
  const forced = options.force === 'webgpu' ? ' (WebGPU was asked for, but cannot run)' : '';
  if (!gpu) return { backend: 'cpu', reason: `this environment has no WebGPU (navigator.gpu is missing)${forced}` };
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter(options.adapterOptions);
  } catch (e) {
    return { backend: 'cpu', reason: `requestAdapter failed: ${(e as Error)?.message ?? String(e)}${forced}` };
  }
  if (!adapter) return { backend: 'cpu', reason: `WebGPU offers no adapter${forced}` };
  const info = adapterSummary(adapter);
  const name = adapterName(info);
  if (options.force === 'webgpu') return { backend: 'webgpu', reason: `WebGPU was asked for: running on ${name}`, adapter, info };
  const software = softwareAdapter(info);
  if (software) return { backend: 'cpu', reason: `the WebGPU adapter, ${name}, is ${software}: the CPU path is faster`, adapter, info };
  return { backend: 'webgpu', reason: `a GPU adapter: ${name}`, adapter, info };
}

/** `force` from a page's query string: `?backend=webgpu` or `?backend=cpu`; anything else chooses. */
export function forcedBackend(search: string): Backend | undefined {
  const value = new URLSearchParams(search).get('backend');
  return value === 'webgpu' || value === 'cpu' ? value : undefined;
}
