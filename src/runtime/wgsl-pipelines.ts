/// <reference types="@webgpu/types" />

// Compute pipelines per device, one per distinct shader text: models alive on
// one device (another variant, the same one at another input size) share the
// layouts and every shader they have in common, compiled once. A pipeline is
// dropped when the last model using it is disposed (WebGPU cannot free one; the
// garbage collector does once nothing holds it), so a process that builds many
// models does not keep them all.

export interface DevicePipelines {
  /** The one bind group layout every kernel uses: arena, weight chunk, Params. */
  layout: GPUBindGroupLayout;
  /** Pipelines for these distinct shaders, in order; Tint's errors (with line:col) reject. `release` when the model is disposed. */
  acquire(shaders: readonly string[], label: string): Promise<{ pipelines: GPUComputePipeline[]; release(): void }>;
}

interface Held {
  pipeline: Promise<GPUComputePipeline>;
  users: number;
}

const devices = new WeakMap<GPUDevice, DevicePipelines>();

export function devicePipelines(device: GPUDevice): DevicePipelines {
  const known = devices.get(device);
  if (known) return known;
  const layout = device.createBindGroupLayout({
    entries: [
      { binding: 0, visibility: 4 /* COMPUTE */, buffer: { type: 'storage' } },
      { binding: 1, visibility: 4, buffer: { type: 'read-only-storage' } },
      { binding: 2, visibility: 4, buffer: { type: 'uniform' } },
    ],
  });
  const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
  const held = new Map<string, Held>();
  const compile = async (code: string, label: string): Promise<GPUComputePipeline> => {
    device.pushErrorScope('validation');
    const made = device.createComputePipelineAsync({ layout: pipelineLayout, compute: { module: device.createShaderModule({ code, label }), entryPoint: 'main' } });
    const error = await device.popErrorScope();
    if (error) {
      made.catch(() => undefined); // the scope's message (Tint's, with line:col) says it better
      throw new Error(`${label}: ${error.message}`);
    }
    try {
      return await made;
    } catch (e) {
      throw new Error(`${label}: ${(e as Error).message}`);
    }
  };
  const release = (codes: readonly string[]) => {
    for (const code of codes) {
      const h = held.get(code);
      if (h && --h.users === 0) held.delete(code);
    }
  };
  const entry: DevicePipelines = {
    layout,
    async acquire(shaders, label) {
      const pending = shaders.map((code, i) => {
        let h = held.get(code);
        if (!h) {
          const made: Held = { pipeline: compile(code, `${label} shader ${i}`), users: 0 };
          // A shader that failed is not kept: the next model asking for it gets the error again.
          made.pipeline.catch(() => held.get(code) === made && held.delete(code));
          held.set(code, (h = made));
        }
        h.users++;
        return h.pipeline;
      });
      let done = false;
      const releaseOnce = () => {
        if (!done) release(shaders);
        done = true;
      };
      try {
        return { pipelines: await Promise.all(pending), release: releaseOnce };
      } catch (e) {
        releaseOnce();
        throw e;
      }
    },
  };
  devices.set(device, entry);
  return entry;
}
