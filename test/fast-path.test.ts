import { afterAll, describe, expect, it } from 'vitest';
import { adapterSummary, chooseBackend, forcedBackend, softwareAdapter, type ChooseOptions } from '../src/runtime/fast-path.js';
import { dawnDevice } from '../src/wgsl/dawn.js';

// chooseBackend (src/runtime/fast-path.ts): the CPU path without WebGPU, without an adapter, or on a
// software adapter, WebGPU on a GPU, and `force`. Fake GPU objects carry what real ones report
// (Chromium 156 on SwiftShader: vendor 'google', architecture 'swiftshader', isFallbackAdapter true;
// Dawn on Mesa's llvmpipe: isFallbackAdapter false, "llvmpipe-…" in `device`); one check runs on Dawn.

type Gpu = NonNullable<ChooseOptions['gpu']>;

function fakeGpu(info: Partial<GPUAdapterInfo & { isFallbackAdapter: boolean }> | null, legacyFlag?: boolean): Gpu & { asked: (GPURequestAdapterOptions | undefined)[] } {
  const asked: (GPURequestAdapterOptions | undefined)[] = [];
  return {
    asked,
    requestAdapter: async (options?: GPURequestAdapterOptions) => {
      asked.push(options);
      if (info === null) return null;
      return { info, ...(legacyFlag === undefined ? {} : { isFallbackAdapter: legacyFlag }) } as unknown as GPUAdapter;
    },
  };
}

const swiftshader = { vendor: 'google', architecture: 'swiftshader', device: '', description: '', isFallbackAdapter: true };
const llvmpipe = { vendor: '', architecture: '', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6', isFallbackAdapter: false };
const nvidia = { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200', isFallbackAdapter: false };

describe('chooseBackend with fake GPUs', () => {
  it('picks the CPU when there is no WebGPU at all, and says so', async () => {
    const choice = await chooseBackend({ gpu: null });
    expect(choice).toEqual({ backend: 'cpu', reason: 'this environment has no WebGPU (navigator.gpu is missing)' });
  });

  it('reads navigator.gpu by default (Node has none)', async () => {
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeUndefined();
    expect((await chooseBackend()).backend).toBe('cpu');
  });

  it('picks the CPU when WebGPU offers no adapter, or requestAdapter throws', async () => {
    expect(await chooseBackend({ gpu: fakeGpu(null) })).toEqual({ backend: 'cpu', reason: 'WebGPU offers no adapter' });
    const throwing: Gpu = { requestAdapter: () => Promise.reject(new Error('GPU process crashed')) };
    expect(await chooseBackend({ gpu: throwing })).toEqual({ backend: 'cpu', reason: 'requestAdapter failed: GPU process crashed' });
  });

  it('picks the CPU on SwiftShader (the fallback flag) and keeps the adapter it looked at', async () => {
    const choice = await chooseBackend({ gpu: fakeGpu(swiftshader) });
    expect(choice.backend).toBe('cpu');
    expect(choice.reason).toBe('the WebGPU adapter, google swiftshader, is a fallback adapter (isFallbackAdapter): the CPU path is faster');
    expect(choice.adapter).toBeDefined();
    expect(choice.info?.isFallbackAdapter).toBe(true);
  });

  it('picks the CPU on llvmpipe, which does not set the flag, by its name', async () => {
    const choice = await chooseBackend({ gpu: fakeGpu(llvmpipe) });
    expect(choice.backend).toBe('cpu');
    expect(choice.reason).toMatch(/is a software renderer \(llvmpipe\): the CPU path is faster$/);
  });

  it('recognises SwiftShader by name when a browser sets no flag, and the older adapter.isFallbackAdapter', async () => {
    expect((await chooseBackend({ gpu: fakeGpu({ vendor: 'google', architecture: 'swiftshader' }) })).backend).toBe('cpu');
    expect((await chooseBackend({ gpu: fakeGpu({ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' }) })).backend).toBe('cpu');
    expect((await chooseBackend({ gpu: fakeGpu({ vendor: 'acme', architecture: 'x' }, true) })).reason).toMatch(/fallback adapter/);
  });

  it('picks WebGPU on a GPU and hands over the adapter', async () => {
    const gpu = fakeGpu(nvidia);
    const choice = await chooseBackend({ gpu, adapterOptions: { powerPreference: 'high-performance' } });
    expect(choice.backend).toBe('webgpu');
    expect(choice.reason).toBe('a GPU adapter: nvidia hopper NVIDIA H200');
    expect(choice.adapter).toBeDefined();
    expect(gpu.asked).toEqual([{ powerPreference: 'high-performance' }]);
  });

  it("force: 'webgpu' runs WebGPU on a software adapter, but cannot conjure one", async () => {
    const forced = await chooseBackend({ gpu: fakeGpu(swiftshader), force: 'webgpu' });
    expect(forced.backend).toBe('webgpu');
    expect(forced.reason).toBe('WebGPU was asked for: running on google swiftshader');
    expect(await chooseBackend({ gpu: null, force: 'webgpu' })).toEqual({ backend: 'cpu', reason: 'this environment has no WebGPU (navigator.gpu is missing) (WebGPU was asked for, but cannot run)' });
    expect((await chooseBackend({ gpu: fakeGpu(null), force: 'webgpu' })).backend).toBe('cpu');
  });

  it("force: 'cpu' never asks for an adapter", async () => {
    const gpu = fakeGpu(nvidia);
    expect(await chooseBackend({ gpu, force: 'cpu' })).toEqual({ backend: 'cpu', reason: 'the CPU path was asked for' });
    expect(gpu.asked).toEqual([]);
  });

  it('softwareAdapter and adapterSummary: real GPUs are not mistaken for software ones', () => {
    const summary = (info: object) => adapterSummary({ info } as unknown as GPUAdapter);
    expect(softwareAdapter(summary(nvidia))).toBeUndefined();
    expect(softwareAdapter(summary({ vendor: 'apple', architecture: 'metal-3' }))).toBeUndefined();
    expect(softwareAdapter(summary({ vendor: 'intel', architecture: 'gen-12lp', description: 'warpdrive' }))).toBeUndefined();
    expect(summary({})).toEqual({ vendor: '', architecture: '', device: '', description: '', isFallbackAdapter: undefined });
  });

  it('forcedBackend reads ?backend=', () => {
    expect(forcedBackend('?backend=webgpu')).toBe('webgpu');
    expect(forcedBackend('?x=1&backend=cpu')).toBe('cpu');
    expect(forcedBackend('?backend=gpu')).toBeUndefined();
    expect(forcedBackend('')).toBeUndefined();
  });
});

describe('chooseBackend on Dawn (OpenGL ES on llvmpipe)', () => {
  let dawn: Awaited<ReturnType<typeof dawnDevice>> | undefined;
  afterAll(() => dawn?.device.destroy());

  it('reads what llvmpipe reports (no fallback flag, its name in device) and picks the CPU; forced WebGPU gets the adapter', async () => {
    dawn = await dawnDevice('opengles');
    const adapterOptions = { featureLevel: 'compatibility' } as GPURequestAdapterOptions;
    const choice = await chooseBackend({ gpu: dawn.gpu, adapterOptions });
    expect(choice.info?.isFallbackAdapter).toBe(false);
    expect(choice.info?.device).toMatch(/^llvmpipe/);
    expect(choice.backend).toBe('cpu');
    expect(choice.reason).toMatch(/software renderer \(llvmpipe\)/);
    const forced = await chooseBackend({ gpu: dawn.gpu, adapterOptions, force: 'webgpu' });
    expect(forced.backend).toBe('webgpu');
    expect(forced.adapter?.limits.maxComputeWorkgroupSizeX).toBeGreaterThanOrEqual(128);
  }, 60_000);
});
