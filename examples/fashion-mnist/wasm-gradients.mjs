// Training on TensorFlow.js's wasm backend. It runs every forward op of these models but has no
// kernel for three gradients that training needs; the cpu backend's versions index through
// TensorBuffer.get and take seconds per step even for this tiny network. So this registers the
// three for `wasm`: a 1×1 convolution's filter gradient as one wasm matrix product (Xᵀ·dY), the
// rest as plain loops over float32 arrays (NHWC; filters [kh, kw, in, out] and [kh, kw, C, mult]).
// It also replaces BatchNorm's input gradient, which tiles a per-channel vector to the whole
// activation before multiplying (a fifth of a training step on wasm), with a broadcast multiply.
// test/fashion-mnist.test.ts checks them against the cpu backend's kernels and tfjs's gradient.

const NAMES = ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'];

/**
 * Calls `visit(xi, di, tap)` for every output pixel and filter tap that lands inside the input: the input
 * pixel's and the output pixel's indices (NHWC, in pixels: times the channel count for an offset) and the tap's (kh · filterWidth + kw).
 */
function eachTap(info, visit) {
  const { batchSize, inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
  for (let n = 0; n < batchSize; n++)
    for (let oh = 0; oh < outHeight; oh++)
      for (let ow = 0; ow < outWidth; ow++)
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight + kh * dilationHeight - padInfo.top;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * strideWidth + kw * dilationWidth - padInfo.left;
            if (iw >= 0 && iw < inWidth) visit((n * inHeight + ih) * inWidth + iw, (n * outHeight + oh) * outWidth + ow, kh * filterWidth + kw);
          }
        }
}

/** eachTap for a depthwise conv: `visit(xi, di, wi, C, m)` with the offsets of the input pixel, output pixel and tap (C channels, multiplier m). */
function eachDepthwiseTap(info, visit) {
  const { inChannels: C, outChannels: co } = info;
  const m = co / C;
  eachTap(info, (xp, dp, tap) => visit(xp * C, dp * co, tap * co, C, m));
}

/** The gradients as functions of (tf, inputs' values, attrs) → { shape, values }. */
const GRADIENTS = {
  Conv2DBackpropFilter(tf, { x, dy }, a) {
    const info = tf.backend_util.computeConv2DInfo(x.shape, a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false, tf.backend_util.convertConv2DDataFormat(a.dataFormat));
    if (info.dataFormat !== 'channelsLast') return null;
    const { inChannels: ci, outChannels: co } = info;
    const dw = new Float32Array(a.filterShape.reduce((p, d) => p * d, 1));
    eachTap(info, (xp, dp, tap) => {
      const xi = xp * ci;
      const di = dp * co;
      const wi = tap * ci * co;
      for (let c = 0; c < ci; c++) {
        const xv = x.values[xi + c];
        if (xv === 0) continue;
        const row = wi + c * co;
        for (let o = 0; o < co; o++) dw[row + o] += xv * dy.values[di + o];
      }
    });
    return { shape: a.filterShape, values: dw };
  },

  DepthwiseConv2dNativeBackpropFilter(tf, { x, dy }, a) {
    const info = tf.backend_util.computeConv2DInfo(x.shape, a.filterShape, a.strides, a.dilations, a.pad, a.dimRoundingMode, true);
    const dw = new Float32Array(a.filterShape.reduce((p, d) => p * d, 1));
    eachDepthwiseTap(info, (xi, di, wi, C, m) => {
      for (let c = 0; c < C; c++) for (let k = 0; k < m; k++) dw[wi + c * m + k] += x.values[xi + c] * dy.values[di + c * m + k];
    });
    return { shape: a.filterShape, values: dw };
  },

  DepthwiseConv2dNativeBackpropInput(tf, { dy, filter }, a) {
    const info = tf.backend_util.computeConv2DInfo(a.inputShape, filter.shape, a.strides, a.dilations, a.pad, a.dimRoundingMode, true);
    const dx = new Float32Array(a.inputShape.reduce((p, d) => p * d, 1));
    eachDepthwiseTap(info, (xi, di, wi, C, m) => {
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let k = 0; k < m; k++) s += dy.values[di + c * m + k] * filter.values[wi + c * m + k];
        dx[xi + c] += s;
      }
    });
    return { shape: a.inputShape, values: dx };
  },
};

/** A 1×1, stride-1, unpadded convolution's filter gradient as the wasm matrix product Xᵀ·dY; null for any other. */
function pointwiseFilterGradient(tf, { x, dy }, a, backend) {
  const [kh, kw, ci, co] = a.filterShape;
  const info = tf.backend_util.computeConv2DInfo(x.shape, a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false, tf.backend_util.convertConv2DDataFormat(a.dataFormat));
  const { top, bottom, left, right } = info.padInfo;
  if (kh !== 1 || kw !== 1 || info.strideHeight !== 1 || info.strideWidth !== 1 || top + bottom + left + right !== 0 || info.dataFormat !== 'channelsLast') return null;
  const rows = x.shape[0] * x.shape[1] * x.shape[2];
  const product = tf.getKernel('BatchMatMul', 'wasm').kernelFunc({
    inputs: { a: { dataId: x.dataId, shape: [1, rows, ci], dtype: 'float32' }, b: { dataId: dy.dataId, shape: [1, rows, co], dtype: 'float32' } },
    backend,
    attrs: { transposeA: true, transposeB: false },
  });
  // [1, ci, co] and [1, 1, ci, co] are the same floats: hand the product out under the filter's shape.
  return { dataId: product.dataId, shape: a.filterShape, dtype: 'float32' };
}

/** BatchNorm's gradients as tfjs states them, without tiling the per-channel factor over the whole input. */
function batchNormGradient(tf) {
  return {
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc(dy, [x, mean, variance, scale], { varianceEpsilon }) {
      const scaleValue = scale ?? tf.scalar(1);
      const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
      const perChannel = (t) => tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, mean.shape);
      const xMinusMean = tf.sub(x, mean);
      const dyTimesScale = tf.mul(dy, scaleValue);
      const rstd = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
      const minusHalfRCube = tf.mul(tf.mul(tf.mul(rstd, rstd), rstd), tf.scalar(-0.5));
      return {
        x: () => tf.reshape(tf.mul(tf.mul(dy, rstd), scaleValue), x.shape),
        mean: () => perChannel(tf.mul(tf.neg(rstd), dyTimesScale)),
        variance: () => perChannel(tf.mul(tf.mul(minusHalfRCube, xMinusMean), dyTimesScale)),
        scale: () => perChannel(tf.mul(dy, tf.mul(xMinusMean, rstd))),
        offset: () => perChannel(dy),
      };
    },
  };
}

/** Registers the missing gradient kernels for `wasm` (those a later tfjs gains are left alone) and BatchNorm's leaner gradient. */
export function registerWasmGradients(tf) {
  tf.registerGradient(batchNormGradient(tf));
  for (const name of NAMES) {
    if (tf.getKernel(name, 'wasm')) continue;
    const onCpu = tf.getKernel(name, 'cpu');
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      kernelFunc({ inputs, backend, attrs }) {
        const fast = name === 'Conv2DBackpropFilter' ? pointwiseFilterGradient(tf, inputs, attrs, backend) : null;
        if (fast) return fast;
        const read = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, { shape: t.shape, values: backend.readSync(t.dataId) }]));
        const out = GRADIENTS[name](tf, read, attrs);
        if (!out) throw new Error(`${name}: only NHWC is supported here (cpu has ${onCpu ? 'it' : 'nothing'})`);
        return backend.makeOutput(out.shape, 'float32', undefined, out.values);
      },
    });
  }
}

