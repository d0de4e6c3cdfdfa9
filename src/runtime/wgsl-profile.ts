/// <reference types="@webgpu/types" />

// Where a WGSL model's time goes, dispatch by dispatch. With the device's `timestamp-query`
// feature, every dispatch gets its own compute pass with timestamp writes, all in one submit:
// GPU time, without the host's submit and wait in it. Without the feature (Dawn's compatibility
// mode, most software adapters, a device requested without it), each dispatch is submitted alone
// and timed on the host around `onSubmittedWorkDone`.

export interface DispatchTime {
  layer: string;
  kind: string;
  ms: number;
  /** `gpu`: the pass's timestamps; `host`: submit to done, one dispatch per submit. */
  timing: 'gpu' | 'host';
}

/** One dispatch as the profiler records it: encode it into a pass. */
export interface ProfiledStep {
  layer: string;
  kind: string;
  encode(pass: GPUComputePassEncoder): void;
}

const MAP_READ = 0x1;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const QUERY_RESOLVE = 0x200;
const MAP_MODE_READ = 0x1;

export async function profileDispatches(device: GPUDevice, steps: readonly ProfiledStep[]): Promise<DispatchTime[]> {
  return device.features?.has('timestamp-query') ? gpuTimes(device, steps) : hostTimes(device, steps);
}

async function gpuTimes(device: GPUDevice, steps: readonly ProfiledStep[]): Promise<DispatchTime[]> {
  const count = 2 * steps.length;
  const querySet = device.createQuerySet({ type: 'timestamp', count });
  const resolved = device.createBuffer({ size: count * 8, usage: QUERY_RESOLVE | COPY_SRC });
  const read = device.createBuffer({ size: count * 8, usage: MAP_READ | COPY_DST });
  try {
    const encoder = device.createCommandEncoder();
    for (const [i, s] of steps.entries()) {
      const pass = encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
      s.encode(pass);
      pass.end();
    }
    encoder.resolveQuerySet(querySet, 0, count, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, read, 0, count * 8);
    device.queue.submit([encoder.finish()]);
    await read.mapAsync(MAP_MODE_READ);
    const ns = new BigUint64Array(read.getMappedRange().slice(0));
    read.unmap();
    // Timestamps are nanoseconds; an implementation may clamp or reorder them, so never below 0.
    return steps.map((s, i) => ({ layer: s.layer, kind: s.kind, ms: Math.max(0, Number(ns[2 * i + 1]! - ns[2 * i]!)) / 1e6, timing: 'gpu' as const }));
  } finally {
    querySet.destroy();
    resolved.destroy();
    read.destroy();
  }
}

async function hostTimes(device: GPUDevice, steps: readonly ProfiledStep[]): Promise<DispatchTime[]> {
  const out: DispatchTime[] = [];
  for (const s of steps) {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    s.encode(pass);
    pass.end();
    const t0 = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    out.push({ layer: s.layer, kind: s.kind, ms: performance.now() - t0, timing: 'host' });
  }
  return out;
}
