/// <reference types="@webgpu/types" />

// WebGPU in Node through Dawn (npm `webgpu`): on a machine without a GPU,
// OpenGL ES on Mesa's llvmpipe via surfaceless EGL, at the compatibility
// feature level, the device requested with the adapter's own limits (the
// defaults allow 128 invocations per workgroup and 128 MiB bindings). The
// `null` backend validates shaders (Tint) and executes nothing.

export type DawnBackend = 'opengles' | 'null' | 'vulkan';

/** Limits the generated models lean on; requested at the adapter's values. */
const LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

export class DawnError extends Error {}

/**
 * Every Dawn instance made, held for the life of the process: callers keep only the device, and
 * a collected instance under a live device aborts the process ("terminate called after throwing
 * an instance of 'std::system_error'"), at random, when the garbage collector runs.
 */
const instances: GPU[] = [];

/** A Dawn device; `label` says which adapter it runs on. */
export async function dawnDevice(backend: DawnBackend = 'opengles'): Promise<{ device: GPUDevice; gpu: GPU; adapter: GPUAdapter; label: string }> {
  process.env.EGL_PLATFORM ??= 'surfaceless';
  let webgpu: { create(flags: string[]): GPU; globals: Record<string, unknown> };
  try {
    webgpu = (await import('webgpu')) as unknown as typeof webgpu;
  } catch (e) {
    // An optional peer: effnet does not install it.
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') throw new DawnError('WebGPU in Node needs the npm package `webgpu` (Dawn), which effnet does not install (npm install webgpu)');
    throw new DawnError(`the npm package \`webgpu\` (Dawn) does not load: ${(e as Error).message}`);
  }
  // GPUBufferUsage and friends, for code written against the browser's globals.
  for (const [k, v] of Object.entries(webgpu.globals)) if (!(k in globalThis)) Object.assign(globalThis, { [k]: v });
  const gpu = webgpu.create([`backend=${backend}`]);
  instances.push(gpu);
  const adapter = await gpu.requestAdapter(backend === 'vulkan' ? {} : ({ featureLevel: 'compatibility' } as GPURequestAdapterOptions));
  if (!adapter)
    throw new DawnError(
      backend === 'opengles'
        ? 'no WebGPU adapter on OpenGL ES: install Mesa (apt-get install libegl-mesa0 libgl1-mesa-dri) and keep EGL_PLATFORM=surfaceless'
        : `no WebGPU adapter for backend=${backend}`,
    );
  const requiredLimits = Object.fromEntries(LIMITS.map((k) => [k, adapter.limits[k]]));
  const device = await adapter.requestDevice({ requiredLimits });
  const info = adapter.info;
  return { device, gpu, adapter, label: [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || backend };
}
